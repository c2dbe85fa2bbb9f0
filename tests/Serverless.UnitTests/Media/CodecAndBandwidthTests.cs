using Serverless.Media.Probing;
using Serverless.Media.Transcoding;

namespace Serverless.UnitTests.Media;

public sealed class CodecAndBandwidthTests
{
    [Theory]
    [InlineData("High", 31, "avc1.64001f")]
    [InlineData("High", 30, "avc1.64001e")]
    [InlineData("High", 40, "avc1.640028")]
    [InlineData("High", 41, "avc1.640029")]
    [InlineData("Main", 31, "avc1.4d001f")]
    [InlineData("Constrained Baseline", 13, "avc1.42c00d")]
    public void Avc_ProfileAndLevel_Rfc6381(string profile, int level, string expected)
    {
        Assert.Equal(expected, CodecStrings.Avc(profile, level));
    }

    [Theory]
    [InlineData(null, null)]
    [InlineData("High", null)]
    [InlineData("High", -99)]
    [InlineData("Weird", 31)]
    public void Avc_Unknown_Throws(string? profile, int? level)
    {
        Assert.Throws<FormatException>(() => CodecStrings.Avc(profile, level));
    }

    [Theory]
    [InlineData("LC", "mp4a.40.2")]
    [InlineData(null, "mp4a.40.2")]
    [InlineData("HE-AAC", "mp4a.40.5")]
    public void Aac_Profile_Rfc6381(string? profile, string expected)
    {
        Assert.Equal(expected, CodecStrings.Aac(profile));
    }

    [Fact]
    public void Measure_Segments_PeakIsBusiestSegmentAverageIsTotal()
    {
        var (peak, average) = SegmentBandwidth.Measure([(6.0, 750_000L), (6.0, 1_500_000L), (4.0, 100_000L)], 6);

        Assert.Equal(2_000_000, peak);
        Assert.Equal((long)Math.Ceiling((750_000 + 1_500_000 + 100_000) * 8 / 16.0), average);
    }

    [Fact]
    public void Measure_TinyLastSegment_CountedWithItsNeighbour()
    {
        // A 0.1 s final segment holding one IDR frame would read as 8 Mbit/s alone; RFC 8216 measures runs of 3 to 9 s.
        var (peak, _) = SegmentBandwidth.Measure([(6.0, 600_000L), (0.1, 100_000L)], 6);

        Assert.Equal((long)Math.Ceiling(700_000 * 8 / 6.1), peak);
    }

    [Fact]
    public void Measure_ShortClip_PeakFallsBackToOverallRate()
    {
        var (peak, average) = SegmentBandwidth.Measure([(1.0, 100_000L), (0.5, 100_000L)], 6);

        Assert.Equal(average, peak);
        Assert.Equal((long)Math.Ceiling(200_000 * 8 / 1.5), average);
    }

    [Fact]
    public void Measure_NoSegments_Zero()
    {
        Assert.Equal((0L, 0L), SegmentBandwidth.Measure([], 6));
    }

    [Theory]
    [InlineData(1, "[mov,mp4] moov atom not found\nx.mp4: Invalid data found when processing input", "incomplete")]
    [InlineData(1, "x.mp4: Invalid data found when processing input", "invalid data")]
    [InlineData(1, "[hls @ 0x55e09951f2c0] Format not on whitelist 'mov,matroska,mpegts,mpeg,avi'\nhttp://x/source: Invalid argument", "The file is an HLS playlist, not a video file")]
    [InlineData(1, "[concat @ 0x55b2] Format not on whitelist 'mov,matroska,mpegts,mpeg,avi'\nhttp://x/source: Invalid argument", "a concat list")]
    [InlineData(1, "[jpeg_pipe @ 0x55f7] Format not on whitelist 'mov,matroska,mpegts,mpeg,avi'\nhttp://x/source: Invalid argument", "an image or an image sequence")]
    public void ClassifyBadInput_KnownMessages_Reason(int exitCode, string stderr, string expected)
    {
        Assert.Contains(expected, FfprobeMediaProbe.ClassifyBadInput(exitCode, stderr), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1, "http://x/a.mp4: Server returned 503 Service Unavailable")]
    [InlineData(1, "/tmp/a.mp4: No such file or directory")]
    [InlineData(137, "Invalid data found when processing input")]
    [InlineData(-1, "")]
    public void ClassifyBadInput_TransientOrUnknown_Null(int exitCode, string stderr)
    {
        Assert.Null(FfprobeMediaProbe.ClassifyBadInput(exitCode, stderr));
    }
}
