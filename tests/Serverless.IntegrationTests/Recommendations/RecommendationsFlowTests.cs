using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Serverless.LocalHost.Functions;
using Serverless.IntegrationTests.Infrastructure;
using Serverless.Recommendations.Catalog;
using Serverless.Recommendations.Training;
using Serverless.Storage;

namespace Serverless.IntegrationTests.Recommendations;

/// <summary>Events in → retraining timer → model blob → recommendations out, on real Azurite through the HTTP API.</summary>
public sealed class RecommendationsFlowTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    [Fact]
    public async Task EventsTimerModelRecommendations_TwoTasteGroups_PersonalisedFeedFromPublishedModel()
    {
        var run = Guid.NewGuid().ToString("N")[..8];
        var now = DateTimeOffset.UtcNow;
        var directory = new TestVideoDirectory();
        for (var i = 0; i < 20; i++)
        {
            directory.Add(new CatalogVideo($"{run}-v{i}", $"{run}-author{i % 10}", now.AddDays(-10), 30));
        }

        directory.Add(new CatalogVideo($"{run}-fresh", $"{run}-newcomer", now.AddHours(-1), 30));
        await using var app = App(directory);
        var http = app.CreateClient();

        // Group A (even users) watch even videos, group B odd ones; user 0 has not seen v18 yet.
        for (var u = 0; u < 12; u++)
        {
            var events = new List<object>();
            for (var v = u % 2; v < 20; v += 2)
            {
                if (u == 0 && v == 18)
                {
                    continue;
                }

                events.Add(Event($"{run}-{u}-{v}-play", "play", $"{run}-v{v}", now.AddHours(-2)));
                events.Add(Event($"{run}-{u}-{v}-done", "complete", $"{run}-v{v}", now.AddHours(-2).AddMinutes(1)));
            }

            var response = await http.As($"{run}-u{u}").PostAsJsonAsync("/api/events", new { events });
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        }

        var report = await RunTimerAsync(app);
        var blobs = app.Services.GetRequiredService<IBlobStore>();
        var pointer = JsonDocument.Parse((await blobs.ReadTextAsync("models", "recommender/latest.json", default))!).RootElement;
        var version = pointer.GetProperty("version").GetString()!;
        Assert.NotNull(await blobs.GetInfoAsync("models", pointer.GetProperty("modelBlob").GetString()!, default));
        Assert.NotNull(await blobs.ReadTextAsync("models", $"recommender/versions/{version}/report.json", default));
        Assert.Equal("published", report);

        var feed = await http.As($"{run}-u0").GetFromJsonAsync<JsonElement>("/api/recommendations?count=5", Json);
        Assert.Equal(version, feed.GetProperty("modelVersion").GetString());
        var items = feed.GetProperty("items").EnumerateArray().ToList();
        var ids = items.Select(i => i.GetProperty("videoId").GetString()!).ToList();
        Assert.Equal($"{run}-v18", ids.First(id => items[ids.IndexOf(id)].GetProperty("reason").GetString() == "cf"));
        Assert.Contains($"{run}-fresh", ids);
        Assert.DoesNotContain(ids, id => id.EndsWith("-v0", StringComparison.Ordinal) || id.EndsWith("-v2", StringComparison.Ordinal));

        var coldStart = await http.As($"{run}-newuser").GetFromJsonAsync<JsonElement>("/api/recommendations?count=10", Json);
        var coldItems = coldStart.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(10, coldItems.Count);
        Assert.All(coldItems, i => Assert.Contains(i.GetProperty("reason").GetString(), new[] { "popular", "fresh" }));
        Assert.True(coldItems.GroupBy(i => directory.Owner(i.GetProperty("videoId").GetString()!)).All(g => g.Count() <= 2));
        var next = await http.GetFromJsonAsync<JsonElement>("/api/recommendations?count=10&cursor=" + coldStart.GetProperty("cursor").GetString(), Json);
        Assert.Empty(next.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("videoId").GetString()).Intersect(coldItems.Select(i => i.GetProperty("videoId").GetString())));

        var similar = await http.GetFromJsonAsync<JsonElement>($"/api/videos/{run}-v4/similar?count=3", Json);
        var similarIds = similar.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("videoId").GetString()!).ToList();
        Assert.All(similarIds, id => Assert.Equal(0, int.Parse(id[(id.LastIndexOf('v') + 1)..], System.Globalization.CultureInfo.InvariantCulture) % 2));
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync($"/api/videos/{run}-missing/similar")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await http.GetAsync("/api/recommendations?cursor=forged")).StatusCode);
    }

    [Fact]
    public async Task Timer_ThreeDaysOfFreshUploads_RankerBeatsCfOnTheLastDayAndIsPublishedWithTheModel()
    {
        var run = Guid.NewGuid().ToString("N")[..8];
        var now = DateTimeOffset.UtcNow;
        var directory = new TestVideoDirectory();

        // 40 uploads spread over the last 3.5 days; users watch what their taste group (even or odd videos) uploaded
        // in the day before, and skip one video of the other group each time.
        var created = new DateTimeOffset[40];
        for (var i = 0; i < created.Length; i++)
        {
            created[i] = now.AddDays(-3.5 + (i * 3.4 / created.Length));
            directory.Add(new CatalogVideo($"{run}-v{i}", $"{run}-author{i % 6}", created[i], 30));
        }

        // The app's clock stands still at `now`: feedback weights decay with the time of the training, so a second training
        // seconds later would learn from slightly different weights, and the "not worse" gate could keep the first model.
        var clock = new FakeTime(now);
        await using var app = App(directory, clock, ("RecommenderRanker:Trees", "20"), ("RecommenderRanker:MinExamplesPerLeaf", "5"));
        var http = app.CreateClient();
        var random = new Random(3);
        for (var u = 0; u < 24; u++)
        {
            var events = new List<object>();
            for (var day = 3; day >= 1; day--)
            {
                for (var k = 0; k < 4; k++)
                {
                    var at = now.AddDays(-day).AddHours(1 + (k * 5) + random.NextDouble());
                    var recent = Enumerable.Range(0, created.Length).Where(i => i % 2 == u % 2 && created[i] < at && created[i] >= at.AddDays(-1)).ToList();
                    var v = recent.Count > 0 ? recent[random.Next(recent.Count)] : (2 * random.Next(20)) + (u % 2);
                    events.Add(Event($"{run}-{u}-{day}-{k}-i", "impression", $"{run}-v{v}", at));
                    events.Add(Event($"{run}-{u}-{day}-{k}-p", "play", $"{run}-v{v}", at.AddSeconds(1)));
                    events.Add(Event($"{run}-{u}-{day}-{k}-c", "complete", $"{run}-v{v}", at.AddSeconds(31)));
                    var other = (2 * random.Next(20)) + 1 - (u % 2);
                    events.Add(Event($"{run}-{u}-{day}-{k}-x", "impression", $"{run}-v{other}", at.AddMinutes(1)));
                }
            }

            Assert.Equal(HttpStatusCode.Accepted, (await http.As($"{run}-u{u}").PostAsJsonAsync("/api/events", new { events })).StatusCode);
        }

        var report = await RunTimerReportAsync(app);

        // CF cannot know the uploads of the last day; the ranker learns (from the day before) that this audience plays them.
        var ranker = report.GetProperty("ranker");
        Assert.True(ranker.GetProperty("decision").GetString() == "new", ranker.ToString());
        var methods = ranker.GetProperty("evaluation").EnumerateArray().Select(m => m.GetProperty("method").GetString()).ToList();
        Assert.Contains("ranker", methods);
        Assert.Contains("implicit-als", methods);
        Assert.Contains("cf+rules:implicit-als", methods);
        var blobs = app.Services.GetRequiredService<IBlobStore>();
        var pointer = JsonDocument.Parse((await blobs.ReadTextAsync("models", "recommender/latest.json", default))!).RootElement;
        Assert.Equal(report.GetProperty("version").GetString(), pointer.GetProperty("ranker").GetString());

        // Served from the published lists: the user's taste group first, nothing already played.
        var feed = await http.As($"{run}-u0").GetFromJsonAsync<JsonElement>("/api/recommendations?count=5", Json);
        Assert.Equal(pointer.GetProperty("version").GetString(), feed.GetProperty("modelVersion").GetString());
        var ids = feed.GetProperty("items").EnumerateArray().Select(i => int.Parse(i.GetProperty("videoId").GetString()![(run.Length + 2)..], System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(0, ids[0] % 2);

        // The next run evaluates the serving ranker beside the new one on its own last day (the "not worse" rule).
        var again = await app.Services.GetRequiredService<IRecommenderTrainer>().TrainAsync("operator", default);
        Assert.Equal("published", again.Status);
        Assert.Contains("serving-ranker", again.Ranker!.Evaluation.Select(m => m.Method));
        Assert.Contains(again.Ranker.Decision, new[] { "new", "current" });
    }

    [Fact]
    public async Task PostEvents_RetriedBatchAndBadEvents_StoredOnceRejectedAndFlagged()
    {
        var run = Guid.NewGuid().ToString("N")[..8];
        var now = DateTimeOffset.UtcNow;
        var directory = new TestVideoDirectory();
        directory.Add(new CatalogVideo($"{run}-v", "o", now.AddDays(-1), 30));
        await using var app = App(directory);
        var http = app.CreateClient().As($"{run}-user");
        var batch = new
        {
            events = new object?[]
            {
                Event($"{run}-1", "play", $"{run}-v", now.AddMinutes(-5)),
                Event($"{run}-2", "like", $"{run}-unknown", now.AddMinutes(-4)),
                Event($"{run}-3", "play", $"{run}-v", now.AddDays(2)),
                Event($"{run}-4", "play", $"{run}-v", now.AddDays(-30)),
                Event($"{run}-5", "dance", $"{run}-v", now),
                Event($"{run}-1", "play", $"{run}-v", now.AddMinutes(-5)),
                new { eventId = $"{run}-6", type = "template_use", templateId = "tpl-1", occurredAt = now.AddMinutes(-1).ToString("O") },
            },
        };

        var first = await (await http.PostAsJsonAsync("/api/events", batch)).Content.ReadFromJsonAsync<JsonElement>(Json);
        var retry = await http.PostAsJsonAsync("/api/events", batch);

        Assert.Equal(HttpStatusCode.Accepted, retry.StatusCode);
        Assert.Equal(3, first.GetProperty("accepted").GetInt32());
        var rejected = first.GetProperty("rejected").EnumerateArray().ToDictionary(r => r.GetProperty("index").GetInt32(), r => r.GetProperty("reason").GetString());
        Assert.Equal(new Dictionary<int, string?> { [2] = "occurred-in-future", [3] = "occurred-too-long-ago", [4] = "invalid-type", [5] = "duplicate-event-id" }, rejected);
        Assert.Equal(1, first.GetProperty("flagged")[0].GetProperty("index").GetInt32());
        var tables = app.Services.GetRequiredService<ITableStore>();
        var rows = await tables.QueryAsync("RecUserEvents", TableFilter.PartitionEquals($"dev-{run}-user"), default).ToListAsync();
        Assert.Equal(3, rows.Count);
        Assert.True(rows.Single(r => r.GetString("EventId") == $"{run}-2").GetBoolean("UnknownVideo"));

        Assert.Equal(HttpStatusCode.Unauthorized, (await app.CreateClient().PostAsJsonAsync("/api/events", batch)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await http.PostAsync("/api/events", new StringContent("{not json", System.Text.Encoding.UTF8, "application/json"))).StatusCode);
        var tooMany = new { events = Enumerable.Range(0, 101).Select(i => Event($"{run}-x{i}", "play", $"{run}-v", now)).ToArray() };
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, (await http.PostAsJsonAsync("/api/events", tooMany)).StatusCode);
    }

    private static object Event(string id, string type, string video, DateTimeOffset at) =>
        new { eventId = id, type, videoId = video, occurredAt = at.ToString("O") };

    private static async Task<string> RunTimerAsync(Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactory<Program> app) =>
        (await RunTimerReportAsync(app)).GetProperty("status").GetString()!;

    private static async Task<JsonElement> RunTimerReportAsync(Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactory<Program> app)
    {
        // The timer function itself, invoked as the local host invokes it. Its report is the one that was not
        // there before the run (blob times have one-second resolution: the newest by time could be an earlier run's).
        var blobs = app.Services.GetRequiredService<IBlobStore>();
        var before = await Reports(blobs).ToHashSetAsync(StringComparer.Ordinal);
        await app.Services.GetRequiredService<FunctionInvoker>().InvokeAsync("RetrainRecommender", new Microsoft.Azure.Functions.Worker.TimerInfo(), default);
        var latest = await Reports(blobs).Where(name => !before.Contains(name)).SingleAsync();
        var report = JsonDocument.Parse((await blobs.ReadTextAsync("models", latest, default))!).RootElement;
        Assert.True(report.GetProperty("status").GetString() == "published", report.ToString());
        return report;
    }

    private static IAsyncEnumerable<string> Reports(IBlobStore blobs) =>
        blobs.ListAsync("models", "recommender/versions/", default).Where(b => b.Name.EndsWith("report.json", StringComparison.Ordinal)).Select(b => b.Name);

    private Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactory<Program> App(TestVideoDirectory directory, params (string Key, string Value)[] settings) =>
        App(directory, null, settings);

    private Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactory<Program> App(TestVideoDirectory directory, TimeProvider? time, params (string Key, string Value)[] settings)
    {
        var values = new Dictionary<string, string?>
        {
            ["LocalRuntime:Enabled"] = "false",
            ["RecommenderServing:HistoryCacheSeconds"] = "0",
            ["RecommenderServing:CatalogCacheSeconds"] = "0",
            ["RecommenderTraining:AlsIterations"] = "5",
        };
        foreach (var (key, value) in settings)
        {
            values[key] = value;
        }

        return new FunctionsAppFactory(azurite.ConnectionString, values).WithWebHostBuilder(b => b.ConfigureTestServices(s =>
        {
            s.AddSingleton<IVideoDirectory>(directory);
            if (time is not null)
            {
                s.AddSingleton(time);
            }
        }));
    }
}

/// <summary>A test double of the recommender's own catalog interface (the pipeline area provides the real one).</summary>
internal sealed class TestVideoDirectory : IVideoDirectory
{
    private readonly List<CatalogVideo> _videos = [];

    public void Add(CatalogVideo video) => _videos.Add(video);

    public string Owner(string videoId) => _videos.Single(v => v.VideoId == videoId).OwnerId;

    public Task<IReadOnlyList<CatalogVideo>> ListReadyAsync(CancellationToken cancellationToken) => Task.FromResult<IReadOnlyList<CatalogVideo>>([.. _videos]);

    public Task<bool> ExistsAsync(string videoId, CancellationToken cancellationToken) => Task.FromResult(_videos.Any(v => v.VideoId == videoId));
}
