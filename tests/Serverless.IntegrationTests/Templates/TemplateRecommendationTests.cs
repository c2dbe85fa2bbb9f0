using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Serverless.IntegrationTests.Infrastructure;
using Serverless.Templates;
using Serverless.Templates.Recommendations;
using static Serverless.IntegrationTests.Templates.TemplateTestData;

namespace Serverless.IntegrationTests.Templates;

[Collection(TemplateLibraryCollection.Name)]
public sealed class TemplateRecommendationTests(AzuriteFixture azurite)
{
    private FunctionsAppFactory App() => new(azurite.ConnectionString, new Dictionary<string, string?> { ["LocalRuntime:Enabled"] = "false" });

    [Fact]
    public async Task Recommendations_UserSawTemplateOften_DemotesThenExcludesIt()
    {
        await using var app = App();
        var admin = app.CreateClient().AsOperator();
        var user = "rec-" + Guid.NewGuid().ToString("N")[..8];
        var client = app.CreateClient().As(user);
        await RegisterAssetsAsync(admin);
        var category = "cat" + Guid.NewGuid().ToString("N")[..10];
        var a = UniqueId("reca");
        var b = UniqueId("recb");
        await PutAndPublishAsync(admin, a, Template(a, category: category));
        await PutAndPublishAsync(admin, b, Template(b, category: category));
        var activity = app.Services.GetRequiredService<ITemplateActivitySource>();
        var time = app.Services.GetRequiredService<TimeProvider>();

        var first = await RecommendAsync(client, category);
        Assert.Equal(new[] { a, b }.Order(), first.Order());
        var top = first[0];
        var other = first[1];
        for (var i = 0; i < 2; i++)
        {
            await activity.RecordAsync("dev-" + user, top, TemplateActivityKind.Impression, time.GetUtcNow(), default);
        }

        Assert.Equal([other, top], await RecommendAsync(client, category));
        for (var i = 0; i < 3; i++)
        {
            await activity.RecordAsync("dev-" + user, top, TemplateActivityKind.Impression, time.GetUtcNow(), default);
        }

        Assert.Equal([other], await RecommendAsync(client, category));
        Assert.Equal(new[] { other, top }.Order(), (await RecommendAsync(app.CreateClient().As(user + "x"), category)).Order());
    }

    [Fact]
    public async Task Recommendations_BadQuery_Returns400()
    {
        await using var app = App();
        var client = app.CreateClient().As("frank");

        Assert.Equal(HttpStatusCode.BadRequest, (await client.GetAsync("/api/templates/recommendations")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await client.GetAsync("/api/templates/recommendations?imageCount=0")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await client.GetAsync("/api/templates/recommendations?imageCount=3&count=1000")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/templates/recommendations?imageCount=3&category=none&count=5")).StatusCode);
    }

    /// <summary>The table-backed activity source under a fake clock: windows include and expire impressions as time passes.</summary>
    [Fact]
    public async Task ActivitySource_FakeClock_CountsOnlyInsideTheWindow()
    {
        await using var app = App();
        _ = app.Server;
        var clock = new ManualClock(new DateTimeOffset(2031, 3, 1, 10, 30, 0, TimeSpan.Zero).AddMinutes(Random.Shared.Next(0, 100_000)));
        var source = ActivatorUtilities.CreateInstance<TableTemplateActivitySource>(app.Services, clock,
            Microsoft.Extensions.Options.Options.Create(new TemplateRecommendationOptions { StatsCacheSeconds = 0 }));
        var user = "clock-" + Guid.NewGuid().ToString("N")[..8];
        var template = UniqueId("clk");
        var start = clock.GetUtcNow();

        await source.RecordAsync(user, template, TemplateActivityKind.Impression, start, default);
        clock.Advance(TimeSpan.FromHours(2));
        await source.RecordAsync(user, template, TemplateActivityKind.Impression, clock.GetUtcNow(), default);
        await source.RecordAsync(user, template, TemplateActivityKind.Use, clock.GetUtcNow(), default);

        Assert.Equal(2, (await source.GetUserImpressionsAsync(user, start, default))[template]);
        Assert.Equal(1, (await source.GetUserImpressionsAsync(user, start.AddHours(1), default))[template]);
        var stats = await source.GetStatsAsync(start, default);
        Assert.Equal(2, stats.Impressions[template]);
        Assert.Equal(1, stats.Uses[template]);
        clock.Advance(TimeSpan.FromHours(24) + TimeSpan.FromMinutes(1));
        Assert.False((await source.GetUserImpressionsAsync(user, clock.GetUtcNow().AddHours(-24), default)).ContainsKey(template));
        Assert.False((await source.GetStatsAsync(clock.GetUtcNow().AddHours(-24), default)).Impressions.ContainsKey(template));
    }

    private static async Task<IReadOnlyList<string>> RecommendAsync(HttpClient client, string category)
    {
        var response = await client.GetAsync($"/api/templates/recommendations?imageCount=3&category={category}&count=10");
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!["items"]!.AsArray().Select(i => i!["id"]!.GetValue<string>()).ToList();
    }

    private sealed class ManualClock(DateTimeOffset now) : TimeProvider
    {
        private DateTimeOffset _now = now;

        public override DateTimeOffset GetUtcNow() => _now;

        public void Advance(TimeSpan by) => _now += by;
    }
}
