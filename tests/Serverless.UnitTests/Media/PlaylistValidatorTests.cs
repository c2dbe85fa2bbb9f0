using Serverless.Media;

namespace Serverless.UnitTests.Media;

public sealed class PlaylistValidatorTests
{
    private static readonly MediaPlaylistModel Valid = new(3, 6, 0, "VOD", true, true, null,
        [new MediaSegment("seg_00000.ts", 6, null), new MediaSegment("seg_00001.ts", 6.4, null), new MediaSegment("seg_00002.ts", 2.1, null)]);

    [Fact]
    public void Validate_ValidVod_NoProblems()
    {
        Assert.Empty(PlaylistValidator.Validate(Valid, 14.5));
        Assert.Empty(PlaylistValidator.Validate(Valid, null));
    }

    [Fact]
    public void Validate_SegmentRoundingAboveTarget_Reported()
    {
        var playlist = Valid with { Segments = [new MediaSegment("a.ts", 6.5, null)] };

        Assert.Contains("rounds above EXT-X-TARGETDURATION 6", Assert.Single(PlaylistValidator.Validate(playlist, null)), StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_SegmentJustBelowRounding_Accepted()
    {
        Assert.Empty(PlaylistValidator.Validate(Valid with { Segments = [new MediaSegment("a.ts", 6.49, null)] }, null));
    }

    [Fact]
    public void Validate_NoSegments_Reported()
    {
        Assert.Equal(["The playlist has no segments."], PlaylistValidator.Validate(Valid with { Segments = [] }, 10));
    }

    [Fact]
    public void Validate_MissingTargetDuration_Reported()
    {
        Assert.Contains(PlaylistValidator.Validate(Valid with { TargetDuration = 0 }, null), p => p.Contains("TARGETDURATION is missing", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_NonPositiveDuration_Reported()
    {
        var playlist = Valid with { Segments = [new MediaSegment("a.ts", 0, null)] };

        Assert.Contains("non-positive", Assert.Single(PlaylistValidator.Validate(playlist, null)), StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_NegativeMediaSequence_Reported()
    {
        Assert.Contains("EXT-X-MEDIA-SEQUENCE is negative", Assert.Single(PlaylistValidator.Validate(Valid with { MediaSequence = -1 }, null)), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("EVENT")]
    public void Validate_NotVod_Reported(string? type)
    {
        Assert.Contains("a VOD playlist is required", Assert.Single(PlaylistValidator.Validate(Valid with { PlaylistType = type }, null)), StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_NoEndList_Reported()
    {
        Assert.Equal(["EXT-X-ENDLIST is missing."], PlaylistValidator.Validate(Valid with { EndList = false }, null));
    }

    [Fact]
    public void Validate_DecimalDurationsBelowVersion3_Reported()
    {
        Assert.Contains("version 2", Assert.Single(PlaylistValidator.Validate(Valid with { Version = 2 }, null)), StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_MapBelowVersion6_Reported()
    {
        Assert.Contains("EXT-X-MAP needs EXT-X-VERSION 6", Assert.Single(PlaylistValidator.Validate(Valid with { MapUri = "init.mp4" }, null)), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(15.1)]
    [InlineData(13.9)]
    public void Validate_SumFarFromProbedDuration_Reported(double expected)
    {
        Assert.Contains("add up to 14.5 s", Assert.Single(PlaylistValidator.Validate(Valid, expected)), StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_SumWithinCustomTolerance_Accepted()
    {
        Assert.Empty(PlaylistValidator.Validate(Valid, 15.5, toleranceSeconds: 1));
    }

    [Fact]
    public void Validate_ParsedBrokenPlaylist_ReportsEveryRule()
    {
        var playlist = HlsPlaylists.ParseMedia("#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:-4\n#EXTINF:3.0,\na.ts\n");

        var problems = PlaylistValidator.Validate(playlist, 10);

        Assert.Equal(5, problems.Count); // over the target duration, negative sequence, not VOD, no ENDLIST, sum far from 10 s
    }
}
