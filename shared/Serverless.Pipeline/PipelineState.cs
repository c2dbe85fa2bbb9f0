using Serverless.Media;

namespace Serverless.Pipeline;

/// <summary>The pipeline's activities, in order. Upload of the renditions is part of <see cref="TranscodeLadder"/>:
/// their files live on one instance's disk, so they must reach storage before that activity completes.</summary>
public enum PipelineStep
{
    ProbeSource,
    TranscodeLadder,
    PackageHls,
    CreatePoster,
    PublishVideo,
}

public enum StepStatus
{
    Pending,
    Running,
    Succeeded,
    Failed,
}

/// <summary>
/// One step's record: status, attempts, timings, the last error, how often the sweep resumed it, and how many runs a
/// storage outage cut short (those are retried without counting as attempts, up to <see cref="PipelineOrchestrator.MaxOutageRetries"/>).
/// </summary>
public sealed record StepState(StepStatus Status, int Attempts, DateTimeOffset? StartedAt, DateTimeOffset? CompletedAt, string? LastError, int Resumes = 0, int OutageRetries = 0)
{
    public static StepState New { get; } = new(StepStatus.Pending, 0, null, null, null);
}

/// <summary>Outputs recorded by one rendition of <see cref="PipelineStep.TranscodeLadder"/>.</summary>
public sealed record RenditionRecord(string Name, int Width, int Height, long Bandwidth, long AverageBandwidth, string Codecs, double FrameRate);

/// <summary>
/// Checkpointed pipeline state of one video, kept in its catalog row (ETag-guarded). Every field is what a step
/// recorded; the orchestration decides from this alone.
/// </summary>
public sealed record PipelineState(
    PipelineStep Current,
    IReadOnlyDictionary<PipelineStep, StepState> Steps,
    MediaInfo? Source,
    IReadOnlyList<Rendition>? Ladder,
    IReadOnlyList<RenditionRecord>? Renditions,
    DateTimeOffset StartedAt,
    int Resumes)
{
    public static PipelineState Start(DateTimeOffset now) => new(
        PipelineStep.ProbeSource,
        Enum.GetValues<PipelineStep>().ToDictionary(s => s, _ => StepState.New),
        null,
        null,
        null,
        now,
        0);

    public StepState this[PipelineStep step] => Steps.TryGetValue(step, out var s) ? s : StepState.New;

    public PipelineState With(PipelineStep step, StepState state)
    {
        var steps = new Dictionary<PipelineStep, StepState>(Steps) { [step] = state };
        return this with { Steps = steps };
    }
}

/// <summary>A step message on the step queue. <paramref name="Attempt"/> is the attempt it was sent for.</summary>
public sealed record StepMessage(string VideoId, PipelineStep Step, int Attempt);
