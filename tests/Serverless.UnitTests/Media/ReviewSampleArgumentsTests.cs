using Serverless.Media;
using Serverless.Media.Review;
using Serverless.Media.Transcoding;

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

    /// <summary>The samples are outputs of the ladder's own pass: one more branch of its split, and its decoded audio.</summary>
    [Fact]
    public void Build_LadderWithReview_SamplesFromTheSameDecode_AudioOnlyWhenThereIsSome()
    {
        var withAudio = MediaSamples.Source(1920, 1080, duration: 20);
        var ladder = LadderPlanner.Plan(withAudio, new MediaOptions());

        var args = HlsArguments.Build(new TranscodeRequest("https://x/source?sig=1", "/tmp/w", withAudio, ladder, HlsSegmentFormat.MpegTs) { Review = Sampling }, "veryfast");
        var silent = HlsArguments.Build(new TranscodeRequest("https://x/source?sig=1", "/tmp/w", withAudio with { Audio = null }, ladder, HlsSegmentFormat.MpegTs) { Review = Sampling }, "veryfast");
        var unreviewed = HlsArguments.Build(new TranscodeRequest("https://x/source?sig=1", "/tmp/w", withAudio, ladder, HlsSegmentFormat.MpegTs), "veryfast");

        Assert.Equal(1, args.Count(a => a == "-i"));
        var graph = args[args.ToList().IndexOf("-filter_complex") + 1];
        Assert.StartsWith($"[0:v:0]split={ladder.Count + 3}", graph, StringComparison.Ordinal);
        Assert.EndsWith(
            $";[s{ladder.Count + 2}]select='isnan(prev_selected_t)+gte(t-prev_selected_t\\,5)+gt(scene\\,0.4)*gte(t-prev_selected_t\\,2.5)',scale=w=720:h=404,setsar=1[rv]",
            graph,
            StringComparison.Ordinal);
        Assert.Equal(["-map", "[rv]", "-fps_mode", "vfr", "-frames:v", "60", "-q:v", "4", "-c:v", "mjpeg", "-pix_fmt", "yuvj420p", "-f", "image2", "/tmp/w/review/frame_%03d.jpg"], args.Skip(args.ToList().IndexOf("[rv]") - 1).Take(15));
        Assert.Equal(["-map", "0:a:0", "-ac", "1", "-ar", "22050", "-c:a", "libmp3lame", "-b:a", "64k", "-f", "segment", "-segment_time", "60", "-reset_timestamps", "1", "/tmp/w/review/audio_%03d.mp3"], args.TakeLast(17));
        Assert.Equal("/tmp/w/review/frame_%03d.jpg", silent[^1]);
        Assert.DoesNotContain("libmp3lame", silent);
        Assert.DoesNotContain("[rv]", unreviewed);
        Assert.StartsWith($"[0:v:0]split={ladder.Count + 2}", unreviewed[unreviewed.ToList().IndexOf("-filter_complex") + 1], StringComparison.Ordinal);
    }

    [Fact]
    public void Build_RenditionNamedLikeTheReviewFolder_Refused()
    {
        var source = MediaSamples.Source(640, 360);
        var rung = LadderPlanner.Plan(source, new MediaOptions())[0] with { Name = "review" };

        Assert.Throws<ArgumentException>(() => HlsArguments.Build(new TranscodeRequest("/a.mp4", "/out", source, [rung], HlsSegmentFormat.MpegTs) { Review = Sampling }, "veryfast"));
    }
}
