using Serverless.Media;
using Serverless.Media.Transcoding;

namespace Serverless.UnitTests.Media;

public sealed class LiveSegmentsTests
{
    private static MediaPlaylistModel Snapshot(long sequence, params double[] durations) => new(
        6, 6, sequence, null, false, true, null,
        [.. durations.Select((d, i) => new MediaSegment(LiveSegments.SegmentFileName(sequence + i, HlsSegmentFormat.MpegTs), d, null))]);

    [Fact]
    public void Merge_NextSegment_AddedNothingMissed()
    {
        var (missed, added) = LiveSegments.Merge(2, Snapshot(2, 6));

        Assert.Empty(missed);
        Assert.Equal(["seg_00002.ts"], added.Select(s => s.Uri));
    }

    [Fact]
    public void Merge_SameSnapshotAgain_NothingNew()
    {
        var (missed, added) = LiveSegments.Merge(3, Snapshot(2, 6));

        Assert.Empty(missed);
        Assert.Empty(added);
    }

    [Fact]
    public void Merge_SegmentsSlidPastUnseen_ReportedMissedInOrder()
    {
        var (missed, added) = LiveSegments.Merge(1, Snapshot(4, 6));

        Assert.Equal([1L, 2L, 3L], missed);
        Assert.Equal(["seg_00004.ts"], added.Select(s => s.Uri));
    }

    [Fact]
    public void Merge_WiderWindowOverlapping_OnlyTheNewOnes()
    {
        var (missed, added) = LiveSegments.Merge(3, Snapshot(2, 6, 6, 4));

        Assert.Empty(missed);
        Assert.Equal(["seg_00003.ts", "seg_00004.ts"], added.Select(s => s.Uri));
    }

    [Theory]
    [InlineData(HlsSegmentFormat.MpegTs, 7, "seg_00007.ts")]
    [InlineData(HlsSegmentFormat.Fmp4, 123456, "seg_123456.m4s")]
    public void SegmentFileName_FfmpegPattern(HlsSegmentFormat format, long sequence, string expected) =>
        Assert.Equal(expected, LiveSegments.SegmentFileName(sequence, format));

    [Theory]
    [InlineData(30, 6, 6)] // a segment's length
    [InlineData(2.4, 6, 3)] // a clip shorter than a segment: its own length, rounded up past any rounding of an EXTINF
    [InlineData(0.3, 6, 1)] // never below 1
    [InlineData(30, 4, 4)]
    public void TargetDuration_FixedBeforeTheFirstSegment(double clipSeconds, double segmentSeconds, int expected)
    {
        var request = new TranscodeRequest("/a.mp4", "/out", MediaSamples.Source(640, 360, duration: clipSeconds), [], HlsSegmentFormat.MpegTs, segmentSeconds, 2);

        Assert.Equal(expected, LiveSegments.TargetDuration(request));
    }
}
