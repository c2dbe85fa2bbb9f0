using System.ComponentModel.DataAnnotations;

namespace Serverless.Pipeline;

/// <summary>Uploads and the processing pipeline (section <c>Pipeline</c>).</summary>
public sealed class PipelineOptions
{
    /// <summary>Queue that receives Event Grid BlobCreated events for the uploads container (named in OnVideoUploaded/function.json and Bicep).</summary>
    public const string UploadQueue = "video-uploads";

    /// <summary>Queue of pipeline step messages, one activity each (named in RunPipelineStep/function.json).</summary>
    public const string StepQueue = "video-steps";

    public const string SectionName = "Pipeline";

    /// <summary>Largest upload accepted, in bytes. Default 1 GiB.</summary>
    [Range(1024, 10L * 1024 * 1024 * 1024)]
    public long MaxUploadBytes { get; set; } = 1L << 30;

    /// <summary>Declared content types accepted for uploads (comma-separated).</summary>
    [Required]
    public string AllowedContentTypes { get; set; } = "video/mp4,video/quicktime,video/x-m4v,video/webm,video/x-matroska,video/3gpp,video/mpeg,video/x-msvideo";

    /// <summary>Lifetime of a direct-upload SAS URL, in minutes. Default 15.</summary>
    [Range(1, 120)]
    public int UploadUrlMinutes { get; set; } = 15;

    /// <summary>Attempts of one step before the video is Failed (transient faults and crashes). Default 3.</summary>
    [Range(1, 10)]
    public int MaxStepAttempts { get; set; } = 3;

    /// <summary>First retry delay of a step in seconds; doubles per attempt. Default 5.</summary>
    [Range(0, 600)]
    public double RetryBaseDelaySeconds { get; set; } = 5;

    /// <summary>
    /// A video whose pipeline has not moved for this long (its step message lost, say) is resumed by the sweep, or
    /// Failed when out of attempts or resumes, in seconds. Must exceed <see cref="HeartbeatTimeoutSeconds"/>. Default 900 (15 min).
    /// </summary>
    [Range(5, 86400)]
    public int StuckAfterSeconds { get; set; } = 900;

    /// <summary>
    /// An upload whose file never arrived is Failed ("The upload never completed.") by the sweep this long after it was
    /// created, in minutes. Must exceed <see cref="UploadUrlMinutes"/>. Default 1440 (24 h).
    /// </summary>
    [Range(2, 7 * 1440)]
    public int UploadExpiryMinutes { get; set; } = 1440;

    /// <summary>How often ffmpeg's progress is written to the video's row, in seconds. Default 2.</summary>
    [Range(0.1, 60)]
    public double ProgressIntervalSeconds { get; set; } = 2;

    /// <summary>A running step refreshes its video's row this often, in seconds. Default 10.</summary>
    [Range(1, 300)]
    public int HeartbeatSeconds { get; set; } = 10;

    /// <summary>A running step silent for this long is taken to have died with its worker, in seconds. Default 45.</summary>
    [Range(5, 3600)]
    public int HeartbeatTimeoutSeconds { get; set; } = 45;

    /// <summary>NCRONTAB schedule of the stuck-work sweep (6 fields, seconds first). Default every minute.</summary>
    [Required]
    public string SweepSchedule { get; set; } = "0 */1 * * * *";

    public IReadOnlyList<string> ContentTypes =>
        AllowedContentTypes.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
