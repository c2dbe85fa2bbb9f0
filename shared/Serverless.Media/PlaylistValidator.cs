using System.Globalization;

namespace Serverless.Media;

/// <summary>Checks a VOD media playlist against the RFC 8216 rules this project relies on.</summary>
public static class PlaylistValidator
{
    /// <summary>
    /// Problems found (empty = valid): no segments; a missing or non-positive TARGETDURATION; an EXTINF that is not positive or
    /// that, rounded to the nearest integer, exceeds TARGETDURATION (RFC 8216 4.3.3.1); a negative media sequence; a playlist type
    /// other than VOD; no ENDLIST; decimal EXTINF below version 3 or EXT-X-MAP below version 6; and, when
    /// <paramref name="expectedDurationSeconds"/> is given, a sum of EXTINF further than <paramref name="toleranceSeconds"/> from it.
    /// </summary>
    public static IReadOnlyList<string> Validate(MediaPlaylistModel playlist, double? expectedDurationSeconds, double toleranceSeconds = 0.5)
    {
        ArgumentNullException.ThrowIfNull(playlist);
        var problems = new List<string>();
        void Add(FormattableString problem) => problems.Add(problem.ToString(CultureInfo.InvariantCulture));

        if (playlist.Segments.Count == 0)
        {
            Add($"The playlist has no segments.");
        }

        if (playlist.TargetDuration <= 0)
        {
            Add($"EXT-X-TARGETDURATION is missing or not positive ({playlist.TargetDuration}).");
        }

        for (var i = 0; i < playlist.Segments.Count; i++)
        {
            var segment = playlist.Segments[i];
            if (!(segment.Duration > 0))
            {
                Add($"Segment {i} ({segment.Uri}) has a non-positive EXTINF duration {segment.Duration}.");
            }
            else if (playlist.TargetDuration > 0 && Math.Round(segment.Duration, MidpointRounding.AwayFromZero) > playlist.TargetDuration)
            {
                Add($"Segment {i} ({segment.Uri}) lasts {segment.Duration:0.###} s, which rounds above EXT-X-TARGETDURATION {playlist.TargetDuration}.");
            }
        }

        if (playlist.MediaSequence < 0)
        {
            Add($"EXT-X-MEDIA-SEQUENCE is negative ({playlist.MediaSequence}).");
        }

        if (!string.Equals(playlist.PlaylistType, "VOD", StringComparison.Ordinal))
        {
            Add($"EXT-X-PLAYLIST-TYPE is {playlist.PlaylistType ?? "missing"}; a VOD playlist is required.");
        }

        if (!playlist.EndList)
        {
            Add($"EXT-X-ENDLIST is missing.");
        }

        if (playlist.Version < 3 && playlist.Segments.Any(s => s.Duration != Math.Floor(s.Duration)))
        {
            Add($"Decimal EXTINF durations need EXT-X-VERSION 3 or higher (version {playlist.Version}).");
        }

        if (playlist.MapUri is not null && playlist.Version < 6)
        {
            Add($"EXT-X-MAP needs EXT-X-VERSION 6 or higher (version {playlist.Version}).");
        }

        if (expectedDurationSeconds is { } expected && playlist.Segments.Count > 0)
        {
            var total = playlist.TotalDuration;
            if (Math.Abs(total - expected) > toleranceSeconds)
            {
                Add($"The segments add up to {total:0.###} s but the source lasts {expected:0.###} s (tolerance {toleranceSeconds:0.###} s).");
            }
        }

        return problems;
    }
}
