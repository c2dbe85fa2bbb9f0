using System.Globalization;

namespace Serverless.Media.Transcoding;

/// <summary>Parses <c>-progress pipe:1</c> lines (<c>key=value</c>) into a fraction of the source duration. Pure.</summary>
internal static class FfmpegProgress
{
    /// <summary>The fraction 0..1 a line reports, or null for lines that carry none (other keys, <c>N/A</c>).</summary>
    public static double? Parse(string line, double durationSeconds)
    {
        var eq = line.IndexOf('=', StringComparison.Ordinal);
        if (eq <= 0)
        {
            return null;
        }

        var key = line.AsSpan(0, eq).Trim();
        var value = line.AsSpan(eq + 1).Trim();
        if (key.SequenceEqual("progress"))
        {
            return value.SequenceEqual("end") ? 1.0 : null;
        }

        if (durationSeconds <= 0 || !key.SequenceEqual("out_time_us"))
        {
            return null;
        }

        return long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var microseconds)
            ? Math.Clamp(microseconds / 1_000_000.0 / durationSeconds, 0, 1)
            : null;
    }
}
