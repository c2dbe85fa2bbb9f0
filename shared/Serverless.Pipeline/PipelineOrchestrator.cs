namespace Serverless.Pipeline;

/// <summary>What to do with a step message, decided from the recorded state alone.</summary>
public abstract record StepDecision
{
    private StepDecision()
    {
    }

    /// <summary>Run the activity as attempt <paramref name="Attempt"/>.</summary>
    public sealed record Run(int Attempt) : StepDecision;

    /// <summary>A duplicate or stale message: acknowledge it and do nothing.</summary>
    public sealed record Ignore(string Why) : StepDecision;

    /// <summary>
    /// The step is running and its worker looked alive: look again after <paramref name="Delay"/>. Dropping the message
    /// instead would strand the step if this is the dead worker's own message, redelivered before its heartbeat aged out.
    /// </summary>
    public sealed record Defer(TimeSpan Delay) : StepDecision;

    /// <summary>The message's step is done but its successor may never have been sent (a crash in between): send it.</summary>
    public sealed record Resend(PipelineStep Step, int Attempt) : StepDecision;

    /// <summary>The step cannot succeed: fail the video with this reason.</summary>
    public sealed record Fail(string Reason) : StepDecision;
}

/// <summary>What follows a step's failure.</summary>
public abstract record FailureOutcome
{
    private FailureOutcome()
    {
    }

    public sealed record RetryAfter(TimeSpan Delay, int NextAttempt) : FailureOutcome;

    public sealed record Fail(string Reason) : FailureOutcome;
}

/// <summary>What the periodic sweep does with a video.</summary>
public abstract record SweepDecision
{
    private SweepDecision()
    {
    }

    public sealed record Leave : SweepDecision;

    public sealed record Resume(PipelineStep Step, int Attempt) : SweepDecision;

    public sealed record Fail(string Reason) : SweepDecision;
}

/// <summary>
/// The orchestration's decisions as pure functions of the recorded state (STYLE.md "Workflows"): which step runs,
/// when to retry, when to give up. The runner does the I/O; this class is unit-tested without storage.
/// </summary>
public static class PipelineOrchestrator
{
    public static readonly IReadOnlyList<PipelineStep> Order = Enum.GetValues<PipelineStep>();

    public static PipelineStep? Next(PipelineStep step)
    {
        var index = Array.IndexOf(Order.ToArray(), step);
        return index + 1 < Order.Count ? Order[index + 1] : null;
    }

    /// <param name="lastHeartbeat">When the video's row last changed; a running step touches it at least every heartbeat.</param>
    /// <param name="heartbeatTimeout">A running step silent this long is taken to have died with its worker.</param>
    public static StepDecision OnMessage(
        VideoStatus status, PipelineState? state, StepMessage message, int maxAttempts, DateTimeOffset lastHeartbeat, DateTimeOffset now, TimeSpan heartbeatTimeout)
    {
        if (status is VideoStatus.Ready or VideoStatus.Failed or VideoStatus.Deleted)
        {
            return new StepDecision.Ignore($"the video is already {status}");
        }

        if (status == VideoStatus.Uploading || state is null)
        {
            return new StepDecision.Ignore("the pipeline has not started");
        }

        var current = state[state.Current];
        if (message.Step != state.Current)
        {
            // An older step's message came back: it finished, but a crash may have lost the successor's message.
            return state[message.Step].Status == StepStatus.Succeeded && current.Status == StepStatus.Pending
                ? new StepDecision.Resend(state.Current, current.Attempts + 1)
                : new StepDecision.Ignore($"the pipeline is at {state.Current}, not {message.Step}");
        }

        if (message.Attempt < current.Attempts || (message.Attempt == current.Attempts && current.Status == StepStatus.Pending))
        {
            // A later attempt exists (a retry was scheduled, or the sweep resumed the step): that message runs it.
            return new StepDecision.Ignore($"attempt {message.Attempt} of {message.Step} was superseded");
        }

        if (current.Status == StepStatus.Running && now - lastHeartbeat < heartbeatTimeout)
        {
            return new StepDecision.Defer(heartbeatTimeout - (now - lastHeartbeat) + TimeSpan.FromSeconds(1));
        }

        return current.Status switch
        {
            StepStatus.Succeeded => new StepDecision.Ignore($"{message.Step} already succeeded"),
            StepStatus.Failed => new StepDecision.Ignore($"{message.Step} already failed"),

            // Running means an earlier delivery died mid-step (its message lease lapsed): that counts as an attempt.
            _ when current.Attempts >= maxAttempts => new StepDecision.Fail(
                $"{Describe(message.Step)} did not complete after {current.Attempts} attempts" +
                (current.LastError is null ? " (the worker stopped while running it)." : $": {current.LastError}")),
            _ => new StepDecision.Run(current.Attempts + 1),
        };
    }

    public static PipelineState OnStarted(PipelineState state, PipelineStep step, int attempt, DateTimeOffset now) =>
        state.With(step, state[step] with { Status = StepStatus.Running, Attempts = attempt, StartedAt = now, CompletedAt = null });

    /// <summary>Marks the step done and moves to the next; returns the next step, or null when the pipeline is complete.</summary>
    public static (PipelineState State, PipelineStep? Next) OnSucceeded(PipelineState state, PipelineStep step, DateTimeOffset now)
    {
        var done = state.With(step, state[step] with { Status = StepStatus.Succeeded, CompletedAt = now, LastError = null });
        var next = Next(step);
        return next is { } n ? (done with { Current = n }, n) : (done, null);
    }

    /// <summary>Runs of one step a storage outage may cut short without using up its attempts.</summary>
    public const int MaxOutageRetries = 8;

    /// <summary>Longest wait before retrying a step a storage outage cut short.</summary>
    public static readonly TimeSpan MaxOutageDelay = TimeSpan.FromMinutes(2);

    /// <param name="storageOutage">
    /// Storage was unreachable when the step failed: not the video's fault, so the attempt is given back and the step
    /// retried after a backoff, up to <see cref="MaxOutageRetries"/> times, before outages count as attempts again.
    /// </param>
    public static (PipelineState State, FailureOutcome Outcome) OnFailed(
        PipelineState state, PipelineStep step, int attempt, string error, bool permanent, int maxAttempts, TimeSpan retryBaseDelay, DateTimeOffset now, bool storageOutage = false)
    {
        if (storageOutage && !permanent && state[step].OutageRetries < MaxOutageRetries)
        {
            var retries = state[step].OutageRetries + 1;
            var wait = TimeSpan.FromTicks(Math.Min(Math.Max(retryBaseDelay.Ticks, TimeSpan.TicksPerSecond) * (1L << Math.Min(retries - 1, 10)), MaxOutageDelay.Ticks));
            var givenBack = state[step] with { Status = StepStatus.Pending, Attempts = attempt - 1, OutageRetries = retries, LastError = error };
            return (state.With(step, givenBack), new FailureOutcome.RetryAfter(wait, attempt));
        }

        if (permanent)
        {
            return (state.With(step, state[step] with { Status = StepStatus.Failed, CompletedAt = now, LastError = error }), new FailureOutcome.Fail(error));
        }

        if (attempt >= maxAttempts)
        {
            var reason = $"{Describe(step)} failed after {attempt} attempts: {error}";
            return (state.With(step, state[step] with { Status = StepStatus.Failed, CompletedAt = now, LastError = error }), new FailureOutcome.Fail(reason));
        }

        var delay = TimeSpan.FromTicks(retryBaseDelay.Ticks * (1L << Math.Min(attempt - 1, 10)));
        return (state.With(step, state[step] with { Status = StepStatus.Pending, LastError = error }), new FailureOutcome.RetryAfter(delay, attempt + 1));
    }

    /// <summary>Finds work that stopped moving (a lost message, a crash with the message poisoned) and resumes or fails it.</summary>
    public static SweepDecision OnSweep(VideoStatus status, PipelineState? state, DateTimeOffset updatedAt, DateTimeOffset now, TimeSpan stuckAfter, int maxAttempts)
    {
        if (status != VideoStatus.Processing || now - updatedAt < stuckAfter)
        {
            return new SweepDecision.Leave();
        }

        if (state is null)
        {
            return new SweepDecision.Fail("The pipeline state was lost.");
        }

        var current = state[state.Current];
        if (current.Attempts >= maxAttempts)
        {
            return new SweepDecision.Fail($"{Describe(state.Current)} stopped making progress after {current.Attempts} attempts" +
                (current.LastError is null ? "." : $": {current.LastError}"));
        }

        // Resumed this often and still not moving (each resumed message lost too, or never run): give up rather than
        // resume forever; a resume that ran counts as an attempt above.
        return current.Resumes >= maxAttempts
            ? new SweepDecision.Fail($"{Describe(state.Current)} stopped making progress: resumed {current.Resumes} times without completing.")
            : new SweepDecision.Resume(state.Current, current.Attempts + 1);
    }

    public static string Describe(PipelineStep step) => step switch
    {
        PipelineStep.ProbeSource => "Probing the upload",
        PipelineStep.TranscodeLadder => "Transcoding",
        PipelineStep.PackageHls => "Packaging HLS",
        PipelineStep.CreatePoster => "Creating the poster",
        PipelineStep.PublishVideo => "Publishing",
        _ => step.ToString(),
    };
}
