using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Serverless.IntegrationTests.Infrastructure;
using Serverless.Rendering;
using Serverless.Templates.Protocol;
using Serverless.Templates.Timeline;
using static Serverless.IntegrationTests.Rendering.VideoMeasure;

namespace Serverless.IntegrationTests.Rendering;

/// <summary>
/// Renders templates with colour-coded images through real ffmpeg and measures the output: each image node's middle frame
/// has its image's colour, a dissolve's middle frame is halfway, a sticker is there inside its window only, the video is the
/// timeline's length to the frame, and the music runs under it all and fades out.
/// </summary>
public sealed class TemplateRenderTests : IDisposable
{
    private const int FrameRate = 30;
    private static readonly RenderCanvas Canvas = RenderCanvas.For("9:16", 360, FrameRate);
    private static readonly (byte R, byte G, byte B)[] Colours = [(230, 30, 30), (30, 200, 40), (40, 50, 220), (230, 200, 40), (200, 40, 200)];
    private const string StickerUrl = "https://gw.alicdn.com/tfs/TB1QOt3nIVl614jSZKPXXaGjpXa-120-48.png";

    private readonly string _folder = Directory.CreateTempSubdirectory("render-").FullName;
    private readonly ServiceProvider _services;

    public TemplateRenderTests()
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Media:FfmpegPath"] = TestClips.FfmpegPath });
        builder.AddTemplateRenderer();
        _services = builder.Services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });
    }

    private ITemplateRenderer Renderer => _services.GetRequiredService<ITemplateRenderer>();

    [Fact]
    public async Task Dissolves_EachImageNodeShowsItsImage_AndEachDissolveIsHalfwayAtItsMiddle()
    {
        var timeline = TimelineExpander.Expand(SampleTemplate("seed-transition"), 3);
        var (output, plan) = await RenderAsync(timeline);

        Assert.Equal(Canvas.FrameAt(timeline.Duration), await CountFramesAsync(output));
        Assert.InRange(await DurationAsync(output), timeline.Duration - (1.0 / FrameRate), timeline.Duration + (1.0 / FrameRate));
        foreach (var segment in plan.Segments)
        {
            var middle = segment.StartFrame + (segment.FrameCount / 2);
            var seen = await MeanColourAsync(output, middle, centre: true);
            var expected = segment switch
            {
                ImageSegment image => Colours[image.ImageIndex],
                TransitionSegment t => Halfway(Colours[t.FromImage], Colours[t.ToImage]),
                _ => throw new InvalidOperationException(),
            };
            AssertColour(expected, seen, $"{segment.GetType().Name} of node {segment.Node} at frame {middle}");
        }
    }

    [Fact]
    public async Task Sticker_IsThereInsideItsWindow_AndNotOutside()
    {
        var template = SampleTemplate("seed-sticker");
        var item = template.Tracks[0].List[0];
        template = With(template, tracks: [new TemplateTrack
        {
            Type = TrackType.ShaderTrack,
            List = [new TrackItem { Type = item.Type, Position = 1.0, Duration = 1.5, Data = item.Data, Shader = item.Shader }],
        }]);
        var timeline = TimelineExpander.Expand(template, 3);
        var (output, plan) = await RenderAsync(timeline);

        var sticker = Assert.Single(plan.Stickers);
        Assert.Equal((30L, 75L), (sticker.StartFrame, sticker.EndFrame));
        Assert.True(sticker.X + sticker.Width <= Canvas.Width && sticker.Y >= 0, $"the box {sticker} is on the canvas, top right");
        var white = (R: (byte)255, G: (byte)255, B: (byte)255);
        foreach (var frame in new long[] { 31, 50, 73 })
        {
            AssertColour(white, await MeanColourAsync(output, frame, box: sticker), $"sticker at frame {frame}");
        }

        // Frames 0–29 show image 0 and 75.. the dissolve: the box holds the picture, not the sticker.
        AssertColour(Colours[0], await MeanColourAsync(output, 15, box: sticker), "no sticker at frame 15");
        Assert.NotEqual(white, await MeanColourAsync(output, 90, box: sticker));
    }

    [Fact]
    public async Task Music_RunsUnderTheWholeVideo_LoopedAndFadedOutAtTheEnd()
    {
        var template = With(SampleTemplate("seed-transition"), music: new MusicReference { Url = "https://music.example/tune.m4a", Duration = 1.5 });
        var timeline = TimelineExpander.Expand(template, 2);
        var music = Path.Combine(_folder, "tune.m4a");
        await TestClips.RunFfmpegAsync(["-y", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", "1.5", "-c:a", "aac", music]);
        var (output, _) = await RenderAsync(timeline, music);

        var samples = await DecodeAudioAsync(output);
        var seconds = samples.Length / 8000.0;
        Assert.InRange(seconds, timeline.Duration - 0.1, timeline.Duration + 0.1);
        var loud = Rms(samples, 2.0, 2.2);
        Assert.True(loud > 0.05, $"the tune is heard after its own 1.5 s (looped): rms {loud:F3}");
        Assert.True(Rms(samples, timeline.Duration - 1.0, timeline.Duration - 0.9) > 0.5 * loud, "the fade starts in the last second");
        var end = Rms(samples, timeline.Duration - 0.12, timeline.Duration - 0.02);
        Assert.True(end < 0.2 * loud, $"faded out at the end: rms {end:F3} vs {loud:F3}");
    }

    [Theory]
    [InlineData("seed-image", 1)]
    [InlineData("seed-transition", 3)]
    [InlineData("seed-sticker", 2)]
    [InlineData("seed-loop", 5)]
    public async Task EverySampleTemplate_Renders_FrameExact(string id, int images)
    {
        var timeline = TimelineExpander.Expand(SampleTemplate(id), images);
        var (output, plan) = await RenderAsync(timeline);

        Assert.Equal(plan.TotalFrames, await CountFramesAsync(output));
        var last = plan.Segments[^1];
        Assert.Equal(plan.TotalFrames, last.StartFrame + last.FrameCount);
        var lastImage = Assert.IsType<ImageSegment>(last);
        AssertColour(Colours[lastImage.ImageIndex], await MeanColourAsync(output, plan.TotalFrames - 2, centre: true), $"{id}: last frame");
    }

    private async Task<(string Output, RenderPlan Plan)> RenderAsync(TemplateTimeline timeline, string? music = null)
    {
        var (plan, unsupported) = RenderPlanner.Plan(timeline, Canvas);
        Assert.Empty(unsupported);
        Assert.NotNull(plan);
        var images = new List<string>();
        for (var i = 0; i < timeline.ImageCount; i++)
        {
            // Shapes differ so cover-fitting is exercised: landscape, portrait, square.
            var size = (i % 3) switch { 0 => "640x480", 1 => "480x640", _ => "300x300" };
            var path = Path.Combine(_folder, $"image{i}.png");
            var (r, g, b) = Colours[i % Colours.Length];
            await TestClips.RunFfmpegAsync(["-y", "-f", "lavfi", "-i", $"color=c=0x{r:x2}{g:x2}{b:x2}:s={size}", "-frames:v", "1", path]);
            images.Add(path);
        }

        var sticker = Path.Combine(_folder, "sticker.png");
        await TestClips.RunFfmpegAsync(["-y", "-f", "lavfi", "-i", "color=c=white:s=120x48", "-frames:v", "1", sticker]);
        var output = Path.Combine(_folder, $"render-{Guid.NewGuid():N}.mp4");
        await Renderer.RenderAsync(plan, new RenderInputs(images, new Dictionary<string, string> { [StickerUrl] = sticker }, music), output, null, CancellationToken.None);
        return (output, plan);
    }

    private static MotionTemplate SampleTemplate(string id)
    {
        var parsed = TemplateJson.Parse(File.ReadAllBytes(RepoFiles.Path("samples", "templates", id + ".json")));
        Assert.True(parsed.IsValid, string.Join("; ", parsed.Errors));
        return parsed.Template!;
    }

    private static MotionTemplate With(MotionTemplate t, IReadOnlyList<TemplateTrack>? tracks = null, MusicReference? music = null) => new()
    {
        Id = t.Id,
        Name = t.Name,
        Version = t.Version,
        AspectRatio = t.AspectRatio,
        Music = music ?? t.Music,
        MinImageCount = t.MinImageCount,
        MaxImageCount = t.MaxImageCount,
        Loop = t.Loop,
        Nodes = t.Nodes,
        Tracks = tracks ?? t.Tracks,
    };

    public void Dispose()
    {
        _services.Dispose();
        Directory.Delete(_folder, recursive: true);
    }
}
