namespace Serverless.Media;

/// <summary>
/// The containers an upload may be: real video files, each read from its own bytes only. Everything else ffmpeg could open
/// is refused — above all the formats that make it read other addresses or files (an HLS playlist, an ffconcat list, an
/// image sequence, lavfi graphs, text), since an uploaded file chooses its own format. Every ffmpeg and ffprobe run on an
/// upload is held to this list (<c>-format_whitelist</c>), and the probed <see cref="MediaInfo.FormatName"/> is checked
/// against it again (<see cref="SourcePolicy"/>). Pure.
/// </summary>
public static class SourceFormats
{
    /// <summary>
    /// ffmpeg's demuxers for them, as <c>-format_whitelist</c> takes them: MP4/MOV/3GP/M4V (<c>mov</c>), Matroska/WebM,
    /// MPEG-TS, MPEG-PS (<c>mpeg</c>) and AVI, the containers of the content types an upload may declare
    /// (<c>Pipeline__AllowedContentTypes</c>).
    /// </summary>
    public const string Demuxers = "mov,matroska,mpegts,mpeg,avi";

    /// <summary>What people call them, for reasons shown to uploaders.</summary>
    public const string Names = "MP4, MOV, 3GP, WebM, Matroska, MPEG-TS, MPEG-PS or AVI";

    /// <summary>The <c>format_name</c>s ffprobe reports for those demuxers (each demuxer's own list of names).</summary>
    private static readonly HashSet<string> Accepted = new(StringComparer.Ordinal)
    {
        "mov,mp4,m4a,3gp,3g2,mj2",
        "matroska,webm",
        "mpegts",
        "mpeg",
        "avi",
    };

    /// <summary>Whether ffprobe's <c>format_name</c> is one of the accepted containers.</summary>
    public static bool IsAccepted(string? formatName) => formatName is not null && Accepted.Contains(formatName);

    /// <summary>Why a file of ffmpeg's format <paramref name="formatName"/> is refused, in words an uploader reads.</summary>
    public static string Refusal(string? formatName) =>
        $"The file is {Describe(formatName)}, not a video file: upload an {Names} video.";

    /// <summary>"an HLS playlist", "a concat list", "an image or an image sequence", …</summary>
    public static string Describe(string? formatName)
    {
        var name = (formatName ?? string.Empty).Split(',')[0].Trim().ToLowerInvariant();
        return name switch
        {
            "" => "of an unknown format",
            "hls" or "applehttp" => "an HLS playlist",
            "dash" => "a DASH manifest",
            "concat" => "a concat list",
            "image2" or "image2pipe" or "gif" or "apng" or "webp_pipe" => "an image or an image sequence",
            _ when name.EndsWith("_pipe", StringComparison.Ordinal) => "an image or an image sequence",
            "tty" or "txt" or "srt" or "ass" or "webvtt" or "subviewer" or "jacosub" or "microdvd" or "mpl2" or "vplayer" => "a text file",
            "lavfi" => "a filter graph",
            "mp3" or "wav" or "flac" or "ogg" or "aac" => "an audio file",
            _ => $"a file of the format '{Sanitize(name)}'",
        };
    }

    private static string Sanitize(string name) =>
        new([.. name.Where(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-').Take(32)]);
}
