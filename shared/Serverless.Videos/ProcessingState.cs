using Serverless.Media;

namespace Serverless.Videos;

/// <summary>The pipeline's activities, in order. <see cref="TranscodeLadder"/> also packages the HLS and makes the poster,
/// from the same decode, and uploads each file as soon as ffmpeg closes it: the files live on one instance's disk, so they
/// must reach storage before that activity completes.</summary>
public enum PipelineStep
{
    ProbeSource,
    TranscodeLadder,

    /// <summary>WeChat's content check: samples taken and submitted, verdicts awaited (an operator decides what it could not).</summary>
    ReviewContent,
    PublishVideo,
}

public enum StepStatus
{
    Pending,
    Running,
    Succeeded,
    Failed,
}

/// <summary>One step's record in the read model: status, how often its activity ran, timings and the last error.</summary>
public sealed record StepState(StepStatus Status, int Attempts, DateTimeOffset? StartedAt, DateTimeOffset? CompletedAt, string? LastError)
{
    public static StepState New { get; } = new(StepStatus.Pending, 0, null, null, null);
}

/// <summary>Outputs recorded by one rendition of <see cref="PipelineStep.TranscodeLadder"/>.</summary>
public sealed record RenditionRecord(string Name, int Width, int Height, long Bandwidth, long AverageBandwidth, string Codecs, double FrameRate);

/// <summary>
/// What the activities recorded of one video's pipeline, kept in its catalog row (ETag-guarded) for the API and operators.
/// The Durable orchestration carries the pipeline's own state; this is its read model.
/// </summary>
public sealed record PipelineState(
    PipelineStep Current,
    IReadOnlyDictionary<PipelineStep, StepState> Steps,
    MediaInfo? Source,
    IReadOnlyList<Rendition>? Ladder,
    IReadOnlyList<RenditionRecord>? Renditions,
    DateTimeOffset StartedAt)
{
    /// <summary>Every step pending; the content review's only once it runs (with the review off it never does).</summary>
    public static PipelineState Start(DateTimeOffset now) => new(
        PipelineStep.ProbeSource,
        Enum.GetValues<PipelineStep>().Where(s => s != PipelineStep.ReviewContent).ToDictionary(s => s, _ => StepState.New),
        null,
        null,
        null,
        now);

    public StepState this[PipelineStep step] => Steps.TryGetValue(step, out var s) ? s : StepState.New;

    public PipelineState With(PipelineStep step, StepState state)
    {
        var steps = new Dictionary<PipelineStep, StepState>(Steps) { [step] = state };
        return this with { Steps = steps };
    }
}
