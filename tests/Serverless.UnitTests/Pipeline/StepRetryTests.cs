using Microsoft.DurableTask;
using Serverless.Pipeline;
using Serverless.Videos;

namespace Serverless.UnitTests.Pipeline;

/// <summary>The orchestration's retry rules, decided from the failure and the counts alone (no engine, no storage).</summary>
public sealed class StepRetryTests
{
    private static readonly TimeSpan BaseDelay = TimeSpan.FromSeconds(5);

    [Fact]
    public void Decide_Transient_RetriesWithDoublingBackoffThenFailsNamingTheStepAndAttempts()
    {
        var delays = new List<TimeSpan>();
        var attempt = 1;
        RetryDecision decision;
        while ((decision = StepRetry.Decide(PipelineStep.TranscodeLadder, attempt, 0, new StepFailure(StepFailureKind.Transient, "ffmpeg died"), 3, BaseDelay)) is RetryDecision.Retry retry)
        {
            Assert.Equal(attempt + 1, retry.NextAttempt);
            delays.Add(retry.Delay);
            attempt = retry.NextAttempt;
        }

        Assert.Equal([TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(10)], delays);
        Assert.Equal(new RetryDecision.Fail("Transcoding failed after 3 attempts: ffmpeg died"), decision);
    }

    [Fact]
    public void Decide_Rejected_FailsAtOnceWithTheReasonAlone()
    {
        var decision = StepRetry.Decide(PipelineStep.ProbeSource, 1, 0, new StepFailure(StepFailureKind.Rejected, "The upload is not a video."), 3, BaseDelay);

        Assert.Equal(new RetryDecision.Fail("The upload is not a video."), decision);
    }

    [Fact]
    public void Decide_StorageOutage_KeepsTheAttemptAndBacksOff()
    {
        var decision = StepRetry.Decide(PipelineStep.ProbeSource, 2, 0, new StepFailure(StepFailureKind.StorageOutage, "storage unavailable"), 3, BaseDelay);

        Assert.Equal(new RetryDecision.Retry(TimeSpan.FromSeconds(5), 2, 1), decision);
    }

    [Fact]
    public void Decide_StorageOutagesBeyondTheirBudget_CountAsAttempts()
    {
        var (attempt, outages, runs) = (1, 0, 0);
        RetryDecision decision;
        while ((decision = StepRetry.Decide(PipelineStep.ProbeSource, attempt, outages, new StepFailure(StepFailureKind.StorageOutage, "down"), 3, BaseDelay)) is RetryDecision.Retry retry)
        {
            Assert.True(retry.Delay <= StepRetry.MaxOutageDelay);
            (attempt, outages, runs) = (retry.NextAttempt, retry.OutageRetries, runs + 1);
        }

        Assert.IsType<RetryDecision.Fail>(decision);
        Assert.Equal(StepRetry.MaxOutageRetries + 2, runs);
    }

    [Fact]
    public void Decide_Interrupted_RunsAgainSoonWithoutUsingAnAttempt()
    {
        var decision = StepRetry.Decide(PipelineStep.TranscodeLadder, 3, 0, new StepFailure(StepFailureKind.Interrupted, "shutdown"), 3, BaseDelay);

        Assert.Equal(new RetryDecision.Retry(TimeSpan.FromSeconds(1), 3, 1), decision);
    }

    [Fact]
    public void Decide_VideoDeleted_Stops()
    {
        Assert.IsType<RetryDecision.Stop>(StepRetry.Decide(PipelineStep.PublishVideo, 1, 0, new StepFailure(StepFailureKind.VideoDeleted, "deleted"), 3, BaseDelay));
    }

    [Theory]
    [InlineData(StepFailureKind.Rejected)]
    [InlineData(StepFailureKind.StorageOutage)]
    [InlineData(StepFailureKind.Interrupted)]
    [InlineData(StepFailureKind.VideoDeleted)]
    public void StepFailureFrom_StepFailedExceptionDetails_ReadsKindAndReason(StepFailureKind kind)
    {
        var details = TaskFailureDetails.FromException(new StepFailedException(kind, "The upload is 3 bytes [sic]."));

        Assert.Equal(new StepFailure(kind, "The upload is 3 bytes [sic]."), StepFailure.From(details));
    }

    [Fact]
    public void StepFailureFrom_AnyOtherException_IsTransientWithItsTypeAndMessage()
    {
        var details = TaskFailureDetails.FromException(new InvalidOperationException("[Rejected] not ours"));

        Assert.Equal(new StepFailure(StepFailureKind.Transient, "InvalidOperationException: [Rejected] not ours"), StepFailure.From(details));
    }
}
