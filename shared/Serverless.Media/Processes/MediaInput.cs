using System.Globalization;

namespace Serverless.Media.Processes;

/// <summary>Renders an input (local path or http(s) URL) as ffmpeg/ffprobe arguments. Pure.</summary>
internal static class MediaInput
{
    /// <summary>Network reads that stall this long fail instead of hanging until the overall timeout (microseconds).</summary>
    private const long NetworkReadTimeoutMicroseconds = 30_000_000;

    public static bool IsUrl(string input) =>
        input.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || input.StartsWith("https://", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// An uploaded file (user bytes), read from its own bytes only: the protocols the app itself reads it with
    /// (<see cref="Protocols"/>) and the demuxers of real video containers (<see cref="SourceFormats.Demuxers"/>). A file
    /// that would make ffmpeg open anything else (a playlist, a concat list, an image sequence…) fails to open.
    /// </summary>
    public static IReadOnlyList<string> Source(string input)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(input);
        return ["-protocol_whitelist", Protocols(input), "-format_whitelist", SourceFormats.Demuxers, .. Arguments(input)];
    }

    /// <summary>The protocols reading <paramref name="input"/> needs, and no other: <c>file</c>, <c>http,tcp</c> or <c>https,tls,tcp</c>.</summary>
    public static string Protocols(string input) =>
        input.StartsWith("https://", StringComparison.OrdinalIgnoreCase) ? "https,tls,tcp"
        : input.StartsWith("http://", StringComparison.OrdinalIgnoreCase) ? "http,tcp"
        : "file";

    /// <summary>
    /// Input options plus the input itself: URLs get a read timeout; local paths are made absolute and prefixed with <c>file:</c>
    /// so a name containing ':' or starting with '-' is never taken for a protocol or an option. For the app's own outputs;
    /// uploads go through <see cref="Source"/>.
    /// </summary>
    public static IReadOnlyList<string> Arguments(string input)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(input);
        return IsUrl(input)
            ? ["-rw_timeout", NetworkReadTimeoutMicroseconds.ToString(CultureInfo.InvariantCulture), "-i", input]
            : ["-i", "file:" + Path.GetFullPath(input)];
    }
}
