using Serverless.Media;

namespace Serverless.UnitTests.Media;

public sealed class DiskSpaceTests
{
    private static readonly MediaInfo Source = new(10, 1_000_000, "mov,mp4", null, new AudioStreamInfo("aac", 2, 44100, 128_000));

    [Fact]
    public void EstimateTranscodeBytes_TwoRungs_CappedRatesTimesDurationWithSlack()
    {
        Rendition[] ladder =
        [
            new("360p", 640, 360, 800, 1000, 2000, 96, "3.0"),
            new("180p", 320, 180, 300, 400, 800, 64, "3.0"),
        ];

        // (1000 + 96 + 400 + 64) kbit/s * 10 s = 1.95 MB, times 1.25, plus the fixed slack.
        Assert.Equal(2_437_500 + DiskSpace.FixedBytes, DiskSpace.EstimateTranscodeBytes(Source, ladder));
    }

    [Fact]
    public void EnsureAvailable_MoreThanTheDiskHas_ThrowsReadableReason()
    {
        var ex = Assert.Throws<InsufficientDiskSpaceException>(() => DiskSpace.EnsureAvailable(Path.GetTempPath(), long.MaxValue));

        Assert.StartsWith("Not enough temporary disk space to process the video:", ex.Message, StringComparison.Ordinal);
        Assert.True(DiskSpace.IsOutOfSpace(ex));
    }

    [Fact]
    public void EnsureAvailable_LittleNeeded_Passes()
    {
        DiskSpace.EnsureAvailable(Path.GetTempPath(), 1);
    }

    [Fact]
    public void IsOutOfSpace_FfmpegStderrSaysNoSpace_TrueAndDescribedWithoutTheDump()
    {
        var ex = new FfmpegException(
            "ffmpeg exited with code 1: Error writing trailer",
            1,
            "[hls @ 0x55] Failed to open file 'seg_00001.ts'\nav_interleaved_write_frame(): No space left on device\nError writing trailer of index.m3u8: No space left on device",
            [],
            timedOut: false);

        Assert.True(DiskSpace.IsOutOfSpace(ex));
        Assert.Equal("Not enough temporary disk space to process the video (the disk filled up while writing).", DiskSpace.Describe(ex));
    }

    [Fact]
    public void IsOutOfSpace_OtherFailures_False()
    {
        Assert.False(DiskSpace.IsOutOfSpace(new FfmpegException("exit 1", 1, "Invalid data found when processing input", [], timedOut: false)));
        Assert.False(DiskSpace.IsOutOfSpace(new IOException("Directory not empty", 39)));
        Assert.False(DiskSpace.IsOutOfSpace(new InvalidOperationException("No space left on device")));
    }

    [Fact]
    public void IsOutOfSpace_WriteOnAFullDisk_True()
    {
        Assert.True(DiskSpace.IsOutOfSpace(new IOException("No space left on device : '/work/seg_00003.ts'", OperatingSystem.IsWindows() ? unchecked((int)0x80070070) : 28)));
    }

    [Fact]
    public void ThrowIfFilledUp_StderrReportsNoSpace_Throws()
    {
        var ex = Assert.Throws<InsufficientDiskSpaceException>(() =>
            DiskSpace.ThrowIfFilledUp(Path.GetTempPath(), "av_interleaved_write_frame(): No space left on device"));

        Assert.Equal(DiskSpace.FilledUpReason, ex.Message);
    }

    [Fact]
    public void ThrowIfFilledUp_CleanRunWithSpaceLeft_Passes()
    {
        DiskSpace.ThrowIfFilledUp(Path.GetTempPath(), "[libx264 @ 0x1] using cpu capabilities: none!");
    }
}
