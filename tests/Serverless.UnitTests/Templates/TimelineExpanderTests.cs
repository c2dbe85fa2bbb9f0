using Serverless.Templates.Protocol;
using Serverless.Templates.Timeline;

namespace Serverless.UnitTests.Templates;

public sealed class TimelineExpanderTests
{
    private static TemplateNode I(string name, double d = 2, bool once = false) => TestTemplates.Node(NodeType.Image, name, d, once);

    private static TemplateNode T(string name, double d = 0.5, bool once = false) => TestTemplates.Node(NodeType.Transition, name, d, once);

    [Fact]
    public void Expand_NonLoop_PlaysNodesInOrderWithStartTimes()
    {
        var timeline = TimelineExpander.Expand(TestTemplates.Template([I("a"), T("x"), I("b")], loop: false), 2);

        Assert.Equal(["a", "x", "b"], timeline.Nodes.Select(n => n.Name));
        Assert.Equal([0, 2, 2.5], timeline.Nodes.Select(n => n.Start));
        Assert.Equal([0, null, 1], timeline.Nodes.Select(n => n.ImageIndex));
        Assert.Equal(4.5, timeline.Duration);
    }

    [Fact]
    public void Expand_LoopWithOnceIntro_SkipsOnceNodesAfterFirstPass()
    {
        // intro(once) ~fade(once) a ~x b ~y  →  intro fade a x b y | a x b y | …
        var template = TestTemplates.Template([I("intro", once: true), T("fade", once: true), I("a"), T("x"), I("b"), T("y")], loop: true);

        var timeline = TimelineExpander.Expand(template, 5);

        Assert.Equal(["intro", "fade", "a", "x", "b", "y", "a", "x", "b"], timeline.Nodes.Select(n => n.Name));
        Assert.Equal([0, 0, 0, 1, 1], timeline.Nodes.Select(n => n.Pass).Where((_, i) => i % 2 == 0));
    }

    [Fact]
    public void Expand_LoopEndingWithImage_SkipsTheRepeatedHeadImage()
    {
        // a ~x b  →  a x b | (a skipped: next to b) x b | x b
        var timeline = TimelineExpander.Expand(TestTemplates.Template([I("a"), T("x"), I("b")], loop: true), 4);

        Assert.Equal(["a", "x", "b", "x", "b", "x", "b"], timeline.Nodes.Select(n => n.Name));
    }

    [Fact]
    public void Expand_SkipMakesTransitionsAdjacent_SkipsAgain()
    {
        // a ~x b(once) ~y  →  a x b y | a x (b skipped: once) (y skipped: next to x) | a
        var timeline = TimelineExpander.Expand(TestTemplates.Template([I("a"), T("x"), I("b", once: true), T("y")], loop: true), 4);

        Assert.Equal(["a", "x", "b", "y", "a", "x", "a"], timeline.Nodes.Select(n => n.Name));
    }

    [Fact]
    public void Expand_FewerImagesThanFirstPass_EndsOnTheLastImage()
    {
        var timeline = TimelineExpander.Expand(TestTemplates.Template([I("a"), T("x"), I("b"), T("y"), I("c")], loop: false, max: 3), 1);

        Assert.Equal(["a"], timeline.Nodes.Select(n => n.Name));
    }

    [Fact]
    public void Expand_StickerLongerThanTimeline_IsClipped()
    {
        var template = TestTemplates.Template([TestTemplates.SeedImage, TestTemplates.SeedTransition, TestTemplates.SeedImage], loop: false, tracks: TestTemplates.SeedTracks);

        var timeline = TimelineExpander.Expand(template, 2);

        Assert.Equal(4.5, timeline.Duration);
        Assert.Equal(4.5, Assert.Single(Assert.Single(timeline.Tracks).List).Duration);
    }

    [Fact]
    public void Expand_StickerStartingAfterTheEnd_IsDropped()
    {
        var late = new TrackItem { Type = "PopImage", Position = 100, Duration = 1, Shader = TestTemplates.SeedTracks[0].List[0].Shader };
        var template = TestTemplates.Template([I("a")], loop: false, tracks: [new TemplateTrack { Type = TrackType.ShaderTrack, List = [late] }]);

        Assert.Empty(TimelineExpander.Expand(template, 1).Tracks);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(TemplateLimits.MaxImageCount + 1)]
    public void Expand_ImageCountOutOfRange_Throws(int count) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => TimelineExpander.Expand(TestTemplates.Template([I("a"), T("x")], loop: true), count));

    [Theory]
    [InlineData(2)]
    [InlineData(20)]
    [InlineData(TemplateLimits.MaxImageCount)]
    public void Expand_LoopWithoutMaxImageCount_ShowsAnyNumberUpToTheProtocolLimit(int count)
    {
        var template = TemplateJson.Parse(TestTemplates.SeedTemplateJson(loop: true, imageCounts: false)).Template!;
        Assert.Empty(TemplateValidator.Validate(template));

        var timeline = TimelineExpander.Expand(template, count);

        Assert.Equal(count, timeline.ImageCount);
        Assert.Equal(Enumerable.Range(0, count).Cast<int?>(), timeline.Nodes.Where(n => n.Type == NodeType.Image).Select(n => n.ImageIndex));
        Assert.Equal(NodeType.Image, timeline.Nodes[^1].Type);
    }

    [Fact]
    public void Expand_LoopWithoutMaxImageCountAboveTheLimit_ThrowsNamingTheRange()
    {
        var template = TemplateJson.Parse(TestTemplates.SeedTemplateJson(loop: true, imageCounts: false)).Template!;

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => TimelineExpander.Expand(template, TemplateLimits.MaxImageCount + 1));

        Assert.Contains($"shows 1-{TemplateLimits.MaxImageCount} images", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1, true)]
    [InlineData(3, true)]
    [InlineData(4, false)]
    public void Supports_NonLoopWithoutImageCounts_ShowsUpToItsImageNodes(int count, bool expected)
    {
        var template = TemplateJson.Parse(TestTemplates.SeedTemplateJson(images: 3, imageCounts: false)).Template!;
        Assert.Empty(TemplateValidator.Validate(template));

        Assert.Equal(expected, TimelineExpander.Supports(template, count));
        if (expected)
        {
            Assert.Equal(count, TimelineExpander.Expand(template, count).ImageCount);
        }
        else
        {
            Assert.Throws<ArgumentOutOfRangeException>(() => TimelineExpander.Expand(template, count));
        }
    }

    [Theory]
    [InlineData(2, false)]
    [InlineData(3, true)]
    [InlineData(10, true)]
    [InlineData(11, false)]
    public void Supports_ExplicitImageCounts_Win(int count, bool expected) =>
        Assert.Equal(expected, TimelineExpander.Supports(TestTemplates.Template([I("a"), T("x")], loop: true, min: 3, max: 10), count));

    /// <summary>
    /// Property test over thousands of random valid loop templates and image counts: the timeline starts and ends with an
    /// image, alternates image/transition, shows exactly N images in order, plays <c>once</c> nodes on the first pass only,
    /// starts each node where the previous ended, and clips stickers to its duration.
    /// </summary>
    [Fact]
    public void Expand_RandomLoopTemplates_ObeyPlayProtocol()
    {
        var random = new Random(20240504);
        for (var run = 0; run < 3000; run++)
        {
            var template = TestTemplates.RandomLoop(random, $"loop-{run}");
            Assert.Empty(TemplateValidator.Validate(template));
            var sticker = new TrackItem { Type = "PopImage", Position = Math.Round(random.NextDouble() * 20, 2), Duration = random.Next(1, 4000), Shader = TestTemplates.SeedTracks[0].List[0].Shader };
            template = TestTemplates.Template(template.Nodes, loop: true, id: template.Id, tracks: [new TemplateTrack { Type = TrackType.ShaderTrack, List = [sticker] }]);
            var n = run % 10 == 0 ? random.Next(1, TemplateLimits.MaxImageCount + 1) : random.Next(1, 40);

            var timeline = TimelineExpander.Expand(template, n);

            var nodes = timeline.Nodes;
            var context = $"run {run}, N={n}, template [{string.Join(" ", template.Nodes.Select(x => (x.Type == NodeType.Image ? "I" : "T") + (x.Once ? "*" : string.Empty)))}]";
            Assert.True(nodes[0].Type == NodeType.Image, context);
            Assert.True(nodes[^1].Type == NodeType.Image, context);
            for (var i = 1; i < nodes.Count; i++)
            {
                Assert.True(nodes[i].Type != nodes[i - 1].Type, context);
                Assert.Equal(nodes[i - 1].Start + nodes[i - 1].Duration, nodes[i].Start, 9);
            }

            Assert.Equal(Enumerable.Range(0, n).Cast<int?>(), nodes.Where(x => x.Type == NodeType.Image).Select(x => x.ImageIndex));
            Assert.All(nodes.Where(x => x.Type == NodeType.Transition), x => Assert.Null(x.ImageIndex));
            Assert.DoesNotContain(nodes, x => x.Pass > 0 && template.Nodes[x.Node].Once);
            Assert.All(nodes, x => Assert.Equal(template.Nodes[x.Node].Name, x.Name));
            Assert.Equal(nodes[^1].Start + nodes[^1].Duration, timeline.Duration, 9);
            Assert.All(timeline.Tracks.SelectMany(t => t.List), item => Assert.True(item.Position < timeline.Duration && item.Position + item.Duration <= timeline.Duration + 1e-9, context));

            // First pass plays the template as written, up to the N-th image.
            var firstPass = nodes.TakeWhile(x => x.Pass == 0).Select(x => x.Node).ToList();
            Assert.Equal(Enumerable.Range(0, firstPass.Count), firstPass);
        }
    }

    [Fact]
    public void Expand_RandomNonLoopTemplates_ObeyPlayProtocol()
    {
        var random = new Random(7);
        for (var run = 0; run < 1000; run++)
        {
            var images = random.Next(1, 10);
            var nodes = Enumerable.Range(0, images * 2 - 1).Select(i => i % 2 == 0 ? I($"i{i}") : T($"t{i}", random.Next(2) * 0.5)).ToList();
            var template = TestTemplates.Template(nodes, loop: false);
            Assert.Empty(TemplateValidator.Validate(template));
            var n = random.Next(1, images + 1);

            var timeline = TimelineExpander.Expand(template, n);

            Assert.Equal(n * 2 - 1, timeline.Nodes.Count);
            Assert.Equal(NodeType.Image, timeline.Nodes[^1].Type);
            Assert.Equal(Enumerable.Range(0, n * 2 - 1), timeline.Nodes.Select(x => x.Node));
        }
    }
}
