using System.Text;
using System.Text.RegularExpressions;
using Serverless.Media;
using Serverless.Videos;

namespace Serverless.Playback;

/// <summary>
/// A playlist cut into literal text and the references its URIs name (a rendition, or a blob), so a signed copy is
/// rendered by concatenation: parse once per published playlist, render per request.
/// </summary>
internal sealed class PlaylistTemplate
{
    private readonly string[] _literals;
    private readonly string[] _references;
    private readonly int _literalLength;

    public PlaylistTemplate(IReadOnlyList<string> literals, IReadOnlyList<string> references)
    {
        if (literals.Count != references.Count + 1)
        {
            throw new ArgumentException("A template has one more literal than references.", nameof(literals));
        }

        _literals = [.. literals];
        _references = [.. references];
        _literalLength = _literals.Sum(l => l.Length);
    }

    /// <summary>What each replaced URI named, in order of appearance.</summary>
    public IReadOnlyList<string> References => _references;

    /// <summary>The playlist with each URI replaced by what <paramref name="appendUri"/> writes for its reference.</summary>
    public string Render<TState>(TState state, Action<StringBuilder, TState, string> appendUri, int uriLengthHint = 64)
    {
        var sb = new StringBuilder(_literalLength + (_references.Length * uriLengthHint));
        for (var i = 0; i < _references.Length; i++)
        {
            sb.Append(_literals[i]);
            appendUri(sb, state, _references[i]);
        }

        return sb.Append(_literals[^1]).ToString();
    }
}

/// <summary>A published master playlist: its template (references are rendition names) and the renditions it lists.</summary>
internal sealed record MasterPlaylistTemplate(PlaylistTemplate Template, IReadOnlySet<string> Renditions);

/// <summary>A published media playlist: its template (references are blob names in the media container) and its duration.</summary>
/// <param name="Complete">It has EXT-X-ENDLIST: it never changes again. Without it the video is still being produced and the
/// playlist grows (an EVENT playlist).</param>
internal sealed record MediaPlaylistTemplate(PlaylistTemplate Template, double DurationSeconds, bool Complete);

/// <summary>
/// Parses published playlists into templates. Every URI is accounted for: a URI line and every <c>URI="…"</c> attribute
/// (EXT-X-MAP, EXT-X-MEDIA, EXT-X-I-FRAME-STREAM-INF, EXT-X-KEY…) is resolved against the playlist's own folder and must
/// stay inside the video's HLS folder; anything else (absolute URLs, queries, escapes) is refused, so no unsigned or
/// foreign address can ever reach a client.
/// </summary>
internal static partial class PlaylistTemplates
{
    /// <summary>The child playlist file name of every rendition (<see cref="MediaLayout.RenditionPlaylist"/>).</summary>
    public const string RenditionPlaylistFile = "index.m3u8";

    /// <summary>Rendition names: 1-32 ASCII letters, digits, '_' or '-'.</summary>
    public static bool IsValidRendition(string? name) =>
        name is { Length: > 0 and <= 32 } && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-');

    /// <exception cref="FormatException">The text is not a master playlist of this video in the media layout.</exception>
    public static MasterPlaylistTemplate ParseMaster(string text, string videoId)
    {
        var hls = MediaLayout.HlsFolder(videoId);
        var template = Parse(text, uri =>
        {
            var path = Resolve(hls, uri);
            var suffix = "/" + RenditionPlaylistFile;
            var rendition = path is not null && path.Length > hls.Length + suffix.Length
                            && path.StartsWith(hls, StringComparison.Ordinal) && path.EndsWith(suffix, StringComparison.Ordinal)
                ? path[hls.Length..^suffix.Length]
                : null;
            return IsValidRendition(rendition)
                ? rendition!
                : throw new FormatException($"The master playlist of {videoId} refers to '{uri}', which is not a rendition playlist of the video.");
        });
        if (template.References.Count == 0)
        {
            throw new FormatException($"The master playlist of {videoId} lists no renditions.");
        }

        return new MasterPlaylistTemplate(template, template.References.ToHashSet(StringComparer.Ordinal));
    }

    /// <exception cref="FormatException">The text is not a media playlist, or a URI leaves the video's HLS folder.</exception>
    public static MediaPlaylistTemplate ParseMedia(string text, string videoId, string rendition)
    {
        var hls = MediaLayout.HlsFolder(videoId);
        var folder = MediaLayout.RenditionFolder(videoId, rendition);
        var model = HlsPlaylists.ParseMedia(text);
        var template = Parse(text, uri =>
        {
            var path = Resolve(folder, uri);
            return path is not null && path.StartsWith(hls, StringComparison.Ordinal) && path.Length > hls.Length
                   && !path.EndsWith(".m3u8", StringComparison.OrdinalIgnoreCase)
                ? path
                : throw new FormatException($"The playlist of {videoId}/{rendition} refers to '{uri}', which is not a media file of the video.");
        });
        return new MediaPlaylistTemplate(template, model.TotalDuration, model.EndList);
    }

    /// <summary>
    /// Resolves a relative URI against a folder (which ends with '/'): '.' and '..' segments applied, never above the
    /// root. Null for anything but a plain relative path of safe characters (no scheme, query, fragment, '%' or '\').
    /// </summary>
    public static string? Resolve(string folder, string uri)
    {
        if (uri.Length == 0 || uri[0] == '/' || !uri.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' or '~' or '/'))
        {
            return null;
        }

        var segments = new List<string>(folder.Split('/', StringSplitOptions.RemoveEmptyEntries));
        var parts = uri.Split('/');
        for (var i = 0; i < parts.Length; i++)
        {
            var part = parts[i];
            if (part == "..")
            {
                if (segments.Count == 0)
                {
                    return null;
                }

                segments.RemoveAt(segments.Count - 1);
            }
            else if (part.Length == 0 || part == ".")
            {
                if (i == parts.Length - 1)
                {
                    return null;
                }
            }
            else
            {
                segments.Add(part);
            }
        }

        return string.Join('/', segments);
    }

    private static PlaylistTemplate Parse(string text, Func<string, string> reference)
    {
        var lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        if (lines.Length == 0 || lines[0].TrimStart('\uFEFF').Trim() != "#EXTM3U")
        {
            throw new FormatException("Not an HLS playlist: the first line is not #EXTM3U.");
        }

        var literals = new List<string>();
        var references = new List<string>();
        var literal = new StringBuilder();
        foreach (var raw in lines)
        {
            var line = raw.Trim();
            if (line.Length == 0 || (line[0] == '#' && !line.StartsWith("#EXT", StringComparison.Ordinal)))
            {
                // Blank lines and comments carry no URI; comments are dropped rather than echoed.
                continue;
            }

            if (line[0] == '#')
            {
                var at = 0;
                foreach (Match m in UriAttribute().Matches(line))
                {
                    var value = m.Groups[1];
                    literal.Append(line, at, value.Index - at);
                    literals.Add(literal.ToString());
                    literal.Clear();
                    references.Add(reference(value.Value));
                    at = value.Index + value.Length;
                }

                literal.Append(line, at, line.Length - at).Append('\n');
            }
            else
            {
                literals.Add(literal.ToString());
                literal.Clear();
                references.Add(reference(line));
                literal.Append('\n');
            }
        }

        literals.Add(literal.ToString());
        return new PlaylistTemplate(literals, references);
    }

    [GeneratedRegex("(?<=[:,])URI=\"([^\"]*)\"", RegexOptions.CultureInvariant)]
    private static partial Regex UriAttribute();
}
