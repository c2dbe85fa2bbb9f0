using Serverless.Pipeline;

namespace Serverless.UnitTests.Pipeline;

public sealed class PipelineOrchestratorTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 21, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Heartbeat = TimeSpan.FromSeconds(45);

    private static StepDecision Decide(VideoStatus status, PipelineState? state, StepMessage message, DateTimeOffset? lastBeat = null) =>
        PipelineOrchestrator.OnMessage(status, state, message, 3, lastBeat ?? Now.AddMinutes(-5), Now, Heartbeat);

    private static StepMessage Msg(PipelineStep step, int attempt) => new("v", step, attempt);

    [Fact]
    public void OnMessage_FirstProbeMessage_RunsAttemptOne()
    {
        var state = PipelineState.Start(Now);

        Assert.Equal(new StepDecision.Run(1), Decide(VideoStatus.Processing, state, Msg(PipelineStep.ProbeSource, 1)));
    }

    [Theory]
    [InlineData(VideoStatus.Ready)]
    [InlineData(VideoStatus.Failed)]
    [InlineData(VideoStatus.Uploading)]
    public void OnMessage_VideoNotProcessing_Ignores(VideoStatus status)
    {
        Assert.IsType<StepDecision.Ignore>(Decide(status, PipelineState.Start(Now), Msg(PipelineStep.ProbeSource, 1)));
    }

    [Fact]
    public void OnMessage_StepRunningWithFreshHeartbeat_DefersUntilTheHeartbeatCouldHaveAgedOut()
    {
        var state = PipelineOrchestrator.OnStarted(PipelineState.Start(Now), PipelineStep.ProbeSource, 1, Now);

        var decision = Decide(VideoStatus.Processing, state, Msg(PipelineStep.ProbeSource, 1), lastBeat: Now.AddSeconds(-5));

        // Not dropped: this may be the dead worker's own message, back before its heartbeat aged out.
        Assert.Equal(new StepDecision.Defer(TimeSpan.FromSeconds(41)), decision);
    }

    [Fact]
    public void OnMessage_StepRunningWithStaleHeartbeat_TakesOverAsNextAttempt()
    {
        var state = PipelineOrchestrator.OnStarted(PipelineState.Start(Now), PipelineStep.ProbeSource, 1, Now);

        Assert.Equal(new StepDecision.Run(2), Decide(VideoStatus.Processing, state, Msg(PipelineStep.ProbeSource, 1)));
    }

    [Fact]
    public void OnMessage_CrashedOnLastAttempt_FailsWithReason()
    {
        var state = PipelineOrchestrator.OnStarted(PipelineState.Start(Now), PipelineStep.ProbeSource, 3, Now);

        var decision = Assert.IsType<StepDecision.Fail>(Decide(VideoStatus.Processing, state, Msg(PipelineStep.ProbeSource, 3)));
        Assert.Contains("3 attempts", decision.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void OnMessage_SupersededAttempt_Ignores()
    {
        var state = PipelineState.Start(Now);
        var (failed, _) = PipelineOrchestrator.OnFailed(
            PipelineOrchestrator.OnStarted(state, PipelineStep.ProbeSource, 1, Now), PipelineStep.ProbeSource, 1, "boom", false, 3, TimeSpan.FromSeconds(1), Now);

        Assert.IsType<StepDecision.Ignore>(Decide(VideoStatus.Processing, failed, Msg(PipelineStep.ProbeSource, 1)));
        Assert.Equal(new StepDecision.Run(2), Decide(VideoStatus.Processing, failed, Msg(PipelineStep.ProbeSource, 2)));
    }

    [Fact]
    public void OnMessage_OldStepRedeliveredAfterSuccess_ResendsCurrentStep()
    {
        var started = PipelineOrchestrator.OnStarted(PipelineState.Start(Now), PipelineStep.ProbeSource, 1, Now);
        var (state, next) = PipelineOrchestrator.OnSucceeded(started, PipelineStep.ProbeSource, Now);

        Assert.Equal(PipelineStep.TranscodeLadder, next);
        Assert.Equal(new StepDecision.Resend(PipelineStep.TranscodeLadder, 1), Decide(VideoStatus.Processing, state, Msg(PipelineStep.ProbeSource, 1)));
    }

    [Fact]
    public void OnSucceeded_WalksEveryStepInOrderThenCompletes()
    {
        var state = PipelineState.Start(Now);
        var visited = new List<PipelineStep>();
        PipelineStep? step = state.Current;
        while (step is { } s)
        {
            visited.Add(s);
            (state, step) = PipelineOrchestrator.OnSucceeded(PipelineOrchestrator.OnStarted(state, s, 1, Now), s, Now);
        }

        Assert.Equal(Enum.GetValues<PipelineStep>(), visited);
        Assert.All(state.Steps.Values, s => Assert.Equal(StepStatus.Succeeded, s.Status));
    }

    [Fact]
    public void OnFailed_Transient_RetriesWithDoublingBackoffThenFails()
    {
        var state = PipelineState.Start(Now);
        var delays = new List<TimeSpan>();
        for (var attempt = 1; attempt <= 3; attempt++)
        {
            var (next, outcome) = PipelineOrchestrator.OnFailed(state, PipelineStep.TranscodeLadder, attempt, "ffmpeg died", false, 3, TimeSpan.FromSeconds(5), Now);
            state = next;
            if (outcome is FailureOutcome.RetryAfter retry)
            {
                Assert.Equal(attempt + 1, retry.NextAttempt);
                delays.Add(retry.Delay);
            }
            else
            {
                var fail = Assert.IsType<FailureOutcome.Fail>(outcome);
                Assert.Equal(3, attempt);
                Assert.Contains("ffmpeg died", fail.Reason, StringComparison.Ordinal);
            }
        }

        Assert.Equal([TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(10)], delays);
    }

    [Fact]
    public void OnFailed_StorageOutage_GivesTheAttemptBackAndTheRetryRuns()
    {
        var running = PipelineOrchestrator.OnStarted(PipelineState.Start(Now), PipelineStep.ProbeSource, 2, Now);

        var (state, outcome) = PipelineOrchestrator.OnFailed(running, PipelineStep.ProbeSource, 2, "storage unavailable", false, 3, TimeSpan.FromSeconds(5), Now, storageOutage: true);

        var retry = Assert.IsType<FailureOutcome.RetryAfter>(outcome);
        Assert.Equal(2, retry.NextAttempt);
        Assert.Equal(TimeSpan.FromSeconds(5), retry.Delay);
        Assert.Equal((StepStatus.Pending, 1, 1), (state[PipelineStep.ProbeSource].Status, state[PipelineStep.ProbeSource].Attempts, state[PipelineStep.ProbeSource].OutageRetries));
        Assert.Equal(new StepDecision.Run(2), Decide(VideoStatus.Processing, state, new StepMessage("v", PipelineStep.ProbeSource, 2)));
    }

    [Fact]
    public void OnFailed_StorageOutagesBeyondTheirBudget_CountAsAttempts()
    {
        var state = PipelineState.Start(Now);
        var outages = 0;
        for (var run = 0; run < PipelineOrchestrator.MaxOutageRetries + 3; run++)
        {
            var attempt = state[PipelineStep.ProbeSource].Attempts + 1;
            (state, var outcome) = PipelineOrchestrator.OnFailed(
                PipelineOrchestrator.OnStarted(state, PipelineStep.ProbeSource, attempt, Now), PipelineStep.ProbeSource, attempt, "storage unavailable", false, 3, TimeSpan.FromSeconds(1), Now, storageOutage: true);
            if (outcome is FailureOutcome.Fail)
            {
                break;
            }

            var retry = Assert.IsType<FailureOutcome.RetryAfter>(outcome);
            Assert.True(retry.Delay <= PipelineOrchestrator.MaxOutageDelay);
            outages++;
        }

        Assert.Equal(StepStatus.Failed, state[PipelineStep.ProbeSource].Status);
        Assert.Equal(PipelineOrchestrator.MaxOutageRetries + 2, outages);
    }

    [Fact]
    public void OnFailed_Permanent_FailsAtOnceWithTheReason()
    {
        var (state, outcome) = PipelineOrchestrator.OnFailed(
            PipelineState.Start(Now), PipelineStep.ProbeSource, 1, "The upload is not a video.", true, 3, TimeSpan.FromSeconds(5), Now);

        Assert.Equal(new FailureOutcome.Fail("The upload is not a video."), outcome);
        Assert.Equal(StepStatus.Failed, state[PipelineStep.ProbeSource].Status);
    }

    [Fact]
    public void OnSweep_StuckProcessing_ResumesCurrentStep()
    {
        var state = PipelineOrchestrator.OnStarted(PipelineState.Start(Now) with { Current = PipelineStep.TranscodeLadder }, PipelineStep.TranscodeLadder, 1, Now);

        var decision = PipelineOrchestrator.OnSweep(VideoStatus.Processing, state, Now.AddMinutes(-20), Now, TimeSpan.FromMinutes(15), 3);

        Assert.Equal(new SweepDecision.Resume(PipelineStep.TranscodeLadder, 2), decision);
    }

    [Fact]
    public void OnSweep_RecentlyUpdated_Leaves()
    {
        var decision = PipelineOrchestrator.OnSweep(VideoStatus.Processing, PipelineState.Start(Now), Now.AddMinutes(-1), Now, TimeSpan.FromMinutes(15), 3);

        Assert.IsType<SweepDecision.Leave>(decision);
    }

    [Fact]
    public void OnSweep_StuckOnLastAttempt_Fails()
    {
        var state = PipelineOrchestrator.OnStarted(PipelineState.Start(Now) with { Current = PipelineStep.TranscodeLadder }, PipelineStep.TranscodeLadder, 3, Now);

        Assert.IsType<SweepDecision.Fail>(PipelineOrchestrator.OnSweep(VideoStatus.Processing, state, Now.AddHours(-1), Now, TimeSpan.FromMinutes(15), 3));
    }

    [Fact]
    public void OnSweep_ResumedAsOftenAsAttemptsAllowedWithoutRunning_FailsWithReason()
    {
        // Every resumed message was lost too: the step never ran, so its attempts stay 0; it must not be resumed forever.
        var start = PipelineState.Start(Now) with { Current = PipelineStep.PackageHls };
        var state = start.With(PipelineStep.PackageHls, start[PipelineStep.PackageHls] with { Resumes = 3 });

        var decision = PipelineOrchestrator.OnSweep(VideoStatus.Processing, state, Now.AddHours(-1), Now, TimeSpan.FromMinutes(15), 3);

        var fail = Assert.IsType<SweepDecision.Fail>(decision);
        Assert.Contains("resumed 3 times", fail.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void OnSweep_ResumedFewerTimesThanAttempts_ResumesAgain()
    {
        var start = PipelineState.Start(Now) with { Current = PipelineStep.PackageHls };
        var state = start.With(PipelineStep.PackageHls, start[PipelineStep.PackageHls] with { Resumes = 2 });

        Assert.Equal(
            new SweepDecision.Resume(PipelineStep.PackageHls, 1),
            PipelineOrchestrator.OnSweep(VideoStatus.Processing, state, Now.AddHours(-1), Now, TimeSpan.FromMinutes(15), 3));
    }
}
