using System.Text.Json.Nodes;
using Serverless.Templates.Library;
using Serverless.Templates.Protocol;
using Serverless.Templates.Sync;

namespace Serverless.UnitTests.Templates;

public sealed class LibrarySnapshotTests
{
    private static OnlineTemplate Online(string id, long changed) =>
        new(TestTemplates.Template([TestTemplates.Node(NodeType.Image, "i", 1)], loop: false, id: id), TemplateJson.SerializeToUtf8Bytes(TestTemplates.Template([TestTemplates.Node(NodeType.Image, "i", 1)], loop: false, id: id)),
            [new TemplateAsset("https://cdn.example.com/shaders/i.vert", new string('a', 64), 10, ResourceKind.Shader)], $"online/{id}/1.json", changed, default);

    private static LibrarySnapshot Snapshot() => new(
        5,
        new Dictionary<string, OnlineTemplate> { ["a"] = Online("a", 1), ["b"] = Online("b", 3), ["c"] = Online("c", 5) },
        [("gone", 4)]);

    private static JsonObject Parse(ManifestBody body) => JsonNode.Parse(body.Json)!.AsObject();

    private static List<string> Ids(JsonObject manifest, string property) =>
        manifest[property]!.AsArray().Select(n => n is JsonObject o ? o["id"]!.GetValue<string>() : n!.GetValue<string>()).ToList();

    [Theory]
    [InlineData(0, new[] { "a", "b", "c" }, new[] { "gone" })]
    [InlineData(1, new[] { "b", "c" }, new[] { "gone" })]
    [InlineData(3, new[] { "c" }, new[] { "gone" })]
    [InlineData(4, new[] { "c" }, new string[0])]
    [InlineData(5, new string[0], new string[0])]
    public void GetManifest_Since_ReturnsExactlyTheLaterChanges(long since, string[] upserts, string[] removed)
    {
        var manifest = Parse(Snapshot().GetManifest(since));

        Assert.Equal(5, manifest["version"]!.GetValue<long>());
        Assert.False(manifest["full"]!.GetValue<bool>());
        Assert.Equal(upserts, Ids(manifest, "upserts"));
        Assert.Equal(removed, Ids(manifest, "removed"));
    }

    [Fact]
    public void GetManifest_NoSinceOrAhead_IsFullWithoutTombstones()
    {
        var snapshot = Snapshot();

        foreach (var since in new long?[] { null, 99 })
        {
            var manifest = Parse(snapshot.GetManifest(since));
            Assert.True(manifest["full"]!.GetValue<bool>());
            Assert.Equal(["a", "b", "c"], Ids(manifest, "upserts"));
            Assert.Empty(Ids(manifest, "removed"));
            Assert.Single(manifest["resources"]!.AsArray());
        }
    }

    [Fact]
    public void GetManifest_ETags_DifferPerBodyAndAreStableAcrossSnapshots()
    {
        var first = Snapshot();
        var second = Snapshot();

        Assert.Equal(first.GetManifest(1).ETag, second.GetManifest(1).ETag);
        Assert.NotEqual(first.GetManifest(1).ETag, first.GetManifest(3).ETag);
        Assert.Equal(first.GetManifest(5).ETag, first.GetManifest(7 - 2).ETag);
        Assert.NotEqual(first.GetManifest(1).ETag, first.GetManifest(1).GzipETag);
        Assert.StartsWith("\"", first.GetManifest(null).ETag, StringComparison.Ordinal);
        var changed = new LibrarySnapshot(6, new Dictionary<string, OnlineTemplate> { ["a"] = Online("a", 6) }, []);
        Assert.NotEqual(first.GetManifest(null).ETag, changed.GetManifest(null).ETag);
    }

    [Theory]
    [InlineData(true, TemplateLimits.MaxImageCount)]
    [InlineData(false, 3)]
    public void GetManifest_TemplateWithoutImageCounts_CarriesTheEffectiveRange(bool loop, int max)
    {
        var template = TemplateJson.Parse(TestTemplates.SeedTemplateJson("plain", images: 3, loop: loop, imageCounts: false)).Template!;
        var online = OnlineTemplate.FromPublished(new PublishedDocument(template, []), "online/plain/1.json", 1, default);
        var snapshot = new LibrarySnapshot(1, new Dictionary<string, OnlineTemplate> { ["plain"] = online }, []);

        var entry = Parse(snapshot.GetManifest(null))["upserts"]![0]!;

        Assert.Equal(1, entry["minImageCount"]!.GetValue<int>());
        Assert.Equal(max, entry["maxImageCount"]!.GetValue<int>());
        Assert.Equal((1, max), (online.Template.MinImageCount, online.Template.MaxImageCount));
    }

    [Fact]
    public void FromPublished_ExplicitImageCounts_AreKeptAsWritten()
    {
        var template = TestTemplates.Template([TestTemplates.Node(NodeType.Image, "i", 1), TestTemplates.Node(NodeType.Transition, "t", 1)], loop: true, min: 2, max: 12, id: "explicit");

        var online = OnlineTemplate.FromPublished(new PublishedDocument(template, []), "online/explicit/1.json", 1, default);

        Assert.Same(template, online.Template);
        var json = JsonNode.Parse(online.Json.Span)!;
        Assert.Equal((2, 12), (json["minImageCount"]!.GetValue<int>(), json["maxImageCount"]!.GetValue<int>()));
    }

    [Fact]
    public void FromPublished_TemplateWithoutImageCounts_ChangesNothingElse()
    {
        var written = JsonNode.Parse(TestTemplates.SeedTemplateJson("plain", loop: true, imageCounts: false))!.AsObject();
        written["family"] = "f";
        written["exposureCap"] = 0.3;
        var template = TemplateJson.Parse(written.ToJsonString()).Template!;

        var synced = JsonNode.Parse(OnlineTemplate.FromPublished(new PublishedDocument(template, []), "b", 1, default).Json.Span)!.AsObject();

        Assert.True(synced.Remove("minImageCount") && synced.Remove("maxImageCount"));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(TemplateJson.SerializeToUtf8Bytes(template)), synced));
    }
}
