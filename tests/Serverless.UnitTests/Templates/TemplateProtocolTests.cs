using System.Text.Json;
using System.Text.Json.Nodes;
using Serverless.Templates.Protocol;

namespace Serverless.UnitTests.Templates;

public sealed class TemplateProtocolTests
{
    [Fact]
    public void Deserialize_SeedImageNode_ReadsEveryField()
    {
        var node = TestTemplates.SeedImage;

        Assert.Equal("放大", node.Name);
        Assert.Equal(NodeType.Image, node.Type);
        Assert.Equal(2.0, node.Duration);
        Assert.EndsWith("ImageEffect_Move2_V2.vert", node.Shader.VertexUrl, StringComparison.Ordinal);
        Assert.EndsWith("ImageEffect_Move2_V2.frag", node.Shader.FragmentUrl, StringComparison.Ordinal);
        Assert.Equal(6, node.Shader.Uniforms.Count);
        Assert.Equal(0.04, node.Shader.Uniforms["u_FirstScaleRange"].Components[0]);
        Assert.False(node.Once);
    }

    [Fact]
    public void Deserialize_SeedTransitionNode_ReadsEveryField()
    {
        var node = TestTemplates.SeedTransition;

        Assert.Equal("溶解", node.Name);
        Assert.Equal(NodeType.Transition, node.Type);
        Assert.Equal(0.5, node.Duration);
        Assert.Equal(12, node.Shader.Uniforms.Count);
        Assert.Equal(1.04, node.Shader.Uniforms["u_FirstScaleBegin"].Components[0]);
    }

    [Fact]
    public void Deserialize_SeedStickerTracks_ReadsShaderTrackWithPopImage()
    {
        var track = Assert.Single(TestTemplates.SeedTracks);
        var item = Assert.Single(track.List);

        Assert.Equal(TrackType.ShaderTrack, track.Type);
        Assert.Equal("PopImage", item.Type);
        Assert.Equal(0, item.Position);
        Assert.Equal(3600, item.Duration);
        Assert.Equal(JsonValueKind.Object, item.Data!.Value.ValueKind);
        Assert.Equal("a_Position", item.Shader.VertexCoordinatesName);
        var region = item.Shader.VertexCoordinatesValue!;
        Assert.Equal((0, 0, 1, 1), (region.X, region.Y, region.Width, region.Height));
        Assert.Equal(new Dp(8), region.Rect!.Top);
        Assert.Equal(new Dp(8), region.Rect.Right);
        Assert.Equal(new Dp(60), region.Rect.Width);
        Assert.Equal(new Dp(24), region.Rect.Height);
        Assert.Null(region.Rect.Bottom);
        var image = Assert.Single(item.Shader.Images);
        Assert.Equal("a_FirstTexCoord", image.TextureCoordinatesName);
        Assert.Equal("u_FirstTexture", image.TextureName);
        Assert.Equal("https://gw.alicdn.com/tfs/TB1QOt3nIVl614jSZKPXXaGjpXa-120-48.png", image.ImageUrl);
        Assert.Equal(4, item.Shader.Uniforms.Count);
    }

    [Theory]
    [InlineData(nameof(SeedExamples.ImageNode))]
    [InlineData(nameof(SeedExamples.TransitionNode))]
    public void Serialize_SeedNode_RoundTripsToTheSameJson(string example)
    {
        var json = example == nameof(SeedExamples.ImageNode) ? SeedExamples.ImageNode : SeedExamples.TransitionNode;

        var written = JsonSerializer.Serialize(JsonSerializer.Deserialize<TemplateNode>(json, TemplateJson.Options), TemplateJson.Options);

        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(json), JsonNode.Parse(written)), written);
    }

    [Fact]
    public void Serialize_SeedStickerTracks_RoundTripsToTheSameJson()
    {
        var json = "{" + SeedExamples.StickerTracks + "}";

        var written = JsonSerializer.Serialize(new Dictionary<string, IReadOnlyList<TemplateTrack>> { ["tracks"] = TestTemplates.SeedTracks }, TemplateJson.Options);

        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(json), JsonNode.Parse(written)), written);
        Assert.Contains("\"vertexURL\"", written, StringComparison.Ordinal);
        Assert.Contains("\"imageURL\"", written, StringComparison.Ordinal);
        Assert.Contains("\"top\":\"8dp\"", written, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_TemplateOfSeedNodes_ParsesValidatesAndRoundTrips()
    {
        var json = TestTemplates.SeedTemplateJson();

        var parsed = TemplateJson.Parse(json);

        Assert.True(parsed.IsValid, string.Join("; ", parsed.Errors));
        Assert.Empty(TemplateValidator.Validate(parsed.Template!));
        Assert.Equal(5, parsed.Template!.Nodes.Count);
        var again = TemplateJson.Parse(TemplateJson.SerializeToUtf8Bytes(parsed.Template));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(json), JsonNode.Parse(TemplateJson.SerializeToUtf8Bytes(again.Template!))));
    }

    [Theory]
    [InlineData("\"type\":\"image\"", "\"type\":\"video\"", "nodes[2].type")]
    [InlineData("\"type\":\"image\"", "\"type\":1", "nodes[2].type")]
    [InlineData("\"duration\":2.0", "\"duration\":\"2\"", "nodes[2].duration")]
    [InlineData("\"name\":\"放大\"", "\"name\":\"放大\",\"colour\":1", "nodes[2].colour")]
    [InlineData("\"type\":\"ShaderTrack\"", "\"type\":\"AudioTrack\"", "tracks[0].type")]
    [InlineData("\"top\":\"8dp\"", "\"top\":\"8px\"", "tracks[0].list[0].shader.vertexCoordinatesValue.rect.top")]
    [InlineData("\"u_MoveX\":0", "\"u_MoveX\":\"zero\"", "tracks[0].list[0].shader.uniforms.u_MoveX")]
    public void Parse_WrongShape_ReportsThePath(string find, string replace, string path)
    {
        var json = TestTemplates.SeedTemplateJson();
        var at = IndexOfNth(json, find, find.Contains("image", StringComparison.Ordinal) || find.Contains("放大", StringComparison.Ordinal) || find.Contains("2.0", StringComparison.Ordinal) ? 2 : 1);
        json = json[..at] + replace + json[(at + find.Length)..];

        var parsed = TemplateJson.Parse(json);

        Assert.Null(parsed.Template);
        Assert.Equal(path, Assert.Single(parsed.Errors).Path);
    }

    [Fact]
    public void Parse_MissingRequiredField_ReportsIt()
    {
        var parsed = TemplateJson.Parse("{\"id\":\"x\",\"nodes\":[]}");

        Assert.Null(parsed.Template);
        Assert.Contains("name", Assert.Single(parsed.Errors).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_DeepNesting_IsRejected()
    {
        var json = "{\"id\":\"x\",\"name\":\"x\",\"nodes\":[{\"name\":\"a\",\"type\":\"image\",\"duration\":1,\"shader\":{\"vertexURL\":\"https://a/b\",\"fragmentURL\":\"https://a/b\",\"uniforms\":{}}}],"
            + "\"tracks\":[{\"type\":\"ShaderTrack\",\"list\":[{\"type\":\"P\",\"position\":0,\"duration\":1,\"shader\":{\"vertexURL\":\"https://a/b\",\"fragmentURL\":\"https://a/b\"},\"data\":"
            + string.Concat(Enumerable.Repeat("{\"a\":", 40)) + "1" + new string('}', 40) + "}]}]}";

        var parsed = TemplateJson.Parse(json);

        Assert.Null(parsed.Template);
        Assert.Contains("depth", Assert.Single(parsed.Errors).Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Parse_NotJson_ReportsLine()
    {
        var parsed = TemplateJson.Parse("{\"id\":");

        Assert.Null(parsed.Template);
        Assert.Single(parsed.Errors);
    }

    private static int IndexOfNth(string text, string value, int n)
    {
        var index = -1;
        for (var i = 0; i < n; i++)
        {
            index = text.IndexOf(value, index + 1, StringComparison.Ordinal);
        }

        return index;
    }
}
