using Serverless.Media;
using Serverless.Media.Review;
using Serverless.Media.Transcoding;

namespace Serverless.UnitTests.Media;

public sealed class ReviewSampleArgumentsTests
{
    private static readonly ReviewSampling Sampling = new(FrameIntervalSeconds: 5, SceneChangeThreshold: 0.4, MaxFrames: 60, AudioChunkSeconds: 60);

    [Theory]
    [InlineData(30, 5)] // clips up to 295 s: the configured interval
    [InlineData(147.5, 5)]
    [InlineData(200, 5)]
    [InlineData(600, 10.17)] // longer: stretched so one frame per interval plus the first fit 60 (cuts get what is left)
    public void Interval_CoversTheClipWithinTheCap(double duration, double expected)
    {
        var interval = ReviewSampleArguments.Interval(duration, Sampling);

        Assert.Equal(expected, interval, 2);
        Assert.True(Math.Ceiling(duration / interval) + 1 <= Sampling.MaxFrames, "the interval frames and the first could exceed the cap before the end of the clip");
    }

    [Fact]
    public void Draw_OneMomentInsideEachInterval_AtItsRandomOffset_WholeClipCovered()
    {
        var draws = new Queue<int>([0, 999_999, 500_000, 123_456, 250_000]);

        var plan = ReviewPlan.Draw(MediaSamples.Source(640, 360, duration: 22), Sampling, range =>
        {
            Assert.Equal(1_000_000, range);
            return draws.Dequeue();
        });

        // 0–5, 5–10, 10–15, 15–20 and the last 2 s (20–22): each offset scales to its own interval.
        Assert.Equal(5, plan.IntervalSeconds);
        Assert.Equal([0, 9.999, 12.5, 15.617, 20.5], plan.FrameTimes);
        Assert.Empty(draws);
    }

    [Fact]
    public void Draw_CryptographicallyRandom_EachDrawDiffers_NeverOutsideItsInterval()
    {
        var source = MediaSamples.Source(640, 360, duration: 60);

        var plans = Enumerable.Range(0, 20).Select(_ => ReviewPlan.Draw(source, Sampling)).ToList();

        Assert.All(plans, p => Assert.Equal(12, p.FrameTimes.Count));
        Assert.All(plans, p => Assert.All(p.FrameTimes.Select((t, i) => (t, i)), x => Assert.InRange(x.t, x.i * 5.0, (x.i * 5.0) + 5)));
        Assert.Equal(20, plans.Select(p => string.Join(",", p.FrameTimes)).Distinct().Count());

        // On the published grid (a multiple of the interval, to a frame at 30 fps) about 1 time in 150: not 3 times in 12 twice over.
        Assert.True(plans.Count(p => p.FrameTimes.Count(t => t % 5 < 1.0 / 30) >= 3) < 2);
    }

    [Fact]
    public void FrameChain_FirstFramePlannedMomentsAndBudgetedSceneChanges()
    {
        var plan = new ReviewPlan(Sampling, 5, [1.25, 7.5]);

        var chain = ReviewSampleArguments.FrameChain(MediaSamples.Source(1920, 1080, duration: 10), plan);

        Assert.Equal(
            "select='isnan(prev_selected_t)"
            + "+gt(gte(t\\,1.25)+gte(t\\,7.5)\\,gte(prev_selected_t\\,1.25)+gte(prev_selected_t\\,7.5))"
            + "+gt(scene\\,0.4)*gte(t-prev_selected_t\\,2.5)*lt(selected_n+2-(gte(t\\,1.25)+gte(t\\,7.5))\\,60)'"
            + ",scale=w=720:h=404,setsar=1",
            chain);
    }

    /// <summary>The samples are outputs of the ladder's own pass: one more branch of its split, and its decoded audio.</summary>
    [Fact]
    public void Build_LadderWithReview_SamplesFromTheSameDecode_AudioOnlyWhenThereIsSome()
    {
        var withAudio = MediaSamples.Source(1920, 1080, duration: 20);
        var ladder = LadderPlanner.Plan(withAudio, new MediaOptions());

        var args = HlsArguments.Build(new TranscodeRequest("https://x/source?sig=1", "/tmp/w", withAudio, ladder, HlsSegmentFormat.MpegTs) { Review = new ReviewPlan(Sampling, 5, [2.5, 7.5]) }, "veryfast");
        var silent = HlsArguments.Build(new TranscodeRequest("https://x/source?sig=1", "/tmp/w", withAudio with { Audio = null }, ladder, HlsSegmentFormat.MpegTs) { Review = new ReviewPlan(Sampling, 5, [2.5, 7.5]) }, "veryfast");
        var unreviewed = HlsArguments.Build(new TranscodeRequest("https://x/source?sig=1", "/tmp/w", withAudio, ladder, HlsSegmentFormat.MpegTs), "veryfast");

        Assert.Equal(1, args.Count(a => a == "-i"));
        var graph = args[args.ToList().IndexOf("-filter_complex") + 1];
        Assert.StartsWith($"[0:v:0]split={ladder.Count + 3}", graph, StringComparison.Ordinal);
        Assert.EndsWith(
            $";[s{ladder.Count + 2}]{ReviewSampleArguments.FrameChain(withAudio, new ReviewPlan(Sampling, 5, [2.5, 7.5]))}[rv]",
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

        Assert.Throws<ArgumentException>(() => HlsArguments.Build(new TranscodeRequest("/a.mp4", "/out", source, [rung], HlsSegmentFormat.MpegTs) { Review = new ReviewPlan(Sampling, 5, [2.5, 7.5]) }, "veryfast"));
    }
}
