using System.ComponentModel.DataAnnotations;

namespace Serverless.Media;

/// <summary>ffmpeg/ffprobe locations, limits on accepted sources and encoding settings. Section <c>Media</c>.</summary>
public sealed class MediaOptions
{
    public const string SectionName = "Media";

    /// <summary>The ffmpeg executable: a full path, or a bare name looked up on PATH. Default <c>ffmpeg</c>.</summary>
    [Required(ErrorMessage = "The setting 'Media__FfmpegPath' is missing.")]
    public string FfmpegPath { get; set; } = "ffmpeg";

    /// <summary>The ffprobe executable: a full path, or a bare name looked up on PATH. Default <c>ffprobe</c>.</summary>
    [Required(ErrorMessage = "The setting 'Media__FfprobePath' is missing.")]
    public string FfprobePath { get; set; } = "ffprobe";

    /// <summary>Temp root for work folders; default <c>Path.GetTempPath()/serverless-media</c> (see <see cref="ResolveWorkDirectory"/>).</summary>
    public string? WorkDirectory { get; set; }

    /// <summary>The libx264 preset. Default <c>veryfast</c> (about 0.8x real time for a 1080p30 source on 2 cores).</summary>
    [Required]
    [AllowedValues("ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow")]
    public string Preset { get; set; } = "veryfast";

    /// <summary>Longest accepted clip. Clips are 15 s to 3 min; default 200 s.</summary>
    [Range(1, 24 * 3600)]
    public int MaxDurationSeconds { get; set; } = 200;

    /// <summary>Largest accepted source file. Default 1 GiB.</summary>
    [Range(1, long.MaxValue)]
    public long MaxSourceBytes { get; set; } = 1L << 30;

    /// <summary>Smallest accepted width and height (display orientation), to reject e.g. 1x1 videos. Default 64.</summary>
    [Range(2, 4096)]
    public int MinDimension { get; set; } = 64;

    /// <summary>Largest accepted width or height of the source. Default 4096 (decoding 8K would not fit the time budget).</summary>
    [Range(64, 16384)]
    public int MaxDimension { get; set; } = 4096;

    /// <summary>The ladder's top rung, on the short side (360, 540, 720 or 1080). Default 720: a 1080p source gets 360p/540p/720p.</summary>
    [AllowedValues(360, 540, 720, 1080)]
    public int MaxLadderShortSide { get; set; } = 720;

    /// <summary>
    /// Per-title ladder (<see cref="PerTitleLadder"/>): a short look at each upload decides each rung's rate from its content
    /// (constant quality under the fixed rate as a cap) and leaves out rungs that would not look different. Default on; off
    /// encodes every upload with the fixed ladder's rates.
    /// </summary>
    public bool PerTitleLadder { get; set; } = true;

    /// <summary>
    /// Shortest clip the per-title look is taken for, seconds. Default 10: the look costs about one keyframe interval of the
    /// lowest rung and a second of the top one, a third of a 3 s clip's encode but a few per cent of a 15 s one's, and a short
    /// clip's bytes are few; shorter clips get the fixed ladder.
    /// </summary>
    [Range(0, 24 * 3600)]
    public double PerTitleMinSeconds { get; set; } = 10;

    /// <summary>The per-title ladder's constant quality (libx264 <c>-crf</c>). Default 21.</summary>
    [Range(15, 30)]
    public int PerTitleCrf { get; set; } = 21;

    /// <summary>Budget of one ffprobe run. Default 60 s.</summary>
    [Range(1, 3600)]
    public int ProbeTimeoutSeconds { get; set; } = 60;

    /// <summary>Budget of one transcode (the whole ladder in one ffmpeg pass). Default 1800 s.</summary>
    [Range(1, 24 * 3600)]
    public int TranscodeTimeoutSeconds { get; set; } = 1800;

    /// <summary>HLS segment container. Default MPEG-TS (widest mini-program player support); fMP4 optional.</summary>
    public HlsSegmentFormat SegmentFormat { get; set; } = HlsSegmentFormat.MpegTs;

    /// <summary>The work-folder root: <see cref="WorkDirectory"/> or <c>Path.GetTempPath()/serverless-media</c>.</summary>
    public string ResolveWorkDirectory() =>
        string.IsNullOrWhiteSpace(WorkDirectory) ? Path.Combine(Path.GetTempPath(), "serverless-media") : WorkDirectory;
}

/// <summary>The container of HLS media segments.</summary>
public enum HlsSegmentFormat
{
    /// <summary>MPEG-2 transport stream segments (<c>seg_00000.ts</c>).</summary>
    MpegTs,

    /// <summary>Fragmented MP4 (<c>init.mp4</c> + <c>seg_00000.m4s</c>).</summary>
    Fmp4,
}
