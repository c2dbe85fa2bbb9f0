using Serverless.IntegrationTests.Infrastructure;
using Serverless.Media;

namespace Serverless.IntegrationTests.Media;

public sealed class MediaProbeTests(TestClips clips) : IClassFixture<TestClips>
{
    [Fact]
    public async Task Probe_LandscapeClip_ReadsVideoAndAudio()
    {
        using var host = new MediaTestHost();

        var info = await host.Probe.ProbeAsync(await clips.LandscapeAsync(), default);

        Assert.InRange(info.DurationSeconds, 3.9, 4.2);
        Assert.Contains("mp4", info.FormatName, StringComparison.Ordinal);
        Assert.NotNull(info.SizeBytes);
        var video = Assert.IsType<VideoStreamInfo>(info.Video);
        Assert.Equal(("h264", 320, 180, 0, "yuv420p"), (video.Codec, video.Width, video.Height, video.Rotation, video.PixelFormat));
        Assert.Equal(30, video.FrameRate, 3);
        var audio = Assert.IsType<AudioStreamInfo>(info.Audio);
        Assert.Equal(("aac", 2, 48000), (audio.Codec, audio.Channels, audio.SampleRate));
        Assert.Null(SourcePolicy.Reject(info, host.Options));
    }

    [Fact]
    public async Task Probe_RotationMetadata_ReportsPortraitDisplaySize()
    {
        using var host = new MediaTestHost();

        var video = (await host.Probe.ProbeAsync(await clips.RotatedPortraitAsync(), default)).Video!;

        Assert.Equal((320, 180), (video.Width, video.Height));
        Assert.Contains(video.Rotation, new[] { 90, 270 });
        Assert.Equal((180, 320), (video.DisplayWidth, video.DisplayHeight));
        Assert.True(video.IsPortrait);
    }

    /// <summary>
    /// Files that name other files: ffmpeg would read those (here a real clip beside them, which would pass for the upload)
    /// instead of the upload's own bytes. Refused as what they are, before anything they name is opened.
    /// </summary>
    [Theory]
    [InlineData("playlist", "an HLS playlist")]
    [InlineData("concat", "a concat list")]
    public async Task Probe_FileNamingOtherFiles_RefusedAsWhatItIs(string kind, string named)
    {
        using var host = new MediaTestHost();
        var folder = Directory.CreateTempSubdirectory("probe-list-").FullName;
        try
        {
            File.Copy(await clips.GenerateAsync(new ClipSpec(320, 180, 2, Container: "ts")), Path.Combine(folder, "neighbour.ts"));
            var list = Path.Combine(folder, "source");
            await File.WriteAllTextAsync(list, kind == "playlist"
                ? "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\nneighbour.ts\n#EXT-X-ENDLIST\n"
                : "ffconcat version 1.0\nfile neighbour.ts\n");

            var ex = await Assert.ThrowsAsync<MediaRejectedException>(() => host.Probe.ProbeAsync(list, default));

            Assert.StartsWith($"The file is {named}, not a video file", ex.Reason, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    public static TheoryData<string> BadFiles => new() { "text", "truncated", "empty" };

    [Theory]
    [MemberData(nameof(BadFiles))]
    public async Task Probe_NotAMediaFile_ThrowsRejectedWithReason(string kind)
    {
        using var host = new MediaTestHost();
        var path = kind switch
        {
            "text" => await clips.TextAsMp4Async(),
            "truncated" => await clips.TruncatedMp4Async(),
            _ => await clips.EmptyAsync(),
        };

        var ex = await Assert.ThrowsAsync<MediaRejectedException>(() => host.Probe.ProbeAsync(path, default));

        Assert.False(string.IsNullOrWhiteSpace(ex.Reason));
        if (kind == "truncated")
        {
            Assert.Contains("incomplete", ex.Reason, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Policy_AudioOnly_RejectedAsAudioOnly()
    {
        using var host = new MediaTestHost();

        var info = await host.Probe.ProbeAsync(await clips.AudioOnlyAsync(), default);

        Assert.Null(info.Video);
        Assert.Contains("only audio", SourcePolicy.Reject(info, host.Options), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Policy_OnePixelVideo_RejectedAsTooSmall()
    {
        using var host = new MediaTestHost();

        var info = await host.Probe.ProbeAsync(await clips.OnePixelAsync(), default);

        Assert.Equal((1, 1), (info.Video!.DisplayWidth, info.Video.DisplayHeight));
        Assert.Contains("1x1", SourcePolicy.Reject(info, host.Options), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Policy_OverDurationLimit_RejectedWithLimit()
    {
        using var host = new MediaTestHost(MediaTestHost.Settings(("MaxDurationSeconds", 2)));

        var info = await host.Probe.ProbeAsync(await clips.LandscapeAsync(), default);

        Assert.Contains("limit is 2 s", SourcePolicy.Reject(info, host.Options), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Probe_MissingExecutable_ThrowsFfmpegException()
    {
        using var host = new MediaTestHost(MediaTestHost.Settings(("FfprobePath", "/nonexistent/ffprobe")));

        var ex = await Assert.ThrowsAsync<FfmpegException>(async () => await host.Probe.ProbeAsync(await clips.LandscapeAsync(), default));

        Assert.Null(ex.ExitCode);
        Assert.False(ex.TimedOut);
    }
}
