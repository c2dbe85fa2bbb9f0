using System.Globalization;

namespace Serverless.Media.Probing;

/// <summary>RFC 6381 codec strings for HLS CODECS from ffprobe's profile/level names. Pure.</summary>
internal static class CodecStrings
{
    /// <summary><c>avc1.PPCCLL</c>: profile_idc, constraint flags, level_idc in hex, e.g. High 3.1 → <c>avc1.64001f</c>.</summary>
    public static string Avc(string? profile, int? level)
    {
        var (profileIdc, constraints) = profile switch
        {
            "Constrained Baseline" => (0x42, 0xC0),
            "Baseline" => (0x42, 0x00),
            "Main" => (0x4D, 0x00),
            "Extended" => (0x58, 0x00),
            "High" => (0x64, 0x00),
            "High 10" => (0x6E, 0x00),
            "High 4:2:2" => (0x7A, 0x00),
            "High 4:4:4 Predictive" => (0xF4, 0x00),
            _ => throw new FormatException($"Unknown H.264 profile '{profile}'."),
        };
        if (level is not ({ } idc and > 0 and < 256))
        {
            throw new FormatException($"Unknown H.264 level '{level}'.");
        }

        return string.Create(CultureInfo.InvariantCulture, $"avc1.{profileIdc:x2}{constraints:x2}{idc:x2}");
    }

    /// <summary><c>mp4a.40.N</c> with the MPEG-4 audio object type: LC → 2, HE-AAC → 5, HE-AACv2 → 29.</summary>
    public static string Aac(string? profile) => profile switch
    {
        "LC" or null => "mp4a.40.2",
        "HE-AAC" => "mp4a.40.5",
        "HE-AACv2" => "mp4a.40.29",
        _ => throw new FormatException($"Unknown AAC profile '{profile}'."),
    };
}
