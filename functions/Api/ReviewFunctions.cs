using System.Text;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using Serverless.Http;
using Serverless.Identity;
using Serverless.Pipeline;
using Serverless.Pipeline.Review;
using Serverless.WeChat.Push;

namespace Serverless.Functions.Api;

/// <summary>WeChat's message push: URL verification and the content check's verdicts (signatures verified by the review).</summary>
[AllowAnonymous]
internal sealed class WeChatPushFunctions(ReviewService review)
{
    /// <summary>WeChat's check that the URL is ours: <c>echostr</c> echoed when the signature is right.</summary>
    [Function(nameof(WeChatPushVerify))]
    public IResult WeChatPushVerify([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "wechat/push")] HttpRequest req)
    {
        var q = req.Query;
        return review.VerifyUrl(q["signature"], q["timestamp"], q["nonce"], q["echostr"]).ToHttp(Text);
    }

    /// <summary>A pushed message: <c>success</c> once its effect is stored (WeChat retries otherwise); never a 500.</summary>
    [Function(nameof(WeChatPush))]
    public async Task<IResult> WeChatPush(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "wechat/push")] HttpRequest req,
        [DurableClient] DurableTaskClient durable,
        CancellationToken cancellationToken)
    {
        var body = await HttpBinding.ReadTextAsync(req, WeChatPushVerifier.MaxBodyChars, cancellationToken).ConfigureAwait(false);
        var q = req.Query;
        var query = new WeChatPushQuery(q["signature"], q["timestamp"], q["nonce"], q["encrypt_type"], q["msg_signature"]);
        return (await review.ReceiveAsync(query, body, durable, cancellationToken).ConfigureAwait(false)).ToHttp(Text);
    }

    private static IResult Text(string text) => TypedResults.Text(text, "text/plain", Encoding.UTF8);
}

/// <summary>The operators' review queue and decisions.</summary>
[Authorize(Policy = AuthPolicies.Operator)]
internal sealed class ReviewAdminFunctions(ReviewService review)
{
    /// <summary>Videos waiting for an operator: why, and a short-lived poster to look at.</summary>
    [Function(nameof(AdminReviews))]
    public async Task<IResult> AdminReviews(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "operator/reviews")] HttpRequest req, CancellationToken cancellationToken)
    {
        var count = HttpBinding.QueryInt(req, "count");
        if (count.Problem is { } bad)
        {
            return bad.ToHttp();
        }

        return (await review.ListAsync(count.Value, HttpBinding.Query(req, "cursor"), cancellationToken).ConfigureAwait(false)).ToHttp(TypedResults.Ok);
    }

    /// <summary>An operator approves or rejects a video in review: the same event WeChat's push raises, but final.</summary>
    [Function(nameof(AdminReviewDecision))]
    public async Task<IResult> AdminReviewDecision(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "operator/videos/{videoId}/review")] HttpRequest req,
        string videoId,
        [DurableClient] DurableTaskClient durable,
        CancellationToken cancellationToken)
    {
        var body = await HttpBinding.ReadJsonAsync<ReviewDecisionRequest>(req, cancellationToken).ConfigureAwait(false);
        if (body.Problem is { } bad)
        {
            return bad.ToHttp();
        }

        var decided = await review.DecideAsync(videoId, body.Value!, durable, cancellationToken).ConfigureAwait(false);
        return decided.ToHttp(id => TypedResults.Accepted($"/api/videos/{id}"));
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
