using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using Serverless.Identity;
using Serverless.Pipeline;
using Serverless.Pipeline.Review;

namespace Serverless.Functions.Api;

/// <summary>WeChat's message push: URL verification and the content check's verdicts (signatures verified by the function).</summary>
[AllowAnonymous]
internal sealed class WeChatPushFunctions(ReviewApi review)
{
    [Function("WeChatPushVerify")]
    public IResult VerifyUrl([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "wechat/push")] HttpRequest req) =>
        review.VerifyUrl(req);

    [Function("WeChatPush")]
    public async Task<IResult> ReceiveAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "wechat/push")] HttpRequest req,
        [DurableClient] DurableTaskClient durable,
        CancellationToken cancellationToken) =>
        await review.ReceiveAsync(req, durable, cancellationToken).ConfigureAwait(false);
}

/// <summary>The operators' review queue and decisions.</summary>
[Authorize(Policy = AuthPolicies.Operator)]
internal sealed class ReviewAdminFunctions(ReviewApi review)
{
    [Function("AdminReviews")]
    public async Task<IResult> ListAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "operator/reviews")] HttpRequest req, CancellationToken cancellationToken)
    {
        if (!HttpBinding.TryQueryInt(req, "count", out var count, out var problem))
        {
            return problem!;
        }

        return await review.ListAsync(count, HttpBinding.Query(req, "cursor"), cancellationToken).ConfigureAwait(false);
    }

    [Function("AdminReviewDecision")]
    public async Task<IResult> DecideAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "operator/videos/{videoId}/review")] HttpRequest req,
        string videoId,
        [DurableClient] DurableTaskClient durable,
        CancellationToken cancellationToken)
    {
        var (body, problem) = await HttpBinding.ReadJsonAsync<ReviewDecisionRequest>(req, cancellationToken).ConfigureAwait(false);
        return problem ?? (IResult)await review.DecideAsync(videoId, body!, durable, cancellationToken).ConfigureAwait(false);
    }
}

/// <summary>The content review's activities (the orchestration's side is <see cref="ContentReview"/>).</summary>
internal sealed class ReviewActivityFunctions(ReviewActivities activities)
{
    [Function(ActivityNames.PrepareReview)]
    public Task<PrepareReviewOutput> PrepareReviewAsync([ActivityTrigger] PrepareReviewInput input, CancellationToken cancellationToken) =>
        activities.PrepareAsync(input, cancellationToken);

    [Function(ActivityNames.SubmitReviewSample)]
    public Task<SubmitSampleOutput> SubmitReviewSampleAsync([ActivityTrigger] SubmitSampleInput input, [DurableClient] DurableTaskClient durable, CancellationToken cancellationToken) =>
        activities.SubmitAsync(input, durable, cancellationToken);

    [Function(ActivityNames.MarkInReview)]
    public Task<bool> MarkInReviewAsync([ActivityTrigger] ReviewStatusInput input, CancellationToken cancellationToken) =>
        activities.MarkInReviewAsync(input, cancellationToken);

    [Function(ActivityNames.RejectVideo)]
    public Task<bool> RejectVideoAsync([ActivityTrigger] ReviewStatusInput input, CancellationToken cancellationToken) =>
        activities.RejectAsync(input, cancellationToken);
}
