using System.Globalization;
using System.Text.Json;

namespace Serverless.Media.Probing;

/// <summary>ffprobe's view of a file plus the codec details needed for RFC 6381 codec strings.</summary>
/// <param name="StreamCount">All streams ffprobe listed, of any type.</param>
internal sealed record ProbeReport(MediaInfo Info, int StreamCount, string? VideoProfile, int? VideoLevel, string? AudioProfile);

/// <summary>Parses <c>ffprobe -print_format json -show_format -show_streams</c> output. Pure.</summary>
internal static class FfprobeJson
{
    /// <exception cref="FormatException">The text is not ffprobe JSON.</exception>
    public static ProbeReport Parse(string json)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException ex)
        {
            throw new FormatException("ffprobe did not return JSON.", ex);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new FormatException("ffprobe did not return a JSON object.");
            }

            var format = root.TryGetProperty("format", out var f) && f.ValueKind == JsonValueKind.Object ? f : default;
            var streams = root.TryGetProperty("streams", out var s) && s.ValueKind == JsonValueKind.Array
                ? s.EnumerateArray().ToList()
                : [];

            JsonElement? videoElement = streams.Cast<JsonElement?>().FirstOrDefault(e => Text(e!.Value, "codec_type") == "video" && !IsAttachedPicture(e.Value));
            JsonElement? audioElement = streams.Cast<JsonElement?>().FirstOrDefault(e => Text(e!.Value, "codec_type") == "audio");

            VideoStreamInfo? video = null;
            if (videoElement is { } v)
            {
                var frameRate = Rational(Text(v, "avg_frame_rate"));
                if (frameRate <= 0)
                {
                    frameRate = Rational(Text(v, "r_frame_rate"));
                }

                video = new VideoStreamInfo(
                    Text(v, "codec_name") ?? "unknown",
                    Int(v, "width") ?? 0,
                    Int(v, "height") ?? 0,
                    Rotation(v),
                    frameRate,
                    Long(v, "bit_rate"),
                    Text(v, "pix_fmt"));
            }

            AudioStreamInfo? audio = null;
            if (audioElement is { } a)
            {
                audio = new AudioStreamInfo(
                    Text(a, "codec_name") ?? "unknown",
                    Int(a, "channels") ?? 0,
                    Int(a, "sample_rate") ?? 0,
                    Long(a, "bit_rate"));
            }

            var duration = format.ValueKind == JsonValueKind.Object ? Double(format, "duration") : null;
            if (duration is null or <= 0)
            {
                // Some containers only know stream durations.
                duration = streams.Select(e => Double(e, "duration") ?? 0).DefaultIfEmpty(0).Max();
            }

            var info = new MediaInfo(
                duration ?? 0,
                format.ValueKind == JsonValueKind.Object ? Long(format, "size") : null,
                format.ValueKind == JsonValueKind.Object ? Text(format, "format_name") ?? string.Empty : string.Empty,
                video,
                audio);
            return new ProbeReport(
                info,
                streams.Count,
                videoElement is { } ve ? Text(ve, "profile") : null,
                videoElement is { } vl ? Int(vl, "level") : null,
                audioElement is { } ae ? Text(ae, "profile") : null);
        }
    }

    /// <summary>Clockwise display rotation normalised to 0/90/180/270, from the display matrix side data or the legacy <c>rotate</c> tag.</summary>
    private static int Rotation(JsonElement stream)
    {
        double? degrees = null;
        if (stream.TryGetProperty("side_data_list", out var sideData) && sideData.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in sideData.EnumerateArray())
            {
                if (Double(item, "rotation") is { } r)
                {
                    degrees = r;
                    break;
                }
            }
        }

        if (degrees is null && stream.TryGetProperty("tags", out var tags) && tags.ValueKind == JsonValueKind.Object)
        {
            degrees = Double(tags, "rotate");
        }

        if (degrees is not { } d || double.IsNaN(d))
        {
            return 0;
        }

        var quarter = (int)Math.Round(d / 90.0, MidpointRounding.AwayFromZero);
        return ((quarter % 4) + 4) % 4 * 90;
    }

    private static bool IsAttachedPicture(JsonElement stream) =>
        stream.TryGetProperty("disposition", out var d) && d.ValueKind == JsonValueKind.Object && Int(d, "attached_pic") == 1;

    private static string? Text(JsonElement e, string name) =>
        e.TryGetProperty(name, out var p) ? p.ValueKind switch
        {
            JsonValueKind.String => p.GetString(),
            JsonValueKind.Number => p.GetRawText(),
            _ => null,
        } : null;

    private static double? Double(JsonElement e, string name) =>
        Text(e, name) is { } t && double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d) ? d : null;

    private static long? Long(JsonElement e, string name) =>
        Text(e, name) is { } t && long.TryParse(t, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l) ? l : null;

    private static int? Int(JsonElement e, string name) =>
        Text(e, name) is { } t && int.TryParse(t, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var i) ? i : null;

    /// <summary>"30000/1001" → 29.97; "0/0" or garbage → 0.</summary>
    internal static double Rational(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return 0;
        }

        var slash = value.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0)
        {
            return double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var plain) && double.IsFinite(plain) ? plain : 0;
        }

        return double.TryParse(value[..slash], NumberStyles.Float, CultureInfo.InvariantCulture, out var num)
            && double.TryParse(value[(slash + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out var den)
            && den > 0 && num > 0
            ? num / den
            : 0;
    }
}
