using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Serverless.IntegrationTests.Infrastructure;
using Serverless.Storage;

namespace Serverless.IntegrationTests.Runtime;

/// <summary>
/// With storage down, the HTTP API answers 503 + Retry-After quickly (one quick retry) instead of spending the storage
/// SDK's background retry budget (three retries of at least 3 s each) while the caller waits. Own Azurite: it is stopped.
/// </summary>
public sealed class StorageOutageApiTests : IAsyncLifetime
{
    private readonly AzuriteProcess _azurite = new();

    public Task InitializeAsync() => _azurite.InitializeAsync();

    public Task DisposeAsync() => _azurite.DisposeAsync();

    [Fact]
    public async Task ApiRequest_StorageDown_Answers503WithRetryAfterFast()
    {
        await using var app = new FunctionsAppFactory(_azurite.ConnectionString, new Dictionary<string, string?> { ["LocalRuntime:Enabled"] = "false" });
        var http = app.CreateClient().As("outage-api");
        await _azurite.StopAsync();

        foreach (var request in new Func<HttpRequestMessage>[]
        {
            () => new HttpRequestMessage(HttpMethod.Get, "/api/videos/0123456789abcdef0123456789abcdef"),

            // A table query: the SDK's retry of it fails client-side (306), which must still read as storage unavailable.
            () => new HttpRequestMessage(HttpMethod.Get, "/api/videos?count=10"),
            () => new HttpRequestMessage(HttpMethod.Post, "/api/uploads") { Content = JsonContent.Create(new { fileName = "a.mp4", contentType = "video/mp4", sizeBytes = 1000 }) },
        })
        {
            var clock = Stopwatch.StartNew();
            using var response = await http.SendAsync(request());
            var elapsed = clock.Elapsed;

            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.NotNull(response.Headers.RetryAfter);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.True(elapsed < TimeSpan.FromSeconds(5), $"{request().RequestUri} took {elapsed.TotalSeconds:0.0} s to answer 503");
        }
    }

    [Fact]
    public async Task BackgroundStorageCall_StorageDown_KeepsTheRetryBudget()
    {
        await using var app = new FunctionsAppFactory(_azurite.ConnectionString, new Dictionary<string, string?>
        {
            ["LocalRuntime:Enabled"] = "false",
            ["Storage:MaxRetries"] = "1",
        });
        _ = app.Server;
        var tables = app.Services.GetRequiredService<ITableStore>();
        await _azurite.StopAsync();

        var clock = Stopwatch.StartNew();
        await Assert.ThrowsAsync<StorageUnavailableException>(() => tables.GetAsync("Videos", "p", "r", default));
        var background = clock.Elapsed;
        clock.Restart();
        using (StorageCallScope.BeginInteractive())
        {
            await Assert.ThrowsAsync<StorageUnavailableException>(() => tables.GetAsync("Videos", "p", "r", default));
        }

        // The SDK's exponential retry waits at least 3 s before its first retry; the interactive one 200 ms.
        Assert.True(background >= TimeSpan.FromSeconds(2.5), $"background call gave up after {background.TotalSeconds:0.0} s");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2.5), $"interactive call took {clock.Elapsed.TotalSeconds:0.0} s");
        Assert.False(StorageCallScope.IsInteractive);
    }
}
