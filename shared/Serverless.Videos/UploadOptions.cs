using System.ComponentModel.DataAnnotations;

namespace Serverless.Videos;

/// <summary>Uploads (section <c>Pipeline</c>, the settings' names since the app began; the pipeline's own are PipelineOptions).</summary>
public sealed class UploadOptions
{
    public const string SectionName = "Pipeline";

    /// <summary>Largest upload accepted, in bytes. Default 1 GiB.</summary>
    [Range(1024, 10L * 1024 * 1024 * 1024)]
    public long MaxUploadBytes { get; set; } = 1L << 30;

    /// <summary>
    /// Largest file accepted through the multipart route (<c>POST /api/uploads/{videoId}/file</c>), in bytes. Default
    /// 100 MiB: the Functions host's own request limit, which refuses larger bodies before the function sees them; larger
    /// files go straight to storage through the upload URL (PUT).
    /// </summary>
    [Range(1024, 104857600)]
    public long MaxMultipartUploadBytes { get; set; } = 100L * 1024 * 1024;

    /// <summary>
    /// The size of a chunk of a chunked upload (<c>PUT /api/uploads/{videoId}/chunks/{index}</c>), in bytes. Default 4 MiB:
    /// well inside a mini-program request's 60 s on a slow connection, and 250 requests for a 1 GiB file. A file that would
    /// need more than 50,000 chunks (a block blob's limit) gets larger ones.
    /// </summary>
    [Range(65536, 33554432)]
    public int UploadChunkBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>Declared content types accepted for uploads (comma-separated).</summary>
    [Required]
    public string AllowedContentTypes { get; set; } = "video/mp4,video/quicktime,video/x-m4v,video/webm,video/x-matroska,video/3gpp,video/mpeg,video/x-msvideo";

    /// <summary>Lifetime of a direct-upload SAS URL, in minutes. Default 15.</summary>
    [Range(1, 120)]
    public int UploadUrlMinutes { get; set; } = 15;

    /// <summary>
    /// An upload whose file never arrived is Failed ("The upload never completed.") by the sweep this long after it was
    /// created, in minutes. Must exceed <see cref="UploadUrlMinutes"/>. Default 1440 (24 h).
    /// </summary>
    [Range(2, 7 * 1440)]
    public int UploadExpiryMinutes { get; set; } = 1440;

    /// <summary>
    /// An upload refused as bad input (not a video this app takes, larger than declared, …) has its stored file deleted by
    /// the sweep this many days after it failed; the video stays Failed with its reason. Uploads that failed for any other
    /// reason (a transient fault that outlasted the retries) are kept for a reprocess. Default 7.
    /// </summary>
    [Range(0, 3650)]
    public double BadUploadRetentionDays { get; set; } = 7;

    /// <summary>
    /// The queue Event Grid delivers the uploads container's BlobCreated events to (<c>video-uploads</c> in the sample
    /// settings and the Bicep, whose subscription delivers there). No default: the Functions host reads it for the queue trigger.
    /// </summary>
    [Required]
    [RegularExpression("^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$", ErrorMessage = "Pipeline__UploadQueue must be a storage queue name (3-63 lowercase letters, digits and single hyphens).")]
    public string UploadQueue { get; set; } = string.Empty;

    public IReadOnlyList<string> ContentTypes =>
        AllowedContentTypes.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
