using Serverless.Media;
using Serverless.Media.Review;

namespace Serverless.UnitTests.Media;

public sealed class ReviewSampleArgumentsTests
{
    private static readonly ReviewSampling Sampling = new(FrameIntervalSeconds: 5, SceneChangeThreshold: 0.4, MaxFrames: 60, AudioChunkSeconds: 60);

    [Theory]
    [InlineData(30, 5)] // short clips: the configured interval
    [InlineData(147.5, 5)]
    [InlineData(200, 6.78)] // long clips: stretched so periodic plus scene frames (half an interval apart at least) fit 60
    public void Interval_CoversTheClipWithinTheCap(double duration, double expected)
    {
        var interval = ReviewSampleArguments.Interval(duration, Sampling);

        Assert.Equal(expected, interval, 2);
        Assert.True((2 * duration / interval) + 1 <= Sampling.MaxFrames, "periodic and scene-change frames could exceed the cap before the end of the clip");
    }

    [Fact]
    public void Build_OnePassForFramesAndAudio_AudioOnlyWhenThereIsSome()
    {
        var withAudio = MediaSamples.Source(1920, 1080, duration: 20);

        var args = ReviewSampleArguments.Build("https://x/source?sig=1", "/tmp/r", withAudio, Sampling);
        var silent = ReviewSampleArguments.Build("https://x/source?sig=1", "/tmp/r", withAudio with { Audio = null }, Sampling);

        Assert.Equal(1, args.Count(a => a == "-i"));
        Assert.Contains(args, a => a.StartsWith("select='isnan(prev_selected_t)+gte(t-prev_selected_t\\,5)+gt(scene\\,0.4)*gte(t-prev_selected_t\\,2.5)'", StringComparison.Ordinal));
        Assert.Contains("scale=w=720:h=404,setsar=1", string.Join(' ', args), StringComparison.Ordinal);
        Assert.Equal("/tmp/r/audio_%03d.mp3", args[^1]);
        Assert.Equal("/tmp/r/frame_%03d.jpg", silent[^1]);
        Assert.DoesNotContain("libmp3lame", silent);
    }
}
