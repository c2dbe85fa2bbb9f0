using System.Globalization;
using System.Text;

namespace Serverless.Media;

/// <summary>One media segment of a media playlist.</summary>
/// <param name="Duration">The EXTINF duration in seconds.</param>
/// <param name="Title">The optional EXTINF title (after the comma); null when empty.</param>
public sealed record MediaSegment(string Uri, double Duration, string? Title);

/// <summary>A media playlist (RFC 8216 section 4.3.3), with the tags this project reads and writes.</summary>
/// <param name="PlaylistType">EXT-X-PLAYLIST-TYPE (<c>VOD</c> or <c>EVENT</c>), or null.</param>
/// <param name="MapUri">The EXT-X-MAP URI (the fMP4 init segment), or null.</param>
public sealed record MediaPlaylistModel(int Version, int TargetDuration, long MediaSequence, string? PlaylistType, bool EndList, bool IndependentSegments, string? MapUri, IReadOnlyList<MediaSegment> Segments)
{
    /// <summary>The sum of the EXTINF durations.</summary>
    public double TotalDuration => Segments.Sum(s => s.Duration);

    /// <summary>
    /// The target duration RFC 8216 section 4.3.3.1 requires: the longest EXTINF rounded to the nearest integer, and at
    /// least 1 (a player needs a positive one; ffmpeg writes 0 for a clip shorter than half a second).
    /// </summary>
    public int RequiredTargetDuration =>
        Math.Max(1, Segments.Count == 0 ? 0 : (int)Math.Round(Segments.Max(s => s.Duration), MidpointRounding.AwayFromZero));
}

/// <summary>Parses and writes HLS playlists. Pure text in, text out; invariant culture.</summary>
public static class HlsPlaylists
{
    /// <summary>Parses a media playlist. Unknown tags are ignored.</summary>
    /// <exception cref="FormatException">Not an HLS playlist, or a tag value is malformed.</exception>
    public static MediaPlaylistModel ParseMedia(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var lines = Lines(text);
        var version = 1;
        var targetDuration = 0;
        long mediaSequence = 0;
        string? playlistType = null;
        var endList = false;
        var independent = false;
        string? mapUri = null;
        var segments = new List<MediaSegment>();
        (double Duration, string? Title)? pending = null;

        foreach (var line in lines)
        {
            if (line.StartsWith("#EXTINF:", StringComparison.Ordinal))
            {
                var value = line["#EXTINF:".Length..];
                var comma = value.IndexOf(',', StringComparison.Ordinal);
                var duration = ParseDouble(comma < 0 ? value : value[..comma], "EXTINF");
                var title = comma < 0 ? null : value[(comma + 1)..];
                pending = (duration, string.IsNullOrEmpty(title) ? null : title);
            }
            else if (TryTag(line, "#EXT-X-VERSION:", out var v))
            {
                version = ParseInt(v, "EXT-X-VERSION");
            }
            else if (TryTag(line, "#EXT-X-TARGETDURATION:", out var t))
            {
                targetDuration = ParseInt(t, "EXT-X-TARGETDURATION");
            }
            else if (TryTag(line, "#EXT-X-MEDIA-SEQUENCE:", out var m))
            {
                mediaSequence = long.TryParse(m, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var seq)
                    ? seq
                    : throw new FormatException($"EXT-X-MEDIA-SEQUENCE '{m}' is not an integer.");
            }
            else if (TryTag(line, "#EXT-X-PLAYLIST-TYPE:", out var type))
            {
                playlistType = type;
            }
            else if (line == "#EXT-X-ENDLIST")
            {
                endList = true;
            }
            else if (line == "#EXT-X-INDEPENDENT-SEGMENTS")
            {
                independent = true;
            }
            else if (TryTag(line, "#EXT-X-MAP:", out var map))
            {
                mapUri = ParseAttributes(map).TryGetValue("URI", out var uri) ? uri : throw new FormatException("EXT-X-MAP has no URI.");
            }
            else if (!line.StartsWith('#'))
            {
                if (pending is not { } segment)
                {
                    throw new FormatException($"The URI '{line}' is not preceded by EXTINF.");
                }

                segments.Add(new MediaSegment(line, segment.Duration, segment.Title));
                pending = null;
            }
        }

        return new MediaPlaylistModel(version, targetDuration, mediaSequence, playlistType, endList, independent, mapUri, segments);
    }

    /// <summary>Writes a media playlist; durations with up to 6 decimals (ffmpeg's precision), so parse/write round-trips.</summary>
    public static string WriteMedia(MediaPlaylistModel playlist)
    {
        ArgumentNullException.ThrowIfNull(playlist);
        var sb = new StringBuilder();
        sb.Append("#EXTM3U\n");
        Line(sb, $"#EXT-X-VERSION:{playlist.Version}");
        Line(sb, $"#EXT-X-TARGETDURATION:{playlist.TargetDuration}");
        Line(sb, $"#EXT-X-MEDIA-SEQUENCE:{playlist.MediaSequence}");
        if (playlist.PlaylistType is { } type)
        {
            Line(sb, $"#EXT-X-PLAYLIST-TYPE:{type}");
        }

        if (playlist.IndependentSegments)
        {
            sb.Append("#EXT-X-INDEPENDENT-SEGMENTS\n");
        }

        if (playlist.MapUri is { } map)
        {
            Line(sb, $"#EXT-X-MAP:URI=\"{map}\"");
        }

        foreach (var segment in playlist.Segments)
        {
            Line(sb, $"#EXTINF:{FormatDuration(segment.Duration)},{segment.Title}");
            Line(sb, $"{segment.Uri}");
        }

        if (playlist.EndList)
        {
            sb.Append("#EXT-X-ENDLIST\n");
        }

        return sb.ToString();
    }

    /// <summary>The variant streams of a master playlist: each EXT-X-STREAM-INF's URI and attributes (quotes removed).</summary>
    /// <exception cref="FormatException">Not an HLS playlist, or an EXT-X-STREAM-INF has no URI.</exception>
    public static IReadOnlyList<(string Uri, IReadOnlyDictionary<string, string> Attributes)> ParseMaster(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var variants = new List<(string, IReadOnlyDictionary<string, string>)>();
        IReadOnlyDictionary<string, string>? pending = null;
        foreach (var line in Lines(text))
        {
            if (TryTag(line, "#EXT-X-STREAM-INF:", out var attributes))
            {
                pending = ParseAttributes(attributes);
            }
            else if (!line.StartsWith('#') && pending is not null)
            {
                variants.Add((line, pending));
                pending = null;
            }
        }

        return pending is null ? variants : throw new FormatException("The last EXT-X-STREAM-INF has no URI.");
    }

    /// <summary>Parses an attribute list (<c>A=1,B="x,y"</c>); quoted values are returned without their quotes.</summary>
    internal static Dictionary<string, string> ParseAttributes(string list)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        var i = 0;
        while (i < list.Length)
        {
            var eq = list.IndexOf('=', i);
            if (eq < 0)
            {
                throw new FormatException($"Malformed attribute list '{list}'.");
            }

            var name = list[i..eq].Trim();
            string value;
            if (eq + 1 < list.Length && list[eq + 1] == '"')
            {
                var close = list.IndexOf('"', eq + 2);
                if (close < 0)
                {
                    throw new FormatException($"Unterminated quoted string in '{list}'.");
                }

                value = list[(eq + 2)..close];
                i = close + 1;
            }
            else
            {
                var comma = list.IndexOf(',', eq + 1);
                var end = comma < 0 ? list.Length : comma;
                value = list[(eq + 1)..end].Trim();
                i = end;
            }

            result[name] = value;
            if (i < list.Length && list[i] == ',')
            {
                i++;
            }
        }

        return result;
    }

    internal static string FormatDuration(double seconds) => seconds.ToString("0.0#####", CultureInfo.InvariantCulture);

    private static List<string> Lines(string text)
    {
        var lines = text.Split('\n').Select(l => l.TrimEnd('\r').Trim()).Where(l => l.Length > 0).ToList();
        if (lines.Count == 0 || lines[0].TrimStart('\uFEFF') != "#EXTM3U")
        {
            throw new FormatException("Not an HLS playlist: the first line is not #EXTM3U.");
        }

        return lines;
    }

    private static bool TryTag(string line, string tag, out string value)
    {
        if (line.StartsWith(tag, StringComparison.Ordinal))
        {
            value = line[tag.Length..];
            return true;
        }

        value = string.Empty;
        return false;
    }

    private static int ParseInt(string value, string tag) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : throw new FormatException($"{tag} '{value}' is not an integer.");

    private static double ParseDouble(string value, string tag) =>
        double.TryParse(value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var d) ? d : throw new FormatException($"{tag} '{value}' is not a decimal number.");

    private static void Line(StringBuilder sb, FormattableString line) => sb.Append(line.ToString(CultureInfo.InvariantCulture)).Append('\n');
}
