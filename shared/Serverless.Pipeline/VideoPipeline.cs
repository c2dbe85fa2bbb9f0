using Microsoft.DurableTask;
using Serverless.Media;
using Serverless.Videos;

namespace Serverless.Pipeline;

/// <summary>What the orchestration is started with. The settings travel in the input so replays decide alike.</summary>
/// <param name="ReviewDeadlineMinutes">How long WeChat's content check is waited for; null when uploads are published unchecked.</param>
public sealed record PipelineInput(string VideoId, int MaxStepAttempts, double RetryBaseDelaySeconds, double? ReviewDeadlineMinutes = null);

/// <summary>How an orchestration ended (its output).</summary>
public sealed record PipelineOutcome(string VideoId, VideoStatus Status, string? Reason);

public sealed record ProbeOutput(MediaInfo Source, IReadOnlyList<Rendition> Ladder);

/// <param name="OwnerOnlyUntilPublished">A content review follows: while produced, only the owner may watch it.</param>
public sealed record TranscodeInput(string VideoId, MediaInfo Source, IReadOnlyList<Rendition> Ladder, bool OwnerOnlyUntilPublished = false);

/// <param name="ReviewSamples">The content check's samples the transcode took from its own decode and stored (when a review follows).</param>
public sealed record TranscodeOutput(IReadOnlyList<RenditionRecord> Renditions, IReadOnlyList<Review.ReviewSample>? ReviewSamples = null);

public sealed record PublishInput(string VideoId, IReadOnlyList<RenditionRecord> Renditions);

/// <param name="BadInput">The input itself was refused (not a retry that gave up): its upload is deleted after a retention.</param>
public sealed record FailVideoInput(string VideoId, PipelineStep Step, string Reason, bool BadInput = false);

/// <summary>
/// The upload pipeline as a Durable orchestration (instance id = video id): probe → transcode the ladder (which publishes its
/// HLS and poster while it encodes, so the video is playable seconds in, and takes the content check's samples from the same
/// decode) → content review (<see cref="ContentReview"/>, when on) → publish. The review runs after the video's pipeline slot
/// is freed: waiting for WeChat's verdicts holds no transcoding capacity. Deterministic replayable code: no I/O, no clock but the context's; every decision about a failed step is
/// <see cref="StepRetry.Decide"/>'s. The activities (<see cref="PipelineActivities"/>) do the work and keep the videos table
/// (the API's read model) up to date.
/// </summary>
public static class VideoPipeline
{
    public const string Name = "VideoPipeline";

    /// <summary>How orchestration and activity inputs and outputs are serialized (the read model's JSON: enums by name).</summary>
    public static System.Text.Json.JsonSerializerOptions Json => VideoRepository.Json;

    /// <summary>Writing a Failed reason must land even through a storage outage.</summary>
    private static readonly TaskOptions FailVideoRetry = TaskOptions.FromRetryPolicy(new RetryPolicy(
        maxNumberOfAttempts: 10, firstRetryInterval: TimeSpan.FromSeconds(2), backoffCoefficient: 2, maxRetryInterval: TimeSpan.FromMinutes(1)));

    /// <summary>Storage calls of the admission activities must land through an outage too.</summary>
    private static readonly TaskOptions SlotRetry = FailVideoRetry;

    public static async Task<PipelineOutcome> RunAsync(TaskOrchestrationContext context, PipelineInput input)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(input);

        // Admission (PipelineSlots): wait for one of the app's pipeline slots, then run to the end, then free it (handing it
        // to the longest-waiting video). A waiter sleeps until its grant arrives, asking again only if none came in time.
        while (!await context.CallActivityAsync<bool>(ActivityNames.AcquireSlot, input.VideoId, SlotRetry).ConfigureAwait(true))
        {
            using var stopWaiting = new CancellationTokenSource();
            var granted = context.WaitForExternalEvent<bool>(PipelineSlots.GrantedEvent, stopWaiting.Token);
            var fallback = context.CreateTimer(context.CurrentUtcDateTime + PipelineSlots.FallbackWait, stopWaiting.Token);
            await Task.WhenAny(granted, fallback).ConfigureAwait(true);
            stopWaiting.Cancel(); // synchronously: an orchestrator's continuations run on its own thread
        }

        Produced produced;
        try
        {
            produced = await ProduceAsync(context, input).ConfigureAwait(true);
        }
        finally
        {
            await context.CallActivityAsync(ActivityNames.ReleaseSlot, input.VideoId, SlotRetry).ConfigureAwait(true);
        }

        if (produced.Outcome is { } ended)
        {
            return ended;
        }

        if (await ContentReview.RunAsync(context, input, produced.ReviewSamples ?? []).ConfigureAwait(true) is { } notPublished)
        {
            return notPublished;
        }

        return await PublishAsync(context, input, produced.Renditions!).ConfigureAwait(true);
    }

    private static async Task<PipelineOutcome> PublishAsync(TaskOrchestrationContext context, PipelineInput input, IReadOnlyList<RenditionRecord> renditions)
    {
        var published = await RunStepAsync<bool>(context, input, PipelineStep.PublishVideo, new PublishInput(input.VideoId, renditions)).ConfigureAwait(true);
        return published.Outcome ?? new PipelineOutcome(input.VideoId, VideoStatus.Ready, null);
    }

    /// <summary>
    /// Everything that needs a pipeline slot: probe, transcode (with packaging and the poster), and the publish when no review is to come
    /// (its outcome is then the pipeline's).
    /// </summary>
    private static async Task<Produced> ProduceAsync(TaskOrchestrationContext context, PipelineInput input)
    {
        var videoId = input.VideoId;

        var probe = await RunStepAsync<ProbeOutput>(context, input, PipelineStep.ProbeSource, videoId).ConfigureAwait(true);
        if (probe.Outcome is { } stoppedAtProbe)
        {
            return new Produced(stoppedAtProbe, null, null);
        }

        var source = probe.Value!.Source;
        var ladder = probe.Value.Ladder;
        var transcode = await RunStepAsync<TranscodeOutput>(
            context, input, PipelineStep.TranscodeLadder, new TranscodeInput(videoId, source, ladder, input.ReviewDeadlineMinutes is not null)).ConfigureAwait(true);
        if (transcode.Outcome is { } stoppedAtTranscode)
        {
            return new Produced(stoppedAtTranscode, null, null);
        }

        var renditions = transcode.Value!.Renditions;

        if (input.ReviewDeadlineMinutes is null)
        {
            return new Produced(await PublishAsync(context, input, renditions).ConfigureAwait(true), null, renditions);
        }

        return new Produced(null, transcode.Value.ReviewSamples, renditions);
    }

    /// <summary>Calls one step's activity until it succeeds, or the retry rules give up (the video is then Failed with the reason).</summary>
    internal static async Task<StepRun<T>> RunStepAsync<T>(TaskOrchestrationContext context, PipelineInput input, PipelineStep step, object stepInput)
    {
        var attempt = 1;
        var outageRetries = 0;
        while (true)
        {
            try
            {
                return new StepRun<T>(await context.CallActivityAsync<T>(step.ToString(), stepInput).ConfigureAwait(true), null);
            }
            catch (TaskFailedException failed)
            {
                var failure = StepFailure.From(failed.FailureDetails);
                switch (StepRetry.Decide(step, attempt, outageRetries, failure, input.MaxStepAttempts, TimeSpan.FromSeconds(input.RetryBaseDelaySeconds)))
                {
                    case RetryDecision.Retry retry:
                        (attempt, outageRetries) = (retry.NextAttempt, retry.OutageRetries);
                        await context.CreateTimer(context.CurrentUtcDateTime + retry.Delay, CancellationToken.None).ConfigureAwait(true);
                        break;
                    case RetryDecision.Stop:
                        return new StepRun<T>(default, new PipelineOutcome(input.VideoId, VideoStatus.Deleted, failure.Reason));
                    case RetryDecision.Fail fail:
                        await context.CallActivityAsync(
                            ActivityNames.FailVideo, new FailVideoInput(input.VideoId, step, fail.Reason, failure.Kind == StepFailureKind.Rejected), FailVideoRetry).ConfigureAwait(true);
                        return new StepRun<T>(default, new PipelineOutcome(input.VideoId, VideoStatus.Failed, fail.Reason));
                }
            }
        }
    }

    internal sealed record StepRun<T>(T? Value, PipelineOutcome? Outcome);

    /// <summary>What the slot's steps produced, or how the pipeline stopped.</summary>
    private sealed record Produced(PipelineOutcome? Outcome, IReadOnlyList<Review.ReviewSample>? ReviewSamples, IReadOnlyList<RenditionRecord>? Renditions);
}

/// <summary>The names the activities are registered under (one per <see cref="PipelineStep"/>, plus the failure write).</summary>
public static class ActivityNames
{
    public const string ProbeSource = nameof(PipelineStep.ProbeSource);
    public const string TranscodeLadder = nameof(PipelineStep.TranscodeLadder);
    public const string PublishVideo = nameof(PipelineStep.PublishVideo);
    public const string FailVideo = "FailVideo";
    public const string AcquireSlot = "AcquireSlot";
    public const string ReleaseSlot = "ReleaseSlot";
    public const string PrepareReview = nameof(PipelineStep.ReviewContent);
    public const string SubmitReviewSample = "SubmitReviewSample";
    public const string MarkInReview = "MarkInReview";
    public const string RejectVideo = "RejectVideo";
}

/// <summary>Why an activity failed, as the orchestration tells failures apart.</summary>
public enum StepFailureKind
{
    /// <summary>Possibly transient (ffmpeg died, an I/O error): retried with backoff, counting attempts.</summary>
    Transient,

    /// <summary>The input can never succeed (not a video, too long, a broken playlist): fails at once.</summary>
    Rejected,

    /// <summary>Storage was unreachable: not the video's fault, retried without using up attempts (up to a bound).</summary>
    StorageOutage,

    /// <summary>The app was shutting down mid-step: run again, not counted.</summary>
    Interrupted,

    /// <summary>The owner deleted the video: stop quietly.</summary>
    VideoDeleted,
}

/// <summary>A failed activity, classified.</summary>
public sealed record StepFailure(StepFailureKind Kind, string Reason)
{
    /// <summary>Reads the kind from the exception type the activity threw (<see cref="StepFailedException"/>).</summary>
    public static StepFailure From(TaskFailureDetails? details)
    {
        if (details is null)
        {
            return new StepFailure(StepFailureKind.Transient, "The step failed without details.");
        }

        var kind = details.ErrorType == typeof(StepFailedException).FullName && StepFailedException.TryReadKind(details.ErrorMessage, out var k, out var reason)
            ? (k, reason)
            : (StepFailureKind.Transient, $"{ShortName(details.ErrorType)}: {details.ErrorMessage}");
        return new StepFailure(kind.Item1, kind.Item2);
    }

    private static string ShortName(string type) => type[(type.LastIndexOf('.') + 1)..];
}

/// <summary>
/// Thrown by an activity with the reason a person reads and the kind the orchestration decides on. The kind travels in
/// the message (<c>[Kind] reason</c>): Durable failure details carry an exception's type name and message only.
/// </summary>
public sealed class StepFailedException : Exception
{
    public StepFailedException(StepFailureKind kind, string reason, Exception? inner = null)
        : base($"[{kind}] {reason}", inner)
    {
        Kind = kind;
        Reason = reason;
    }

    public StepFailedException()
        : this(StepFailureKind.Transient, "The step failed.")
    {
    }

    public StepFailedException(string message)
        : this(StepFailureKind.Transient, message)
    {
    }

    public StepFailedException(string message, Exception inner)
        : this(StepFailureKind.Transient, message, inner)
    {
    }

    public StepFailureKind Kind { get; }

    public string Reason { get; }

    internal static bool TryReadKind(string message, out StepFailureKind kind, out string reason)
    {
        kind = StepFailureKind.Transient;
        reason = message;
        var close = message.IndexOf("] ", StringComparison.Ordinal);
        if (!message.StartsWith('[') || close < 0 || !Enum.TryParse(message[1..close], out kind))
        {
            kind = StepFailureKind.Transient;
            return false;
        }

        reason = message[(close + 2)..];
        return true;
    }
}

/// <summary>What follows a failed step.</summary>
public abstract record RetryDecision
{
    private RetryDecision()
    {
    }

    /// <summary>Run the step again after <paramref name="Delay"/>.</summary>
    public sealed record Retry(TimeSpan Delay, int NextAttempt, int OutageRetries) : RetryDecision;

    /// <summary>Give up: the video is Failed with this reason.</summary>
    public sealed record Fail(string Reason) : RetryDecision;

    /// <summary>Nothing more to do (the video was deleted).</summary>
    public sealed record Stop : RetryDecision;
}

/// <summary>The pipeline's retry rules, a pure function of the failure and the counts so far (unit-tested without storage).</summary>
public static class StepRetry
{
    /// <summary>Runs of one step a storage outage may cut short without using up its attempts.</summary>
    public const int MaxOutageRetries = 8;

    /// <summary>Longest wait before retrying a step a storage outage cut short.</summary>
    public static readonly TimeSpan MaxOutageDelay = TimeSpan.FromMinutes(2);

    /// <summary>Runs of one step a shutdown may interrupt without using up its attempts.</summary>
    public const int MaxInterruptions = 20;

    public static RetryDecision Decide(PipelineStep step, int attempt, int outageRetries, StepFailure failure, int maxAttempts, TimeSpan retryBaseDelay)
    {
        ArgumentNullException.ThrowIfNull(failure);
        switch (failure.Kind)
        {
            case StepFailureKind.VideoDeleted:
                return new RetryDecision.Stop();
            case StepFailureKind.Rejected:
                return new RetryDecision.Fail(failure.Reason);
            case StepFailureKind.Interrupted when outageRetries < MaxInterruptions:
                return new RetryDecision.Retry(TimeSpan.FromSeconds(1), attempt, outageRetries + 1);
            case StepFailureKind.StorageOutage when outageRetries < MaxOutageRetries:
                var retries = outageRetries + 1;
                var wait = TimeSpan.FromTicks(Math.Min(
                    Math.Max(retryBaseDelay.Ticks, TimeSpan.TicksPerSecond) * (1L << Math.Min(retries - 1, 10)), MaxOutageDelay.Ticks));
                return new RetryDecision.Retry(wait, attempt, retries);
        }

        if (attempt >= maxAttempts)
        {
            return new RetryDecision.Fail($"{Describe(step)} failed after {attempt} attempts: {failure.Reason}");
        }

        return new RetryDecision.Retry(TimeSpan.FromTicks(retryBaseDelay.Ticks * (1L << Math.Min(attempt - 1, 10))), attempt + 1, outageRetries);
    }

    public static string Describe(PipelineStep step) => step switch
    {
        PipelineStep.ProbeSource => "Probing the upload",
        PipelineStep.TranscodeLadder => "Transcoding",
        PipelineStep.ReviewContent => "Preparing the content review",
        PipelineStep.PublishVideo => "Publishing",
        _ => step.ToString(),
    };
}
