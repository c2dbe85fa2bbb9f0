using Microsoft.DurableTask;
using Serverless.Pipeline.Review;
using Serverless.Review;
using Serverless.Videos;

namespace Serverless.Pipeline;

/// <summary>
/// The content review inside <see cref="VideoPipeline"/> (deterministic orchestration code): take the samples the transcode
/// stored (from the very decode the published renditions come from, never a second read of the source), submit every
/// sample to WeChat (fanned out; a used-up quota is waited out on a durable timer), then wait for the verdicts — external
/// events raised by the push endpoint — with a durable timer as the deadline. What the rules (<see cref="ReviewRules"/>)
/// cannot decide waits for an operator, still listening for late verdicts. Null means: publish.
/// </summary>
public static class ContentReview
{
    /// <summary>Submissions are retried through WeChat faults and storage outages for about ten minutes.</summary>
    private static readonly TaskOptions SubmitRetry = TaskOptions.FromRetryPolicy(new RetryPolicy(
        maxNumberOfAttempts: 8, firstRetryInterval: TimeSpan.FromSeconds(5), backoffCoefficient: 2, maxRetryInterval: TimeSpan.FromMinutes(2)));

    /// <summary>Writing the review's outcome must land even through a storage outage.</summary>
    private static readonly TaskOptions StatusRetry = TaskOptions.FromRetryPolicy(new RetryPolicy(
        maxNumberOfAttempts: 10, firstRetryInterval: TimeSpan.FromSeconds(2), backoffCoefficient: 2, maxRetryInterval: TimeSpan.FromMinutes(1)));

    /// <param name="samples">What the transcode took for the check from the decode the renditions were encoded from.</param>
    public static async Task<PipelineOutcome?> RunAsync(TaskOrchestrationContext context, PipelineInput input, IReadOnlyList<ReviewSample> samples)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(input);
        if (input.ReviewDeadlineMinutes is not { } deadlineMinutes)
        {
            return null;
        }

        var videoId = input.VideoId;
        var prepared = await VideoPipeline.RunStepAsync<PrepareReviewOutput>(context, input, PipelineStep.ReviewContent, new PrepareReviewInput(videoId, samples)).ConfigureAwait(true);
        if (prepared.Outcome is { } stopped)
        {
            return stopped;
        }

        var submitted = await Task.WhenAll(prepared.Value!.Samples.Select(s => SubmitAsync(context, videoId, s))).ConfigureAwait(true);
        if (submitted.Any(s => s.VideoGone))
        {
            return new PipelineOutcome(videoId, VideoStatus.Deleted, "The video was deleted.");
        }

        var pending = submitted.Where(s => s.TraceId is not null).Select(s => s.TraceId!).ToHashSet(StringComparer.Ordinal);
        var refusals = submitted.Where(s => s.Refusal is not null).Select(s => s.Refusal!).ToList();
        var verdicts = new List<ReviewVerdict>();
        ReviewVerdict? decisive = null;
        var deadline = context.CurrentUtcDateTime + TimeSpan.FromMinutes(deadlineMinutes);
        var deadlineMissed = false;
        var inReview = false;

        while (true)
        {
            var decision = ReviewRules.Decide(verdicts, pending.Count, refusals, decisive, deadlineMissed, deadlineMinutes);
            switch (decision)
            {
                case ReviewDecision.Publish:
                    return null;
                case ReviewDecision.Withdrawn:
                    return new PipelineOutcome(videoId, VideoStatus.Deleted, "The video was deleted.");
                case ReviewDecision.Reject reject:
                    await context.CallActivityAsync<bool>(ActivityNames.RejectVideo, new ReviewStatusInput(videoId, reject.Reason), StatusRetry).ConfigureAwait(true);
                    return new PipelineOutcome(videoId, VideoStatus.Rejected, reject.Reason);
                case ReviewDecision.AskOperator ask when !inReview:
                    inReview = true;
                    if (!await context.CallActivityAsync<bool>(ActivityNames.MarkInReview, new ReviewStatusInput(videoId, ask.Reason), StatusRetry).ConfigureAwait(true))
                    {
                        return new PipelineOutcome(videoId, VideoStatus.Deleted, "The video was deleted.");
                    }

                    break;
            }

            // Wait for the next verdict: WeChat's (until the deadline, and after it while an operator has not decided), an
            // operator's, or the owner's delete.
            using var stopWaiting = new CancellationTokenSource();
            var next = context.WaitForExternalEvent<ReviewVerdict>(ReviewVerdict.EventName, stopWaiting.Token);
            if (!deadlineMissed && !inReview)
            {
                var timer = context.CreateTimer(deadline, stopWaiting.Token);
                if (await Task.WhenAny(next, timer).ConfigureAwait(true) == timer)
                {
                    deadlineMissed = true;
                    stopWaiting.Cancel(); // synchronously: an orchestrator's continuations run on its own thread
                    continue;
                }

                stopWaiting.Cancel();
            }

            var verdict = await next.ConfigureAwait(true);
            if (verdict.Source != VerdictSource.WeChat)
            {
                decisive = verdict;
            }
            else if (verdict.TraceId is { } trace && pending.Remove(trace))
            {
                verdicts.Add(verdict); // a repeated push, or one for another run of this video, changes nothing
            }
        }
    }

    private static async Task<SubmitSampleOutput> SubmitAsync(TaskOrchestrationContext context, string videoId, ReviewSample sample)
    {
        while (true)
        {
            SubmitSampleOutput output;
            try
            {
                output = await context.CallActivityAsync<SubmitSampleOutput>(ActivityNames.SubmitReviewSample, new SubmitSampleInput(videoId, sample), SubmitRetry).ConfigureAwait(true);
            }
            catch (TaskFailedException failed)
            {
                return new SubmitSampleOutput(null, null, "WeChat's content check could not be reached: " + (failed.FailureDetails?.ErrorMessage ?? "no details."));
            }

            if (output.RetryAt is not { } retryAt)
            {
                return output;
            }

            // WeChat's quota is shared by every upload: wait for the next window, then take a permit again.
            var at = retryAt.UtcDateTime > context.CurrentUtcDateTime ? retryAt.UtcDateTime : context.CurrentUtcDateTime.AddSeconds(1);
            await context.CreateTimer(at, CancellationToken.None).ConfigureAwait(true);
        }
    }
}
