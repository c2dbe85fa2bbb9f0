using System.Globalization;
using System.Text;

namespace Serverless.Media;

/// <summary>Writes the master (multivariant) playlist from measured renditions.</summary>
public static class MasterPlaylist
{
    /// <summary>
    /// <c>#EXTM3U</c>, <c>#EXT-X-VERSION</c>, <c>#EXT-X-INDEPENDENT-SEGMENTS</c> and one <c>EXT-X-STREAM-INF</c> per rendition
    /// (BANDWIDTH = measured peak, AVERAGE-BANDWIDTH, CODECS, RESOLUTION, FRAME-RATE with 3 decimals), sorted by bandwidth.
    /// </summary>
    /// <param name="uri">The URI written for each rendition's media playlist (relative, or a signed URL).</param>
    public static string Write(IEnumerable<RenditionOutput> renditions, Func<RenditionOutput, string> uri)
    {
        ArgumentNullException.ThrowIfNull(renditions);
        ArgumentNullException.ThrowIfNull(uri);
        var ordered = renditions.OrderBy(r => r.PeakBandwidth).ThenBy(r => r.AverageBandwidth).ToList();
        var fmp4 = ordered.Any(r => r.Files.Any(f => f.EndsWith(".m4s", StringComparison.OrdinalIgnoreCase)));
        var sb = new StringBuilder();
        sb.Append("#EXTM3U\n");
        sb.Append(CultureInfo.InvariantCulture, $"#EXT-X-VERSION:{(fmp4 ? 7 : 3)}\n");
        sb.Append("#EXT-X-INDEPENDENT-SEGMENTS\n");
        foreach (var r in ordered)
        {
            sb.Append(CultureInfo.InvariantCulture,
                $"#EXT-X-STREAM-INF:BANDWIDTH={r.PeakBandwidth},AVERAGE-BANDWIDTH={r.AverageBandwidth},CODECS=\"{r.Codecs}\",RESOLUTION={r.Rendition.Width}x{r.Rendition.Height},FRAME-RATE={r.FrameRate.ToString("0.000", CultureInfo.InvariantCulture)}\n");
            sb.Append(uri(r)).Append('\n');
        }

        return sb.ToString();
    }
}
