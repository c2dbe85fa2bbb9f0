using Serverless.Templates.Protocol;

namespace Serverless.UnitTests.Templates;

public sealed class TemplateValidatorTests
{
    private static readonly TemplateNode I = TestTemplates.Node(NodeType.Image, "img", 2);
    private static readonly TemplateNode T = TestTemplates.Node(NodeType.Transition, "tr", 0.5);

    [Fact]
    public void Validate_NaNUniform_NamesThePath()
    {
        var json = TestTemplates.SeedTemplateJson().Replace("\"u_FirstScaleBegin\":1.04", "\"u_FirstScaleBegin\":\"NaN\"", StringComparison.Ordinal);
        var template = TemplateJson.Parse(json).Template!;

        var errors = TemplateValidator.Validate(template);

        Assert.Contains(errors, e => e.ToString() == "nodes[1].shader.uniforms.u_FirstScaleBegin: NaN");
        Assert.Contains(errors, e => e.ToString() == "nodes[3].shader.uniforms.u_FirstScaleBegin: NaN");
    }

    [Fact]
    public void Validate_CoordinateOutsideUnitRange_NamesThePath()
    {
        var json = TestTemplates.SeedTemplateJson().Replace("\"x\":0,\n\"y\":0,\n\"width\":1,\n\"height\":1,\n\"rect\"", "\"x\":0,\n\"y\":0,\n\"width\":1.5,\n\"height\":1,\n\"rect\"", StringComparison.Ordinal);

        var errors = TemplateValidator.Validate(TemplateJson.Parse(json).Template!);

        Assert.Equal("tracks[0].list[0].shader.vertexCoordinatesValue.width", Assert.Single(errors).Path);
    }

    [Theory]
    [InlineData("http://cdn.example.com/a.vert")]
    [InlineData("/shaders/a.vert")]
    [InlineData("ftp://cdn.example.com/a.vert")]
    [InlineData("https://user:pw@cdn.example.com/a.vert")]
    public void Validate_ShaderUrlNotAbsoluteHttps_IsRejected(string url)
    {
        var node = new TemplateNode { Name = "x", Type = NodeType.Image, Duration = 1, Shader = new NodeShader { VertexUrl = url, FragmentUrl = "https://cdn.example.com/a.frag" } };

        var errors = TemplateValidator.Validate(TestTemplates.Template([node], loop: false));

        Assert.Equal("nodes[0].shader.vertexURL", Assert.Single(errors).Path);
    }

    [Theory]
    [InlineData(-1.0)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(double.NaN)]
    public void Validate_BadDuration_IsRejected(double duration)
    {
        var errors = TemplateValidator.Validate(TestTemplates.Template([I, TestTemplates.Node(NodeType.Transition, "t", duration), I], loop: false));

        Assert.Equal("nodes[1].duration", Assert.Single(errors).Path);
    }

    [Fact]
    public void Validate_ZeroDurationTransition_IsAllowed() =>
        Assert.Empty(TemplateValidator.Validate(TestTemplates.Template([I, TestTemplates.Node(NodeType.Transition, "cut", 0), I], loop: false)));

    [Fact]
    public void Validate_StartsWithTransition_BreaksPlayProtocol()
    {
        var errors = TemplateValidator.Validate(TestTemplates.Template([T, I], loop: false, max: 1));

        Assert.Contains(errors, e => e.Path == "nodes[0].type");
    }

    [Fact]
    public void Validate_NonLoopEndingWithTransition_BreaksPlayProtocol()
    {
        var errors = TemplateValidator.Validate(TestTemplates.Template([I, T], loop: false));

        Assert.Equal("nodes[1].type", Assert.Single(errors).Path);
    }

    [Fact]
    public void Validate_TwoImagesWithoutTransition_BreaksPlayProtocol()
    {
        var errors = TemplateValidator.Validate(TestTemplates.Template([I, T, I, I], loop: false));

        Assert.Equal("nodes[3].type", Assert.Single(errors).Path);
    }

    [Fact]
    public void Validate_LoopEndingWithTransition_IsAllowed() =>
        Assert.Empty(TemplateValidator.Validate(TestTemplates.Template([I, T], loop: true)));

    [Fact]
    public void Validate_LoopWhoseRepeatingPartHasNoTransition_IsRejected()
    {
        var errors = TemplateValidator.Validate(TestTemplates.Template([I, TestTemplates.Node(NodeType.Transition, "t", 1, once: true), I], loop: true));

        Assert.Equal("nodes", Assert.Single(errors).Path);
    }

    [Fact]
    public void Validate_NonLoopAskingForMoreImagesThanNodes_IsRejected()
    {
        var errors = TemplateValidator.Validate(TestTemplates.Template([I, T, I], loop: false, max: 3));

        Assert.Equal("maxImageCount", Assert.Single(errors).Path);
    }

    [Theory]
    [InlineData(false, null, 4, "maxImageCount", "a template that does not loop shows at most its 3 image node(s)")]
    [InlineData(false, 4, null, "minImageCount", "a template that does not loop shows at most its 3 image node(s)")]
    [InlineData(false, 3, 2, "maxImageCount", "must be at least minImageCount (3)")]
    [InlineData(true, 5, 3, "maxImageCount", "must be at least minImageCount (5)")]
    [InlineData(true, null, TemplateLimits.MaxImageCount + 1, "maxImageCount", "must be at most 500")]
    [InlineData(true, TemplateLimits.MaxImageCount + 1, null, "minImageCount", "must be at most 500")]
    [InlineData(true, 0, null, "minImageCount", "must be at least 1")]
    [InlineData(true, null, 0, "maxImageCount", "must be at least 1")]
    public void Validate_ImageCountsContradictingTheTemplate_AreRejectedWithThePath(bool loop, int? min, int? max, string path, string message)
    {
        var nodes = loop ? new[] { I, T } : [I, T, I, T, I];

        var error = Assert.Single(TemplateValidator.Validate(TestTemplates.Template(nodes, loop, min, max)));

        Assert.Equal(new TemplateError(path, message), error);
    }

    [Theory]
    [InlineData(false, null, null)]
    [InlineData(false, 2, null)]
    [InlineData(false, null, 3)]
    [InlineData(false, 3, 3)]
    [InlineData(true, null, null)]
    [InlineData(true, 20, null)]
    [InlineData(true, null, 2)]
    [InlineData(true, 1, TemplateLimits.MaxImageCount)]
    public void Validate_ImageCountsWithinTheTemplate_AreAccepted(bool loop, int? min, int? max)
    {
        var nodes = loop ? new[] { I, T } : [I, T, I, T, I];

        Assert.Empty(TemplateValidator.Validate(TestTemplates.Template(nodes, loop, min, max)));
    }

    [Fact]
    public void Validate_TooManyNodes_IsRejectedWithoutWalkingThem()
    {
        var nodes = Enumerable.Range(0, TemplateLimits.MaxNodes + 1).Select(i => i % 2 == 0 ? I : T).ToList();

        var errors = TemplateValidator.Validate(TestTemplates.Template(nodes, loop: true));

        Assert.Equal("nodes", Assert.Single(errors).Path);
    }

    [Fact]
    public void Resources_SeedTemplate_ListsShadersImagesAndMusic()
    {
        var template = TemplateJson.Parse(TestTemplates.SeedTemplateJson()).Template!;

        var resources = TemplateValidator.Resources(template).ToList();

        Assert.Contains(resources, r => r is { Path: "music.url", Kind: ResourceKind.Music });
        Assert.Contains(resources, r => r is { Path: "tracks[0].list[0].shader.images[0].imageURL", Kind: ResourceKind.Image });
        Assert.Equal(6, resources.Where(r => r.Kind == ResourceKind.Shader).Select(r => r.Url).Distinct().Count());
    }
}
