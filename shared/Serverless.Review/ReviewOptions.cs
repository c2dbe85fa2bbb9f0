using System.ComponentModel.DataAnnotations;

namespace Serverless.Review;

/// <summary>WeChat's content security check of every upload before it is published (section <c>Review</c>).</summary>
public sealed class ReviewOptions
{
    public const string SectionName = "Review";

    /// <summary>
    /// Check uploads with WeChat (<c>media_check_async</c>) before publishing them. Default on; off only for development
    /// without a WeChat account, where uploads are published unchecked.
    /// </summary>
    public bool Enabled { get; set; } = true;

    /// <summary>The message-push Token configured for the mini-program's message server (signatures of pushes). Required when enabled outside Development.</summary>
    public string PushToken { get; set; } = string.Empty;

    /// <summary>
    /// The message server's EncodingAESKey (43 characters) for safe-mode (encrypted) pushes; empty accepts plain pushes only,
    /// which is allowed in Development alone when the review is on (a plain push's signature does not cover its body).
    /// </summary>
    public string EncodingAesKey { get; set; } = string.Empty;

    /// <summary>
    /// The clip is cut into intervals this long and one frame is checked at a random moment inside each (the moments cannot
    /// be known by the uploader). Default 5.
    /// </summary>
    [Range(1, 600)]
    public double FrameIntervalSeconds { get; set; } = 5;

    /// <summary>A frame is also checked at every scene change scoring above this (ffmpeg's <c>scene</c>, 0–1). Default 0.4.</summary>
    [Range(0.05, 1)]
    public double SceneChangeThreshold { get; set; } = 0.4;

    /// <summary>Most frames checked per video (2,000 calls a minute are shared by every upload). Default 60.</summary>
    [Range(1, 500)]
    public int MaxFrames { get; set; } = 60;

    /// <summary>The audio is checked in chunks this long, in seconds (MP3, well under WeChat's 10 MB per file). Default 60.</summary>
    [Range(5, 600)]
    public int AudioChunkSeconds { get; set; } = 60;

    /// <summary>
    /// How long the video waits for WeChat's verdicts, in minutes, before it goes to the operators' review queue instead. WeChat
    /// promises them within 30 minutes. Default 35.
    /// </summary>
    [Range(0.05, 1440)]
    public double VerdictDeadlineMinutes { get; set; } = 35;

    /// <summary>Lifetime of the read-only URL WeChat fetches a sample with, in minutes. Default 35.</summary>
    [Range(1, 1440)]
    public int MediaUrlMinutes { get; set; } = 35;

    /// <summary>
    /// A push whose timestamp is further than this from our clock is refused (a replay of a captured push), in minutes; 0
    /// turns the check off. WeChat pushes at once and retries within seconds. Default 5.
    /// </summary>
    [Range(0, 1440)]
    public int PushMaxAgeMinutes { get; set; } = 5;

    public TimeSpan VerdictDeadline => TimeSpan.FromMinutes(VerdictDeadlineMinutes);
}
