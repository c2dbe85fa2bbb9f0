using Serverless.Media;
using Serverless.Media.Transcoding;

namespace Serverless.UnitTests.Media;

public sealed class PerTitleLadderTests
{
    private static readonly IReadOnlyList<Rendition> Fixed = LadderPlanner.Plan(MediaSamples.Source(1920, 1080), new MediaOptions());

    private static readonly RungSimilarity[] Distinct =
        [new(0, 1, 0.95), new(0, 2, 0.90), new(1, 2, 0.96)];

    [Fact]
    public void Apply_SimpleContent_EveryRungAtConstantQualityCappedAtItsFixedRate()
    {
        // 2 s of the lowest rung at constant quality took 100 KB: 400 kbit/s, half its fixed 800; 1 s of the top 150 KB: 1200 of 2800.
        var ladder = PerTitleLadder.Apply(Fixed, new LadderAnalysis(2, 100_000, 1, 150_000, Distinct), crf: 21);

        Assert.Equal(Fixed.Select(r => r.Name), ladder.Select(r => r.Name));
        Assert.All(ladder, r => Assert.Equal(21, r.Crf));
        Assert.Equal(Fixed.Select(r => r.VideoBitrateKbps), ladder.Select(r => r.MaxRateKbps));
        Assert.Equal(Fixed.Select(r => r.VideoBitrateKbps), ladder.Select(r => r.VideoBitrateKbps));
        Assert.Equal(Fixed.Select(r => r.BufferSizeKbits), ladder.Select(r => r.BufferSizeKbits));
    }

    [Theory]
    [InlineData(171_000, 300_000)] // 684 and 2400 kbit/s: just over 0.85 of 800 and 2800
    [InlineData(400_000, 600_000)] // 1600 and 4800 kbit/s: noise, constant quality would ride the cap
    public void Apply_ComplexContent_KeepsTheFixedLadderExactly(long sampleBytes, long topBytes)
    {
        var ladder = PerTitleLadder.Apply(Fixed, new LadderAnalysis(2, sampleBytes, 1, topBytes, Distinct), crf: 21);

        Assert.Equal(Fixed, ladder);
    }

    [Fact]
    public void Apply_FineDetail_CheapAtTheLowestRungButNotAbove_ConstantQualityOnlyWhereItSaves()
    {
        // 440 kbit/s at 360p, 3120 at 720p: 7.1x the bits for 4x the pixels; on that line 540p needs about 1380 of its 1500.
        var analysis = new LadderAnalysis(2, 110_000, 1, 390_000, Distinct);

        var ladder = PerTitleLadder.Apply(Fixed, analysis, crf: 21);

        Assert.Equal([21, null, null], ladder.Select(r => r.Crf));
        Assert.Equal([Fixed[1], Fixed[2]], ladder.Skip(1));
        Assert.InRange(analysis.EstimateKbps(Fixed, 1), 1350, 1420);
    }

    [Fact]
    public void Apply_UpscaledSource_LeavesOutRungsTheLowerOneAlreadyHolds()
    {
        // 540p adds nothing over 360p; 720p adds nothing over 360p either: one rung.
        var soft = new LadderAnalysis(2, 100_000, 1, 150_000, [new(0, 1, 0.998), new(0, 2, 0.998), new(1, 2, 0.999)]);

        var ladder = PerTitleLadder.Apply(Fixed, soft, crf: 21);

        Assert.Equal(["360p"], ladder.Select(r => r.Name));
    }

    [Fact]
    public void Apply_RungComparedWithTheKeptRungBelow_NotTheLeftOutOne()
    {
        // 540p looks like 360p, but 720p holds more than 360p (though not more than 540p): 360p and 720p.
        var analysis = new LadderAnalysis(2, 100_000, 1, 150_000, [new(0, 1, 0.998), new(0, 2, 0.98), new(1, 2, 0.999)]);

        var ladder = PerTitleLadder.Apply(Fixed, analysis, crf: 21);

        Assert.Equal(["360p", "720p"], ladder.Select(r => r.Name));
    }

    [Fact]
    public void Apply_ComplexButSoftContent_LeavesOutRungsAndKeepsFixedRates()
    {
        var analysis = new LadderAnalysis(2, 400_000, 1, 600_000, [new(0, 1, 0.95), new(0, 2, 0.94), new(1, 2, 0.998)]);

        var ladder = PerTitleLadder.Apply(Fixed, analysis, crf: 21);

        Assert.Equal([Fixed[0], Fixed[1]], ladder);
    }

    [Theory]
    [InlineData(15, 2, new[] { 6.5 })]
    [InlineData(60, 2, new[] { 6.5, 21.5, 36.5, 51.5 })]
    [InlineData(600, 2, new[] { 49.0, 149, 249, 349, 449, 549 })]
    [InlineData(1.5, 2, new[] { 0.0 })]
    public void SampleWindows_OneKeyframeIntervalEach_SpreadOverTheClip(double duration, double gop, double[] starts)
    {
        var windows = PerTitleLadder.SampleWindows(duration, gop);

        Assert.Equal(starts, windows.Select(w => w.Start));
        Assert.All(windows, w => Assert.True(w.Start + w.Length <= duration || duration < gop));
        Assert.Equal(duration < gop ? duration : gop, windows[0].Length);
    }

    [Fact]
    public void Arguments_SeekEachWindowOfTheUploadWithItsWhitelists_EncodeLowestRungAndCompareEveryPair()
    {
        var args = (List<string>)PerTitleLadderPlanner.Arguments(
            "https://acct.blob.core.windows.net/uploads/v/source?sig=x", MediaSamples.Source(1920, 1080), Fixed,
            [(6.5, 2), (21.5, 2)], "veryfast", 21, "/work/sample.h264", "/work/sample-top.h264");

        var joined = string.Join(' ', args);
        Assert.Contains("-ss 6.5 -noaccurate_seek -t 2 -protocol_whitelist https,tls,tcp -format_whitelist", joined, StringComparison.Ordinal);
        Assert.Contains("-ss 21.5 -noaccurate_seek -t 2 -protocol_whitelist https,tls,tcp -format_whitelist", joined, StringComparison.Ordinal);
        var graph = args[args.IndexOf("-filter_complex") + 1];
        Assert.StartsWith("[0:v:0]setpts=PTS-STARTPTS[w0];[1:v:0]setpts=PTS-STARTPTS[w1];[w0][w1]concat=n=2:v=1:a=0,split=3[enc][top][cmp];[cmp]fps=2,split=6", graph, StringComparison.Ordinal);
        Assert.Contains("scale=w=640:h=360:flags=bicubic,scale=w=1280:h=720:flags=bicubic,setsar=1[d1];[d1][r1]ssim@p0_2[o1];[o1]nullsink", graph, StringComparison.Ordinal);
        Assert.Contains("ssim@p1_2", graph, StringComparison.Ordinal);
        Assert.EndsWith(";[enc]scale=w=640:h=360,setsar=1[v];[top]trim=duration=1,setpts=PTS-STARTPTS,scale=w=1280:h=720,setsar=1[vt]", graph, StringComparison.Ordinal);
        Assert.Equal(["-crf", "21"], args.Skip(args.IndexOf("-crf")).Take(2));
        Assert.Contains("-map [v] -an -c:v libx264 -preset veryfast", joined, StringComparison.Ordinal);
        Assert.Contains("-maxrate 1200k -bufsize 1200k -sc_threshold 0 -force_key_frames:v expr:gte(t,n_forced*2) -x264-params log=-1 -f h264 file:/work/sample.h264 -map [vt]", joined, StringComparison.Ordinal);
        Assert.Equal(["-maxrate", "4200k", "-bufsize", "4200k"], args.Skip(args.LastIndexOf("-maxrate")).Take(4));
        Assert.Equal(["-f", "h264", "file:/work/sample-top.h264"], args.TakeLast(3));
    }

    [Fact]
    public void ParseSimilarities_ReadsEachNamedSummary()
    {
        const string log = """
            [ssim@p0_1 @ 0x55d1] SSIM Y:0.991 (20.4) U:0.995 (23.1) V:0.996 (24.0) All:0.992761 (21.4)
            video:12kB audio:0kB
            [ssim@p1_2 @ 0x55d2] SSIM Y:0.998 (27.0) U:0.999 (30.0) V:0.999 (30.0) All:0.998100 (27.2)
            """;

        Assert.Equal([new RungSimilarity(0, 1, 0.992761), new RungSimilarity(1, 2, 0.9981)], PerTitleLadderPlanner.ParseSimilarities(log));
    }

    [Fact]
    public void ParseSimilarities_TextInsideALine_IsNotASummary()
    {
        // An upload's metadata is printed indented and early: it cannot stand in for the filters' own summaries.
        const string log = """
                title           : [ssim@p0_1 @ 0x1] SSIM Y:1 (inf) All:1.000000 (inf)
            [ssim@p0_1 @ 0x55d1] SSIM Y:0.991 (20.4) U:0.995 (23.1) V:0.996 (24.0) All:0.950000 (13.0)
            """;

        Assert.Equal([new RungSimilarity(0, 1, 0.95)], PerTitleLadderPlanner.ParseSimilarities(log));
    }

    [Fact]
    public void HlsArguments_ConstantQualityRung_CrfAndItsCapInsteadOfTheTargetRate()
    {
        var source = MediaSamples.Source(1920, 1080);
        var ladder = PerTitleLadder.Apply(Fixed, new LadderAnalysis(2, 100_000, 1, 150_000, Distinct), crf: 21);

        var args = HlsArguments.Build(new TranscodeRequest("/in.mp4", "/out", source, ladder, HlsSegmentFormat.MpegTs), "veryfast");

        var joined = string.Join(' ', args);
        Assert.Contains("-crf:v:0 21 -maxrate:v:0 800k -bufsize:v:0 1200k", joined, StringComparison.Ordinal);
        Assert.Contains("-crf:v:2 21 -maxrate:v:2 2800k -bufsize:v:2 4200k", joined, StringComparison.Ordinal);
        Assert.DoesNotContain("-b:v:", joined, StringComparison.Ordinal);
    }
}
