using Serverless.IntegrationTests.Infrastructure;
using Serverless.Media;

namespace Serverless.IntegrationTests.Media;

/// <summary>The per-title ladder on real ffmpeg: 3 s 960x540 clips (two rungs, 360p and 540p) of known character.</summary>
public sealed class PerTitleLadderPlannerTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("per-title-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task Plan_StillPicture_ConstantQualityOnEveryRung_FarFewerBytesWithAlignedSegments()
    {
        using var host = new MediaTestHost(MediaTestHost.Settings(("PerTitleMinSeconds", 0)));
        var input = await ClipAsync("still", "testsrc2=s=960x540:r=30:d=3,trim=end_frame=1,loop=loop=89:size=1:start=0,setpts=N/30/TB", audio: false);
        var source = await host.Probe.ProbeAsync(input, default);

        var planned = await host.Planner.PlanAsync(input, source, default);

        var fixedLadder = LadderPlanner.Plan(source, host.Options);
        Assert.Equal(["360p", "540p"], planned.Select(r => r.Name));
        Assert.All(planned, r => Assert.Equal(21, r.Crf));
        Assert.Equal(fixedLadder.Select(r => r.VideoBitrateKbps), planned.Select(r => r.MaxRateKbps));

        var perTitle = await TranscodeAsync(host, input, source, planned, "per-title");
        var fixedRun = await TranscodeAsync(host, input, source, fixedLadder, "fixed");
        for (var i = 0; i < planned.Count; i++)
        {
            Assert.True(perTitle.Bytes[i] < fixedRun.Bytes[i] * 0.6, $"{planned[i].Name}: {perTitle.Bytes[i]} bytes per-title vs {fixedRun.Bytes[i]} fixed");
        }

        // Live publishing needs the same boundaries on every rung, each segment starting with a keyframe.
        Assert.Equal(perTitle.Playlists[0].Segments.Select(s => s.Duration), perTitle.Playlists[1].Segments.Select(s => s.Duration));
        Assert.Equal(fixedRun.Playlists[0].Segments.Select(s => s.Duration), perTitle.Playlists[0].Segments.Select(s => s.Duration));
    }

    [Fact]
    public async Task Plan_HeavyGrain_KeepsTheFixedLadder()
    {
        using var host = new MediaTestHost(MediaTestHost.Settings(("PerTitleMinSeconds", 0)));
        var input = await ClipAsync("grain", "testsrc2=s=960x540:r=30:d=3,noise=alls=40:allf=t+u");
        var source = await host.Probe.ProbeAsync(input, default);

        var planned = await host.Planner.PlanAsync(input, source, default);

        Assert.Equal(LadderPlanner.Plan(source, host.Options), planned);
    }

    [Fact]
    public async Task Plan_UpscaledSource_LeavesOutTheRungThatAddsNothing()
    {
        using var host = new MediaTestHost(MediaTestHost.Settings(("PerTitleMinSeconds", 0)));
        var input = await ClipAsync("upscaled", "testsrc2=s=320x180:r=30:d=3,scale=960:540:flags=bicubic");
        var source = await host.Probe.ProbeAsync(input, default);

        var planned = await host.Planner.PlanAsync(input, source, default);

        Assert.Equal(["360p"], planned.Select(r => r.Name));
    }

    [Fact]
    public async Task Plan_Off_FixedLadder()
    {
        using var host = new MediaTestHost(MediaTestHost.Settings(("PerTitleLadder", false), ("PerTitleMinSeconds", 0)));
        var input = await ClipAsync("still-off", "testsrc2=s=960x540:r=30:d=3,trim=end_frame=1,loop=loop=89:size=1:start=0,setpts=N/30/TB");
        var source = await host.Probe.ProbeAsync(input, default);

        Assert.Equal(LadderPlanner.Plan(source, host.Options), await host.Planner.PlanAsync(input, source, default));
    }

    [Fact]
    public async Task Plan_ShorterThanTheMinimum_FixedLadderWithoutALook()
    {
        // The default minimum is 10 s: a 3 s still is left to the fixed ladder.
        using var host = new MediaTestHost();
        var input = await ClipAsync("still-short", "testsrc2=s=960x540:r=30:d=3,trim=end_frame=1,loop=loop=89:size=1:start=0,setpts=N/30/TB");
        var source = await host.Probe.ProbeAsync(input, default);

        Assert.Equal(LadderPlanner.Plan(source, host.Options), await host.Planner.PlanAsync(input, source, default));
    }

    [Fact]
    public async Task Plan_AnalysisCannotReadTheSource_FixedLadderInsteadOfAFailure()
    {
        using var host = new MediaTestHost(MediaTestHost.Settings(("PerTitleMinSeconds", 0)));
        var input = await ClipAsync("gone", "testsrc2=s=960x540:r=30:d=3");
        var source = await host.Probe.ProbeAsync(input, default);
        File.Delete(input);

        Assert.Equal(LadderPlanner.Plan(source, host.Options), await host.Planner.PlanAsync(input, source, default));
    }

    private async Task<string> ClipAsync(string name, string video, bool audio = true)
    {
        var path = Path.Combine(_folder, name + ".mp4");
        string[] tone = audio ? ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=3", "-c:a", "aac"] : [];
        await TestClips.RunFfmpegAsync(
            ["-f", "lavfi", "-i", video, .. tone, "-c:v", "libx264", "-preset", "ultrafast", "-crf", "10", "-pix_fmt", "yuv420p", "-shortest", path]);
        return path;
    }

    private async Task<(long[] Bytes, MediaPlaylistModel[] Playlists)> TranscodeAsync(MediaTestHost host, string input, MediaInfo source, IReadOnlyList<Rendition> ladder, string name)
    {
        var output = Path.Combine(_folder, name);
        var result = await host.Transcoder.TranscodeAsync(new TranscodeRequest(input, output, source, ladder, HlsSegmentFormat.MpegTs), null, null, default);
        var bytes = result.Renditions.Select(r => r.Files.Where(f => !f.EndsWith(".m3u8", StringComparison.Ordinal)).Sum(f => new FileInfo(f).Length)).ToArray();
        var playlists = new List<MediaPlaylistModel>();
        foreach (var rendition in result.Renditions)
        {
            var playlist = HlsPlaylists.ParseMedia(await File.ReadAllTextAsync(rendition.PlaylistPath));
            Assert.Empty(PlaylistValidator.Validate(playlist, source.DurationSeconds));
            playlists.Add(playlist);
        }

        return (bytes, [.. playlists]);
    }
}
