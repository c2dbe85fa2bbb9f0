using System.Text.Json;
using Serverless.Rendering;
using Serverless.Templates.Protocol;
using Serverless.Templates.Timeline;

using Serverless.UnitTests.Templates;

namespace Serverless.UnitTests.Rendering;

public sealed class RenderPlannerTests
{
    private static readonly RenderCanvas Canvas = RenderCanvas.For("9:16", 720, 30);

    [Theory]
    [InlineData("9:16", 720, 720, 1280)]
    [InlineData("16:9", 720, 1280, 720)]
    [InlineData("1:1", 540, 540, 540)]
    [InlineData("3:4", 360, 360, 480)]
    [InlineData("nonsense", 720, 720, 1280)]
    [InlineData("1:100", 720, 720, 1280)]
    public void Canvas_FollowsTheAspectRatio_OnTheShortSide(string ratio, int shortSide, int width, int height)
    {
        var canvas = RenderCanvas.For(ratio, shortSide, 30);
        Assert.Equal((width, height), (canvas.Width, canvas.Height));
    }

    [Fact]
    public void SeedTemplate_SegmentsCoverEveryFrameInOrder_AndTransitionsKnowTheirImages()
    {
        var template = Parse(TestTemplates.SeedTemplateJson(images: 3));
        var timeline = TimelineExpander.Expand(template, 3);

        var (plan, unsupported) = RenderPlanner.Plan(timeline, Canvas);

        Assert.Empty(unsupported);
        Assert.NotNull(plan);
        Assert.Equal(Canvas.FrameAt(timeline.Duration), plan.TotalFrames);
        AssertContiguous(plan);
        Assert.Collection(plan.Segments,
            s => Assert.Equal(0, Assert.IsType<ImageSegment>(s).ImageIndex),
            s => Assert.Equal((0, 1), (Assert.IsType<TransitionSegment>(s).FromImage, ((TransitionSegment)s).ToImage)),
            s => Assert.Equal(1, Assert.IsType<ImageSegment>(s).ImageIndex),
            s => Assert.Equal((1, 2), (Assert.IsType<TransitionSegment>(s).FromImage, ((TransitionSegment)s).ToImage)),
            s => Assert.Equal(2, Assert.IsType<ImageSegment>(s).ImageIndex));
        var image = (ImageSegment)plan.Segments[0];
        Assert.Equal(new Motion(1.0, 0.04, 0, 0, 0, 0), image.Motion);
        Assert.Equal(1.04, ((TransitionSegment)plan.Segments[1]).From.ScaleBegin);
        Assert.Equal("https://cdn.example.com/music/limelight.m4a", plan.Music?.Url);
    }

    [Fact]
    public void RandomLoopTemplates_FramesAddUpToTheTimeline_WithinOneFrame()
    {
        var random = new Random(20261205);
        for (var run = 0; run < 200; run++)
        {
            var template = Renderable(TestTemplates.RandomLoop(random));
            var images = random.Next(1, 30);
            var timeline = TimelineExpander.Expand(template, images);

            var (plan, unsupported) = RenderPlanner.Plan(timeline, Canvas);

            Assert.Empty(unsupported);
            AssertContiguous(plan!);
            Assert.InRange(plan!.DurationSeconds, timeline.Duration - (1.0 / 30), timeline.Duration + (1.0 / 30));
            var shown = plan.Segments.OfType<ImageSegment>().Select(s => s.ImageIndex).ToHashSet();
            foreach (var node in timeline.Nodes.Where(n => n.Type == NodeType.Image && Canvas.FrameAt(n.Start + n.Duration) > Canvas.FrameAt(n.Start)))
            {
                Assert.Contains(node.ImageIndex!.Value, shown);
            }
        }
    }

    [Fact]
    public void UnknownEffects_AreNamedWithTheirNode_AllOfThem()
    {
        var template = Parse(TestTemplates.SeedTemplateJson(images: 2));
        var nodes = template.Nodes.ToList();
        nodes[1] = TestTemplates.Node(NodeType.Transition, "翻页", 0.5);
        var timeline = TimelineExpander.Expand(TestTemplates.Template(nodes, loop: false, tracks: template.Tracks), 2);

        var (plan, unsupported) = RenderPlanner.Plan(timeline, Canvas);

        Assert.Null(plan);
        var problem = Assert.Single(unsupported);
        Assert.Equal(("nodes[1]", "翻页", "翻页"), (problem.Where, problem.Name, problem.Effect));
        Assert.Contains(RenderEffects.Mix2, problem.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void AnimatedStickers_AndOtherStickerKinds_AreRefused_NamingTheTrackItem()
    {
        var template = Parse(TestTemplates.SeedTemplateJson(images: 1));
        var item = template.Tracks[0].List[0];
        var animated = new TrackItem
        {
            Type = item.Type,
            Position = 0,
            Duration = 1,
            Shader = new TrackShader
            {
                VertexUrl = item.Shader.VertexUrl,
                FragmentUrl = item.Shader.FragmentUrl,
                Images = item.Shader.Images,
                Uniforms = new Dictionary<string, UniformValue> { ["u_VertexScaleRange"] = new(0.2) },
            },
        };
        var other = new TrackItem { Type = "Text", Position = 0, Duration = 1, Shader = item.Shader };
        var tracks = new[] { new TemplateTrack { Type = TrackType.ShaderTrack, List = [item, animated, other] } };
        var timeline = TimelineExpander.Expand(TestTemplates.Template(template.Nodes, loop: false, tracks: tracks), 1);

        var (_, unsupported) = RenderPlanner.Plan(timeline, Canvas);

        Assert.Equal(["tracks[0].list[1]", "tracks[0].list[2]"], unsupported.Select(u => u.Where));
        Assert.Contains("u_VertexScaleRange", unsupported[0].Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Sticker_IsPlacedByItsDpRectangle_OnA375DpWideCanvas()
    {
        // The seed's PopImage: top 8dp, right 8dp, 60dp × 24dp, over the whole region; shown from 0 "for an hour".
        var template = Parse(TestTemplates.SeedTemplateJson(images: 2));
        var timeline = TimelineExpander.Expand(template, 2);

        var (plan, _) = RenderPlanner.Plan(timeline, Canvas);

        var sticker = Assert.Single(plan!.Stickers);
        var dp = 720 / 375.0;
        Assert.Equal(116, sticker.Width);
        Assert.Equal(46, sticker.Height);
        Assert.InRange(sticker.X + sticker.Width, 720 - (8 * dp) - 1, 720 - (8 * dp) + 1);
        Assert.InRange(sticker.Y, (8 * dp) - 1, (8 * dp) + 1);
        Assert.Equal((0L, plan.TotalFrames), (sticker.StartFrame, sticker.EndFrame));
    }

    [Theory]
    [InlineData("https://cdn.example.com/ShaderV2/ImageEffect_Move2_V2/ImageEffect_Move2_V2.frag?v=2", "ImageEffect_Move2_V2")]
    [InlineData("PopImageV3.frag", "PopImageV3")]
    [InlineData("https://cdn.example.com/shaders/", "")]
    public void EffectName_IsTheFragmentShadersFileName(string url, string name) => Assert.Equal(name, RenderEffects.NameOf(url));

    private static void AssertContiguous(RenderPlan plan)
    {
        var next = 0L;
        foreach (var segment in plan.Segments)
        {
            Assert.Equal(next, segment.StartFrame);
            Assert.True(segment.FrameCount > 0);
            next += segment.FrameCount;
        }

        Assert.Equal(plan.TotalFrames, next);
    }

    /// <summary>The template with the effects the server renders on its nodes.</summary>
    private static MotionTemplate Renderable(MotionTemplate template) => TestTemplates.Template(
        [.. template.Nodes.Select(n => new TemplateNode
        {
            Name = n.Name,
            Type = n.Type,
            Duration = n.Duration,
            Once = n.Once,
            Shader = (n.Type == NodeType.Image ? TestTemplates.SeedImage : TestTemplates.SeedTransition).Shader,
        })],
        template.Loop,
        id: template.Id);

    private static MotionTemplate Parse(string json) => JsonSerializer.Deserialize<MotionTemplate>(json, TemplateJson.Options)!;
}
