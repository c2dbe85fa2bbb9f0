using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Serverless.Http;
using Serverless.Identity;
using Serverless.Recommendations;
using Serverless.Recommendations.Events;
using Serverless.Recommendations.Training;

namespace Serverless.Functions.Api;

/// <summary>Events in, recommendations out, and the retraining that connects them.</summary>
[Authorize(Policy = AuthPolicies.User)]
internal sealed class RecommendationFunctions(RecommendationRequests requests, IRecommenderTrainer trainer)
{
    [Function(nameof(PostEvents))]
    public async Task<IResult> PostEvents(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "events")] HttpRequest req, CancellationToken cancellationToken)
    {
        var batch = await HttpBinding.ReadJsonAsync<EventBatchRequest>(req, cancellationToken, RecommendationRequests.InvalidBatch).ConfigureAwait(false);
        if (batch.Problem is { } bad)
        {
            return bad.ToHttp();
        }

        var stored = await requests.PostEventsAsync(req.HttpContext.User.GetUserId(), batch.Value!, cancellationToken).ConfigureAwait(false);
        return stored.ToHttp(result => TypedResults.Accepted((string?)null, result));
    }

    [Function(nameof(GetRecommendations))]
    public async Task<IResult> GetRecommendations(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "recommendations")] HttpRequest req, CancellationToken cancellationToken)
    {
        var count = HttpBinding.QueryInt(req, "count");
        if (count.Problem is { } bad)
        {
            return bad.ToHttp();
        }

        var page = await requests.RecommendAsync(req.HttpContext.User.GetUserId(), count.Value, HttpBinding.Query(req, "cursor"), cancellationToken).ConfigureAwait(false);
        return page.ToHttp(TypedResults.Ok);
    }

    [Function(nameof(GetSimilarVideos))]
    public async Task<IResult> GetSimilarVideos(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "videos/{videoId}/similar")] HttpRequest req, string videoId, CancellationToken cancellationToken)
    {
        var count = HttpBinding.QueryInt(req, "count");
        if (count.Problem is { } bad)
        {
            return bad.ToHttp();
        }

        var similar = await requests.SimilarAsync(videoId, count.Value, cancellationToken).ConfigureAwait(false);
        return similar.ToHttp(TypedResults.Ok);
    }

    /// <summary>An operator retrains now (the timer does it hourly).</summary>
    [Function(nameof(RetrainRecommenderNow))]
    [Authorize(Policy = AuthPolicies.Operator)]
    public async Task<IResult> RetrainRecommenderNow(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "operator/recommendations/retrain")] HttpRequest req, CancellationToken cancellationToken) =>
        (await requests.RetrainAsync(cancellationToken).ConfigureAwait(false)).ToHttp(TypedResults.Ok);

    /// <summary>Retrains the models from the event tables (<c>Recommendations__RetrainSchedule</c>, hourly in the sample settings and the Bicep); one instance at a time.</summary>
    [Function(nameof(RetrainRecommender))]
    public async Task RetrainRecommender([TimerTrigger(BindingSettings.RetrainScheduleExpression)] TimerInfo timer, CancellationToken cancellationToken)
    {
        var report = await trainer.TrainAsync("timer", cancellationToken).ConfigureAwait(false);
        if (report.Status == TrainingStatus.Failed)
        {
            throw new InvalidOperationException($"Recommender training {report.Version} failed: {report.Error}");
        }
    }
}
