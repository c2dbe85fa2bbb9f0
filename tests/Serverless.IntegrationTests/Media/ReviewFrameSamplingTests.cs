using Serverless.IntegrationTests.Infrastructure;
using Serverless.Media;
using Serverless.Media.Review;

namespace Serverless.IntegrationTests.Media;

/// <summary>
/// The content check's frames are taken at moments the uploader cannot know. A clip made to pass a check that looks at a
/// published grid (t = 0, then every interval) is harmless only on that grid and something else everywhere between: the
/// frames taken must show what is between.
/// </summary>
public sealed class ReviewFrameSamplingTests
{
    private static readonly ReviewSampling Sampling = new(FrameIntervalSeconds: 1, SceneChangeThreshold: 0.4, MaxFrames: 60, AudioChunkSeconds: 60);

    [Fact]
    public async Task Transcode_ClipHarmlessOnlyOnTheIntervalGrid_SampledOffTheGrid_WholeClipCovered()
    {
        using var host = new MediaTestHost();
        var input = await OffGridClipAsync();
        var source = await host.Probe.ProbeAsync(input, default);
        var output = MediaTestHost.NewOutputDirectory();
        try
        {
            var result = await host.Transcoder.TranscodeAsync(
                new TranscodeRequest(input, output, source, [new Rendition("180p", 320, 180, 400, 600, 600, 96, "3.0")], HlsSegmentFormat.MpegTs) { Review = ReviewPlan.Draw(source, Sampling) },
                null,
                null,
                default);

            var frames = result.ReviewSamples!.Frames;
            var colours = new List<string>();
            foreach (var frame in frames)
            {
                colours.Add(await ColourAsync(frame, output));
            }

            // One frame per interval at least (4 s at 1 s), and what lies between the grid's frames is among them.
            Assert.True(frames.Count >= 4, $"{frames.Count} frames for 4 intervals");
            Assert.Contains("red", colours);
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }

    /// <summary>4 s at 30 fps: green on every 30th frame (t = 0, 1, 2, 3 s), red on every other.</summary>
    private static async Task<string> OffGridClipAsync()
    {
        var path = Path.Combine(TestClips.Shared.Root, "off-grid-" + Guid.NewGuid().ToString("N") + ".mp4");
        await TestClips.RunFfmpegAsync(
        [
            "-f", "lavfi", "-i", "color=c=red:s=320x180:r=30:d=4,drawbox=x=0:y=0:w=iw:h=ih:color=green:t=fill:enable='eq(mod(n\\,30)\\,0)'",
            "-c:v", "libx264", "-preset", "ultrafast", "-qp", "0", "-pix_fmt", "yuv420p", path,
        ]);
        return path;
    }

    /// <summary>"red" or "green": the frame's mean colour, read as one RGB pixel.</summary>
    private static async Task<string> ColourAsync(string jpeg, string work)
    {
        var pixel = Path.Combine(work, Path.GetFileNameWithoutExtension(jpeg) + ".rgb");
        await TestClips.RunFfmpegAsync(["-i", jpeg, "-vf", "scale=1:1", "-pix_fmt", "rgb24", "-f", "rawvideo", pixel]);
        var rgb = await File.ReadAllBytesAsync(pixel);
        return rgb[0] > rgb[1] ? "red" : "green";
    }
}
