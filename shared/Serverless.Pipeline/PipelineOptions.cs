using System.ComponentModel.DataAnnotations;

namespace Serverless.Pipeline;

/// <summary>The processing pipeline (section <c>Pipeline</c>; the uploads' own settings, in the same section, are <c>Serverless.Videos.UploadOptions</c>).</summary>
public sealed class PipelineOptions
{
    public const string SectionName = "Pipeline";

    /// <summary>Attempts of one step before the video is Failed (transient faults; bad input fails at once). Default 3.</summary>
    [Range(1, 10)]
    public int MaxStepAttempts { get; set; } = 3;

    /// <summary>
    /// Videos processed at once across all instances; later uploads wait their turn (PipelineSlots), so a burst's first
    /// uploads are Ready first. Raise it with the number of instances (about 2 per 2-core instance). Default 2.
    /// </summary>
    [Range(1, 1000)]
    public int MaxConcurrentVideos { get; set; } = 2;

    /// <summary>First retry delay of a step in seconds; doubles per attempt. Default 5.</summary>
    [Range(0, 600)]
    public double RetryBaseDelaySeconds { get; set; } = 5;

    /// <summary>
    /// The sweep looks at videos untouched this long, in seconds: an upload whose file arrived but whose pipeline never started
    /// (its event lost) is started; a video still Processing whose orchestration has ended is Failed. Default 900 (15 min).
    /// </summary>
    [Range(5, 86400)]
    public int StuckAfterSeconds { get; set; } = 900;

    /// <summary>How often ffmpeg's progress is written to the video's row, in seconds. Default 2.</summary>
    [Range(0.1, 60)]
    public double ProgressIntervalSeconds { get; set; } = 2;

    /// <summary>
    /// NCRONTAB schedule of the stuck-work sweep (6 fields, seconds first; <c>0 */1 * * * *</c>, every minute, in the
    /// sample settings and the Bicep). No default: the Functions host reads it for the timer trigger.
    /// </summary>
    [Required]
    public string SweepSchedule { get; set; } = string.Empty;
}
