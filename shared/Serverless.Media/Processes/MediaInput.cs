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
    /// Input options plus the input itself: URLs get a read timeout; local paths are made absolute and prefixed with <c>file:</c>
    /// so a name containing ':' or starting with '-' is never taken for a protocol or an option.
    /// </summary>
    public static IReadOnlyList<string> Arguments(string input)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(input);
        return IsUrl(input)
            ? ["-rw_timeout", NetworkReadTimeoutMicroseconds.ToString(CultureInfo.InvariantCulture), "-i", input]
            : ["-i", "file:" + Path.GetFullPath(input)];
    }
}
