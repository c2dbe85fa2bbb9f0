using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Serverless.IntegrationTests.Infrastructure;
using static Serverless.IntegrationTests.Templates.TemplateTestData;

namespace Serverless.IntegrationTests.Templates;

/// <summary>The template tests share one library (one library version), so they run one after another.</summary>
[CollectionDefinition(Name)]
public sealed class TemplateLibraryCollection : ICollectionFixture<AzuriteFixture>
{
    public const string Name = "TemplateLibrary";
}

[Collection(TemplateLibraryCollection.Name)]
public sealed class TemplateLibraryTests(AzuriteFixture azurite)
{
    private FunctionsAppFactory App() => new(azurite.ConnectionString, new Dictionary<string, string?> { ["LocalRuntime:Enabled"] = "false" });

    [Fact]
    public async Task PublishThenSync_SeedTemplate_ManifestHoldsExactlyTheChange()
    {
        await using var app = App();
        var admin = app.CreateClient().AsOperator();
        var client = app.CreateClient().As("alice");
        await RegisterAssetsAsync(admin);
        var id = UniqueId("sync");
        var before = (await ManifestAsync(client))["version"]!.GetValue<long>();

        var put = await PutAsync(admin, id, Template(id));
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        Assert.Equal("\"r1\"", put.Headers.ETag!.Tag);
        Assert.DoesNotContain(id, UpsertIds(await ManifestAsync(client)));
        var version = await PutAndPublishAsyncExisting(admin, id);

        Assert.Equal(before + 1, version);
        var delta = await ManifestAsync(client, before);
        Assert.Equal(version, delta["version"]!.GetValue<long>());
        Assert.False(delta["full"]!.GetValue<bool>());
        Assert.Equal([id], UpsertIds(delta));
        Assert.Empty(RemovedIds(delta));
        var template = delta["upserts"]![0]!;
        Assert.Equal(1, template["version"]!.GetValue<long>());
        Assert.Equal("放大", template["nodes"]![0]!["name"]!.GetValue<string>());
        Assert.Equal("8dp", template["tracks"]![0]!["list"]![0]!["shader"]!["vertexCoordinatesValue"]!["rect"]!["top"]!.GetValue<string>());
        var resources = delta["resources"]!.AsArray().ToDictionary(r => r!["url"]!.GetValue<string>(), r => r!["sha256"]!.GetValue<string>());
        Assert.Equal(AllUrls.Order(), resources.Keys.Order());
        Assert.All(resources, r => Assert.Equal(Hash(r.Key), r.Value));
        Assert.Empty(UpsertIds(await ManifestAsync(client, version)));
        Assert.Contains(id, UpsertIds(await ManifestAsync(client)));
    }

    [Fact]
    public async Task Manifest_IfNoneMatch_Returns304UntilTheLibraryChanges()
    {
        await using var app = App();
        var admin = app.CreateClient().AsOperator();
        var client = app.CreateClient().As("bob");
        await RegisterAssetsAsync(admin);
        var first = await client.GetAsync("/api/templates/manifest?since=0");
        var etag = first.Headers.ETag!;
        Assert.False(etag.IsWeak);

        using var poll = new HttpRequestMessage(HttpMethod.Get, "/api/templates/manifest?since=0");
        poll.Headers.IfNoneMatch.Add(etag);
        var notModified = await client.SendAsync(poll);
        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
        Assert.Equal(etag, notModified.Headers.ETag);

        var id = UniqueId("etag");
        await PutAndPublishAsync(admin, id, Template(id));
        using var again = new HttpRequestMessage(HttpMethod.Get, "/api/templates/manifest?since=0");
        again.Headers.IfNoneMatch.Add(etag);
        var changed = await client.SendAsync(again);
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        Assert.NotEqual(etag, changed.Headers.ETag);
        Assert.Contains(id, UpsertIds(JsonNode.Parse(await changed.Content.ReadAsStringAsync())!.AsObject()));
    }

    [Fact]
    public async Task Unpublish_PublishedTemplate_SyncsAsRemoved()
    {
        await using var app = App();
        var admin = app.CreateClient().AsOperator();
        var client = app.CreateClient().As("carol");
        await RegisterAssetsAsync(admin);
        var id = UniqueId("gone");
        var published = await PutAndPublishAsync(admin, id, Template(id));

        var response = await admin.PostAsync($"/api/operator/templates/{id}/unpublish", null);
        response.EnsureSuccessStatusCode();

        var delta = await ManifestAsync(client, published);
        Assert.Equal([id], RemovedIds(delta));
        Assert.Empty(UpsertIds(delta));
        Assert.DoesNotContain(id, UpsertIds(await ManifestAsync(client)));
        Assert.Equal(HttpStatusCode.NotFound, (await admin.PostAsync($"/api/operator/templates/{id}/unpublish", null)).StatusCode);
        var timeline = await client.PostAsJsonAsync($"/api/templates/{id}/timeline", new { imageCount = 2 });
        Assert.Equal(HttpStatusCode.NotFound, timeline.StatusCode);
    }

    [Fact]
    public async Task Publish_Concurrently_LosesNoUpdate()
    {
        await using var app = App();
        var admin = app.CreateClient().AsOperator();
        var client = app.CreateClient().As("dave");
        await RegisterAssetsAsync(admin);
        var ids = Enumerable.Range(0, 8).Select(_ => UniqueId("race")).ToList();
        foreach (var id in ids)
        {
            (await PutAsync(admin, id, Template(id))).EnsureSuccessStatusCode();
        }

        var before = (await ManifestAsync(client))["version"]!.GetValue<long>();

        var versions = await Task.WhenAll(ids.Select(async id =>
        {
            var response = await admin.PostAsync($"/api/operator/templates/{id}/publish", null);
            response.EnsureSuccessStatusCode();
            return (await response.Content.ReadFromJsonAsync<JsonObject>())!["libraryVersion"]!.GetValue<long>();
        }));

        Assert.Equal(Enumerable.Range(1, 8).Select(i => before + i), versions.Order());
        var delta = await ManifestAsync(client, before);
        Assert.Equal(before + 8, delta["version"]!.GetValue<long>());
        Assert.Equal(ids.Order(), UpsertIds(delta).Order());
    }

    [Fact]
    public async Task Put_ExistingTemplate_NeedsCurrentIfMatch()
    {
        await using var app = App();
        var admin = app.CreateClient().AsOperator();
        var id = UniqueId("edit");
        (await PutAsync(admin, id, Template(id))).EnsureSuccessStatusCode();

        Assert.Equal((HttpStatusCode)428, (await PutAsync(admin, id, Template(id))).StatusCode);
        Assert.Equal(HttpStatusCode.PreconditionFailed, (await PutAsync(admin, id, Template(id), "\"r7\"")).StatusCode);
        var updated = await PutAsync(admin, id, Template(id, category: "fashion"), "\"r1\"");
        Assert.Equal(HttpStatusCode.OK, updated.StatusCode);
        Assert.Equal("\"r2\"", updated.Headers.ETag!.Tag);
        Assert.Equal(HttpStatusCode.PreconditionFailed, (await PutAsync(admin, id, Template(id), "\"r1\"")).StatusCode);
        var get = await admin.GetAsync($"/api/operator/templates/{id}");
        Assert.Equal("\"r2\"", get.Headers.ETag!.Tag);
        Assert.Equal("fashion", (await get.Content.ReadFromJsonAsync<JsonObject>())!["template"]!["category"]!.GetValue<string>());
        using var stale = new HttpRequestMessage(HttpMethod.Post, $"/api/operator/templates/{id}/publish");
        stale.Headers.TryAddWithoutValidation("If-Match", "\"r1\"");
        Assert.Equal(HttpStatusCode.PreconditionFailed, (await admin.SendAsync(stale)).StatusCode);
    }

    [Theory]
    [InlineData("\"type\":\"transition\"", "\"type\":\"sticker\"", "nodes[1].type")]
    [InlineData("\"duration\":0.5", "\"duration\":[0.5]", "nodes[1].duration")]
    [InlineData("\"u_FirstScaleBegin\":1.04", "\"u_FirstScaleBegin\":\"NaN\"", "nodes[1].shader.uniforms.u_FirstScaleBegin")]
    [InlineData("\"width\":1,\"height\":1,\"rect\"", "\"width\":2,\"height\":1,\"rect\"", "tracks[0].list[0].shader.vertexCoordinatesValue.width")]
    [InlineData("\"fragmentURL\":\"https://xianyu", "\"fragmentURL\":\"http://xianyu", "nodes[0].shader.fragmentURL")]
    [InlineData("{\"name\":\"放大\",\"type\":\"image\"", "{\"name\":\"放大\",\"type\":\"transition\"", "nodes[0].type")]
    [InlineData("\"maxImageCount\":3", "\"maxImageCount\":4", "maxImageCount")]
    [InlineData("\"minImageCount\":1", "\"minImageCount\":4", "minImageCount")]
    [InlineData("\"minImageCount\":1,\"maxImageCount\":3", "\"minImageCount\":3,\"maxImageCount\":2", "maxImageCount")]
    public async Task Put_BadTemplate_Returns400WithPathAndSavesNothing(string find, string replace, string path)
    {
        await using var app = App();
        var admin = app.CreateClient().AsOperator();
        var id = UniqueId("bad");
        var json = Template(id);
        var at = json.IndexOf(find, find.Contains("transition", StringComparison.Ordinal) || find.Contains("0.5", StringComparison.Ordinal) || find.Contains("1.04", StringComparison.Ordinal) ? json.IndexOf("溶解", StringComparison.Ordinal) - 10 : 0, StringComparison.Ordinal);
        json = json[..at] + replace + json[(at + find.Length)..];

        var response = await PutAsync(admin, id, json);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(path, ErrorPaths(await ProblemAsync(response)));
        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync($"/api/operator/templates/{id}")).StatusCode);
    }

    [Fact]
    public async Task Put_HugeOrDeepBody_IsRejected()
    {
        await using var app = App();
        var admin = app.CreateClient().AsOperator();
        var id = UniqueId("huge");
        var huge = Template(id).Replace("\"tags\":[\"digital\"]", "\"tags\":[" + string.Join(",", Enumerable.Repeat("\"x\"", 200_000)) + "]", StringComparison.Ordinal);
        var deep = Template(id).Replace("\"data\":{}", "\"data\":" + string.Concat(Enumerable.Repeat("[", 100)) + string.Concat(Enumerable.Repeat("]", 100)), StringComparison.Ordinal);
        var manyNodes = Template(id).Replace("\"nodes\":[", "\"nodes\":[" + string.Concat(Enumerable.Repeat(
            "{\"name\":\"a\",\"type\":\"image\",\"duration\":1,\"shader\":{\"vertexURL\":\"https://a.example/v\",\"fragmentURL\":\"https://a.example/f\"}},{\"name\":\"b\",\"type\":\"transition\",\"duration\":1,\"shader\":{\"vertexURL\":\"https://a.example/v\",\"fragmentURL\":\"https://a.example/f\"}},", 150)), StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, (await PutAsync(admin, id, huge)).StatusCode);
        var deepResponse = await PutAsync(admin, id, deep);
        Assert.Equal(HttpStatusCode.BadRequest, deepResponse.StatusCode);
        Assert.StartsWith("tracks[0].list[0].data", ErrorPaths(await ProblemAsync(deepResponse))[0], StringComparison.Ordinal);
        var manyResponse = await PutAsync(admin, id, manyNodes);
        Assert.Equal(HttpStatusCode.BadRequest, manyResponse.StatusCode);
        Assert.Contains("nodes", ErrorPaths(await ProblemAsync(manyResponse)));
        Assert.Equal(HttpStatusCode.BadRequest, (await PutAsync(admin, id, "{\"id\":")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await PutAsync(admin, id, Template("other-id"))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync($"/api/operator/templates/{id}")).StatusCode);
    }

    [Fact]
    public async Task Publish_UnregisteredResource_Returns400WithPath()
    {
        await using var app = App();
        var admin = app.CreateClient().AsOperator();
        await RegisterAssetsAsync(admin);
        var id = UniqueId("asset");
        (await PutAsync(admin, id, Template(id).Replace(Music, "https://cdn.example.com/music/" + id + ".m4a", StringComparison.Ordinal))).EnsureSuccessStatusCode();

        var response = await admin.PostAsync($"/api/operator/templates/{id}/publish", null);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(["music.url"], ErrorPaths(await ProblemAsync(response)));
    }

    [Fact]
    public async Task Timeline_LoopTemplate_ExpandsForTheImageCount()
    {
        await using var app = App();
        var admin = app.CreateClient().AsOperator();
        var client = app.CreateClient().As("erin");
        await RegisterAssetsAsync(admin);
        var id = UniqueId("loop");
        await PutAndPublishAsync(admin, id, Template(id, loop: true));

        var response = await client.PostAsJsonAsync($"/api/templates/{id}/timeline", new { imageCount = 4 });

        response.EnsureSuccessStatusCode();
        var timeline = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        var nodes = timeline["nodes"]!.AsArray();
        Assert.Equal(["image", "transition", "image", "transition", "image", "transition", "image"], nodes.Select(n => n!["type"]!.GetValue<string>()));
        Assert.Equal([0, 2, 2, 2], nodes.Where(n => n!["type"]!.GetValue<string>() == "image").Select(n => n!["node"]!.GetValue<int>()));
        Assert.Equal([0, 1, 2, 3], nodes.Where(n => n!["imageIndex"] is not null).Select(n => n!["imageIndex"]!.GetValue<int>()));
        Assert.Equal(9.5, timeline["duration"]!.GetValue<double>());
        Assert.Equal(9.5, timeline["tracks"]![0]!["list"]![0]!["duration"]!.GetValue<double>());
        Assert.Equal(HttpStatusCode.BadRequest, (await client.PostAsJsonAsync($"/api/templates/{id}/timeline", new { imageCount = 0 })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await client.PostAsJsonAsync($"/api/templates/{id}/timeline", new { imageCount = 201 })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await client.PostAsync($"/api/templates/{id}/timeline", new StringContent("{\"imageCount\":\"x\"}", System.Text.Encoding.UTF8, "application/json"))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.PostAsJsonAsync($"/api/templates/{UniqueId("none")}/timeline", new { imageCount = 2 })).StatusCode);
    }

    [Fact]
    public async Task PublishThenSync_TemplatesWithoutImageCounts_TakeTheirEffectiveRange()
    {
        await using var app = App();
        var admin = app.CreateClient().AsOperator();
        var client = app.CreateClient().As("frank");
        await RegisterAssetsAsync(admin);
        var loop = UniqueId("loop-open");
        var three = UniqueId("three-open");
        var category = UniqueId("open");
        var before = (await ManifestAsync(client))["version"]!.GetValue<long>();
        await PutAndPublishAsync(admin, loop, Template(loop, loop: true, category: category, imageCounts: false));
        await PutAndPublishAsync(admin, three, Template(three, category: category, imageCounts: false));

        var upserts = (await ManifestAsync(client, before))["upserts"]!.AsArray().ToDictionary(t => t!["id"]!.GetValue<string>());
        Assert.Equal((1, 500), (upserts[loop]!["minImageCount"]!.GetValue<int>(), upserts[loop]!["maxImageCount"]!.GetValue<int>()));
        Assert.Equal((1, 3), (upserts[three]!["minImageCount"]!.GetValue<int>(), upserts[three]!["maxImageCount"]!.GetValue<int>()));
        var staged = (await admin.GetFromJsonAsync<JsonObject>($"/api/operator/templates/{loop}"))!["template"]!.AsObject();
        Assert.False(staged.ContainsKey("maxImageCount"));

        var twenty = await client.PostAsJsonAsync($"/api/templates/{loop}/timeline", new { imageCount = 20 });
        twenty.EnsureSuccessStatusCode();
        var nodes = (await twenty.Content.ReadFromJsonAsync<JsonObject>())!["nodes"]!.AsArray();
        Assert.Equal(Enumerable.Range(0, 20), nodes.Where(n => n!["imageIndex"] is not null).Select(n => n!["imageIndex"]!.GetValue<int>()));
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsJsonAsync($"/api/templates/{loop}/timeline", new { imageCount = 500 })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await client.PostAsJsonAsync($"/api/templates/{loop}/timeline", new { imageCount = 501 })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsJsonAsync($"/api/templates/{three}/timeline", new { imageCount = 3 })).StatusCode);
        var four = await client.PostAsJsonAsync($"/api/templates/{three}/timeline", new { imageCount = 4 });
        Assert.Equal(HttpStatusCode.BadRequest, four.StatusCode);
        Assert.Equal(3, (await ProblemAsync(four))["maxImageCount"]!.GetValue<int>());
        Assert.Equal([loop, three], (await RecommendedAsync(client, 3, category)).Order());
        Assert.Equal([loop], await RecommendedAsync(client, 20, category));
    }

    private static async Task<IReadOnlyList<string>> RecommendedAsync(HttpClient client, int imageCount, string category)
    {
        var body = await client.GetFromJsonAsync<JsonObject>($"/api/templates/recommendations?imageCount={imageCount}&category={category}&count=10");
        return body!["items"]!.AsArray().Select(i => i!["id"]!.GetValue<string>()).ToList();
    }

    [Fact]
    public async Task Endpoints_WithoutCredentials_AreRefused()
    {
        await using var app = App();
        var anonymous = app.CreateClient();

        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/templates/manifest")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsync("/api/operator/templates/x/publish", null)).StatusCode);
        var user = app.CreateClient().As("mallory");
        Assert.NotEqual(HttpStatusCode.OK, (await user.PostAsync("/api/operator/templates/x/publish", null)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await user.GetAsync("/api/templates/manifest?since=-1")).StatusCode);
    }

    private static async Task<long> PutAndPublishAsyncExisting(HttpClient admin, string id)
    {
        var published = await admin.PostAsync($"/api/operator/templates/{id}/publish", null);
        published.EnsureSuccessStatusCode();
        return (await published.Content.ReadFromJsonAsync<JsonObject>())!["libraryVersion"]!.GetValue<long>();
    }
}
