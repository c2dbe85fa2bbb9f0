using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Serverless.IntegrationTests.Infrastructure;
using Serverless.Recommendations.Catalog;

namespace Serverless.IntegrationTests.Recommendations;

public sealed class EventIngestionLoadTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>
{
    [Fact]
    public async Task PostEvents_EventsAboutReadyVideos_NoPerVideoCatalogRead()
    {
        // Regression (issue 8, API load): every event batch read the catalog once per distinct video before writing,
        // although nearly all events are about Ready videos the serving cache already lists; under load that read
        // was a third of the endpoint's latency.
        var run = Guid.NewGuid().ToString("N")[..8];
        var now = DateTimeOffset.UtcNow;
        var directory = new CountingDirectory([$"{run}-ready1", $"{run}-ready2"], [$"{run}-processing"]);
        await using var app = new FunctionsAppFactory(azurite.ConnectionString, new Dictionary<string, string?> { ["LocalRuntime:Enabled"] = "false" })
            .WithWebHostBuilder(b => b.ConfigureTestServices(s => s.AddSingleton<IVideoDirectory>(directory)));
        var http = app.CreateClient().As($"{run}-user");
        var events = new[] { "ready1", "ready2", "ready1", "processing", "unknown" }
            .Select((v, i) => new { eventId = $"{run}-{i}", type = "play", videoId = $"{run}-{v}", occurredAt = now.AddSeconds(-i).ToString("O") })
            .ToArray();

        var response = await http.PostAsJsonAsync("/api/events", new { events });

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(5, body.GetProperty("accepted").GetInt32());
        Assert.Equal([4], body.GetProperty("flagged").EnumerateArray().Select(f => f.GetProperty("index").GetInt32()));
        Assert.Equal([$"{run}-processing", $"{run}-unknown"], directory.Lookups.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task PostEvents_ManyConcurrentBatchesAndResends_EachEventStoredOnceInBothTables()
    {
        // Concurrent batches share storage transactions (group commit); a batch resent while the first send is still
        // queued names the same rows, which one transaction may not hold twice.
        var run = Guid.NewGuid().ToString("N")[..8];
        var now = DateTimeOffset.UtcNow;
        await using var app = new FunctionsAppFactory(azurite.ConnectionString, new Dictionary<string, string?> { ["LocalRuntime:Enabled"] = "false" });
        var users = Enumerable.Range(0, 4).Select(u => $"{run}-u{u}").ToList();
        var clients = users.Select(u => app.CreateClient().As(u)).ToList();
        var sends = new List<Task<HttpResponseMessage>>();
        for (var b = 0; b < 40; b++)
        {
            var events = Enumerable.Range(0, 5)
                .Select(k => new { eventId = $"{run}-b{b}-{k}", type = "play", videoId = $"{run}-v{k}", occurredAt = now.AddSeconds(-k).ToString("O") })
                .ToArray();
            var client = clients[b % clients.Count];
            sends.Add(client.PostAsJsonAsync("/api/events", new { events }));
            if (b % 4 == 0)
            {
                sends.Add(client.PostAsJsonAsync("/api/events", new { events }));
            }
        }

        var responses = await Task.WhenAll(sends);

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.Accepted, r.StatusCode));
        var tables = app.Services.GetRequiredService<Serverless.Storage.ITableStore>();
        foreach (var (user, u) in users.Select((name, u) => ("dev-" + name, u)))
        {
            var byUser = await tables.QueryAsync("RecUserEvents", Serverless.Storage.TableFilter.PartitionEquals(user), default).ToListAsync();
            var byTime = await tables.QueryAsync("RecEvents", Serverless.Storage.TableFilter.Equal("UserId", user), default).ToListAsync();
            var expected = Enumerable.Range(0, 40).Where(b => b % 4 == u).SelectMany(b => Enumerable.Range(0, 5).Select(k => $"{run}-b{b}-{k}")).Order(StringComparer.Ordinal).ToList();
            Assert.Equal(expected, byUser.Select(r => r.GetString("EventId")!).Order(StringComparer.Ordinal));
            Assert.Equal(expected, byTime.Select(r => r.GetString("EventId")!).Order(StringComparer.Ordinal));
        }
    }

    /// <summary>A catalog with Ready videos and videos that exist but are not Ready, counting existence lookups.</summary>
    private sealed class CountingDirectory(IReadOnlyList<string> ready, IReadOnlyList<string> notReady) : IVideoDirectory
    {
        public ConcurrentBag<string> Lookups { get; } = [];

        public Task<IReadOnlyList<CatalogVideo>> ListReadyAsync(CancellationToken cancellationToken) =>
            Task.FromResult<IReadOnlyList<CatalogVideo>>([.. ready.Select(id => new CatalogVideo(id, "owner", DateTimeOffset.UtcNow.AddDays(-1), 30))]);

        public Task<bool> ExistsAsync(string videoId, CancellationToken cancellationToken)
        {
            Lookups.Add(videoId);
            return Task.FromResult(ready.Contains(videoId) || notReady.Contains(videoId));
        }
    }
}
