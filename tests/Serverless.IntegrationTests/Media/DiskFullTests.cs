using Serverless.IntegrationTests.Infrastructure;
using Serverless.Media;

namespace Serverless.IntegrationTests.Media;

/// <summary>
/// ffmpeg on a work disk that really fills up (a small tmpfs): the failure is recognised as lack of space. ffmpeg's HLS
/// muxer exits 0 there, with an empty playlist; this used to surface as "FormatException: Not an HLS playlist".
/// </summary>
public sealed class DiskFullTests(TestClips clips) : IClassFixture<TestClips>
{
    [Fact]
    public async Task Transcode_WorkDiskFillsUp_FailsAsOutOfSpace()
    {
        using var disk = await TmpfsMount.CreateAsync(64 * 1024);
        using var host = new MediaTestHost();
        var input = await clips.LandscapeAsync();
        var source = await host.Probe.ProbeAsync(input, default);
        Rendition[] ladder = [new("180p", 320, 180, 400, 600, 600, 96, "3.0")];

        var ex = await Assert.ThrowsAsync<InsufficientDiskSpaceException>(() => host.Transcoder.TranscodeAsync(
            new TranscodeRequest(input, disk.Path, source, ladder, HlsSegmentFormat.MpegTs, 2, 1), null, null, default));

        Assert.True(DiskSpace.IsOutOfSpace(ex));
        Assert.Equal(DiskSpace.FilledUpReason, DiskSpace.Describe(ex));
    }
}
