using System.Diagnostics;
using Serverless.IntegrationTests.Infrastructure;
using Serverless.Media;

namespace Serverless.IntegrationTests.Media;

public sealed class HlsTranscoderTests(TestClips clips) : IClassFixture<TestClips>
{
    /// <summary>Short segments and keyframe interval so a 4 s clip has several segments to compare.</summary>
    private const double SegmentSeconds = 2;
    private const double KeyframeSeconds = 1;

    [Fact]
    public async Task Transcode_LandscapeTwoRungs_AlignedValidMpegTsRenditions()
    {
        using var host = new MediaTestHost();
        var input = await clips.LandscapeAsync();
        var source = await host.Probe.ProbeAsync(input, default);
        Assert.Null(SourcePolicy.Reject(source, host.Options));
        Rendition[] ladder =
        [
            new("180p", 320, 180, 400, 600, 600, 96, "3.0"),
            new("108p", 192, 108, 200, 300, 300, 64, "3.0"),
        ];
        var output = MediaTestHost.NewOutputDirectory();
        var progress = new List<double>();

        try
        {
            var result = await host.Transcoder.TranscodeAsync(
                new TranscodeRequest(input, output, source, ladder, HlsSegmentFormat.MpegTs, SegmentSeconds, KeyframeSeconds),
                new SynchronousProgress(progress), null, default);

            Assert.Equal(["180p", "108p"], result.Renditions.Select(r => r.Rendition.Name));
            var playlists = new List<MediaPlaylistModel>();
            foreach (var rendition in result.Renditions)
            {
                Assert.Equal(Path.Combine(output, rendition.Rendition.Name, "index.m3u8"), rendition.PlaylistPath);
                var playlist = HlsPlaylists.ParseMedia(await File.ReadAllTextAsync(rendition.PlaylistPath));
                Assert.Empty(PlaylistValidator.Validate(playlist, source.DurationSeconds));
                Assert.True(playlist.IndependentSegments);
                Assert.True(playlist.Segments.Count >= 2);
                Assert.Equal("seg_00000.ts", playlist.Segments[0].Uri);
                Assert.All(rendition.Files, f => Assert.True(File.Exists(f), f));
                Assert.Equal((rendition.Rendition.Width, rendition.Rendition.Height, "h264"), await MediaAssertions.VideoSizeAsync(rendition.PlaylistPath));
                Assert.Matches("^avc1\\.6400[0-9a-f]{2},mp4a\\.40\\.2$", rendition.Codecs);
                Assert.Equal(30, rendition.FrameRate, 3);
                Assert.InRange(rendition.AverageBandwidth, 1, rendition.PeakBandwidth);
                Assert.True(rendition.PeakBandwidth <= 2 * rendition.AverageBandwidth, $"peak {rendition.PeakBandwidth} over 2x average {rendition.AverageBandwidth}");
                playlists.Add(playlist);
            }

            // Segment boundaries line up across renditions, and every segment starts with a keyframe.
            Assert.Equal(playlists[0].Segments.Select(s => s.Duration), playlists[1].Segments.Select(s => s.Duration));
            for (var i = 0; i < playlists[0].Segments.Count; i++)
            {
                var first = await MediaAssertions.FirstVideoPacketAsync(Path.Combine(output, "180p", playlists[0].Segments[i].Uri), null);
                var second = await MediaAssertions.FirstVideoPacketAsync(Path.Combine(output, "108p", playlists[1].Segments[i].Uri), null);
                Assert.True(first.Keyframe && second.Keyframe, $"segment {i} does not start with a keyframe");
                Assert.Equal(first.Pts, second.Pts, 3);
            }

            Assert.NotEmpty(progress);
            Assert.Equal(1.0, progress[^1]);
            Assert.Equal(progress.Order(), progress);

            var master = MasterPlaylist.Write(result.Renditions, r => r.Rendition.Name + "/index.m3u8");
            var variants = HlsPlaylists.ParseMaster(master);
            Assert.Equal(["108p/index.m3u8", "180p/index.m3u8"], variants.Select(v => v.Uri));
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }

    [Fact]
    public async Task Transcode_RotatedPortraitFmp4_DisplayedSizeWithInitSegment()
    {
        using var host = new MediaTestHost();
        var input = await clips.RotatedPortraitAsync();
        var source = await host.Probe.ProbeAsync(input, default);
        var ladder = LadderPlanner.Plan(source, host.Options);
        var rung = Assert.Single(ladder);
        Assert.Equal((180, 320), (rung.Width, rung.Height));
        var output = MediaTestHost.NewOutputDirectory();

        try
        {
            var result = await host.Transcoder.TranscodeAsync(
                new TranscodeRequest(input, output, source, ladder, HlsSegmentFormat.Fmp4, SegmentSeconds, KeyframeSeconds), null, null, default);

            var rendition = Assert.Single(result.Renditions);
            var playlist = HlsPlaylists.ParseMedia(await File.ReadAllTextAsync(rendition.PlaylistPath));
            Assert.Empty(PlaylistValidator.Validate(playlist, source.DurationSeconds));
            Assert.Equal("init.mp4", playlist.MapUri);
            Assert.Equal("seg_00000.m4s", playlist.Segments[0].Uri);
            Assert.Equal(Path.Combine(output, rung.Name, "init.mp4"), rendition.Files[0]);
            Assert.Equal((180, 320, "h264"), await MediaAssertions.VideoSizeAsync(rendition.PlaylistPath));
            foreach (var segment in playlist.Segments)
            {
                var packet = await MediaAssertions.FirstVideoPacketAsync(Path.Combine(output, rung.Name, segment.Uri), Path.Combine(output, rung.Name, "init.mp4"));
                Assert.True(packet.Keyframe, $"{segment.Uri} does not start with a keyframe");
            }
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }

    [Fact]
    public async Task Transcode_MultiVariantFmp4_EachFolderHasInitMp4()
    {
        using var host = new MediaTestHost();
        var input = await clips.NoAudioAsync();
        var source = await host.Probe.ProbeAsync(input, default);
        Rendition[] ladder = [new("a", 320, 180, 300, 450, 450, 0, "3.0"), new("b", 160, 90, 150, 225, 225, 0, "3.0")];
        var output = MediaTestHost.NewOutputDirectory();

        try
        {
            var result = await host.Transcoder.TranscodeAsync(new TranscodeRequest(input, output, source, ladder, HlsSegmentFormat.Fmp4, SegmentSeconds, KeyframeSeconds), null, null, default);

            foreach (var rendition in result.Renditions)
            {
                var playlist = HlsPlaylists.ParseMedia(await File.ReadAllTextAsync(rendition.PlaylistPath));
                Assert.Equal("init.mp4", playlist.MapUri);
                Assert.True(File.Exists(Path.Combine(output, rendition.Rendition.Name, "init.mp4")));
                Assert.Empty(PlaylistValidator.Validate(playlist, source.DurationSeconds));
            }
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }

    [Fact]
    public async Task Transcode_NoAudio_VideoOnlyRendition()
    {
        using var host = new MediaTestHost();
        var input = await clips.NoAudioAsync();
        var source = await host.Probe.ProbeAsync(input, default);
        Assert.Null(source.Audio);
        var output = MediaTestHost.NewOutputDirectory();

        try
        {
            var result = await host.Transcoder.TranscodeAsync(
                new TranscodeRequest(input, output, source, LadderPlanner.Plan(source, host.Options), HlsSegmentFormat.MpegTs), null, null, default);

            var rendition = Assert.Single(result.Renditions);
            Assert.DoesNotContain("mp4a", rendition.Codecs, StringComparison.Ordinal);
            Assert.StartsWith("avc1.64", rendition.Codecs, StringComparison.Ordinal);
            var probed = (await host.OutputProbe.ProbeOutputAsync(rendition.PlaylistPath, default)).Info;
            Assert.Null(probed.Audio);
            Assert.Empty(PlaylistValidator.Validate(HlsPlaylists.ParseMedia(await File.ReadAllTextAsync(rendition.PlaylistPath)), source.DurationSeconds));
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }

    [Fact]
    public async Task Transcode_Cancelled_StopsFfmpegPromptly()
    {
        using var host = new MediaTestHost();
        await using var server = await StallingServerAsync();
        var source = await host.Probe.ProbeAsync(await StreamableClipAsync(), default);
        var started = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        host.Runner.Started = pid => started.TrySetResult(pid);
        var output = MediaTestHost.NewOutputDirectory();
        using var cts = new CancellationTokenSource();

        try
        {
            var task = host.Transcoder.TranscodeAsync(
                new TranscodeRequest(server.Url, output, source, LadderPlanner.Plan(source, host.Options), HlsSegmentFormat.MpegTs), null, null, cts.Token);
            var pid = await started.Task.WaitAsync(TimeSpan.FromSeconds(30));
            await Task.Delay(500);
            Assert.True(IsRunning(pid));

            var stopwatch = Stopwatch.StartNew();
            await cts.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => task);

            Assert.InRange(stopwatch.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(10));
            Assert.False(IsRunning(pid));
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }

    [Fact]
    public async Task Transcode_FfmpegKilledExternally_ThrowsFfmpegException()
    {
        using var host = new MediaTestHost();
        await using var server = await StallingServerAsync();
        var source = await host.Probe.ProbeAsync(await StreamableClipAsync(), default);
        var started = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        host.Runner.Started = pid => started.TrySetResult(pid);
        var output = MediaTestHost.NewOutputDirectory();

        try
        {
            var task = host.Transcoder.TranscodeAsync(
                new TranscodeRequest(server.Url, output, source, LadderPlanner.Plan(source, host.Options), HlsSegmentFormat.MpegTs), null, null, default);
            var pid = await started.Task.WaitAsync(TimeSpan.FromSeconds(30));
            using (var process = Process.GetProcessById(pid))
            {
                process.Kill();
            }

            var ex = await Assert.ThrowsAsync<FfmpegException>(() => task);

            Assert.NotEqual(0, ex.ExitCode);
            Assert.False(ex.TimedOut);
            Assert.Contains("-var_stream_map", ex.Arguments);
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }

    [Fact]
    public async Task Transcode_OverOwnTimeout_ThrowsTimedOutFfmpegException()
    {
        using var host = new MediaTestHost(MediaTestHost.Settings(("TranscodeTimeoutSeconds", 1)));
        await using var server = await StallingServerAsync();
        var pids = new List<int>();
        host.Runner.Started = pids.Add;
        var output = MediaTestHost.NewOutputDirectory();

        try
        {
            var source = await host.Probe.ProbeAsync(await StreamableClipAsync(), default);

            var ex = await Assert.ThrowsAsync<FfmpegException>(() => host.Transcoder.TranscodeAsync(
                new TranscodeRequest(server.Url, output, source, LadderPlanner.Plan(source, host.Options), HlsSegmentFormat.MpegTs), null, null, default));

            Assert.True(ex.TimedOut);
            Assert.False(IsRunning(pids[^1]));
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }

    private Task<string> StreamableClipAsync() => clips.GenerateAsync(new ClipSpec(320, 180, 4, Container: "ts"));

    private async Task<StallingHttpServer> StallingServerAsync() =>
        new(await File.ReadAllBytesAsync(await StreamableClipAsync()), 0.5);

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>Reports on the calling thread (Progress&lt;T&gt; posts to the thread pool, which would race the assertions).</summary>
    private sealed class SynchronousProgress(Action<double> report) : IProgress<double>
    {
        public SynchronousProgress(List<double> values)
            : this(v => { lock (values) { values.Add(v); } })
        {
        }

        public void Report(double value) => report(value);
    }
}
