using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Serverless.Identity;
using Microsoft.Extensions.Options;
using Serverless.Recommendations;
using Serverless.Recommendations.Events;
using Serverless.Recommendations.Serving;
using Serverless.Recommendations.Training;

namespace Serverless.Functions.Api;

/// <summary>Events in, recommendations out, and the retraining that connects them.</summary>
[Authorize(Policy = AuthPolicies.User)]
internal sealed class RecommendationFunctions(
    IEventIngestion ingestion,
    IOptions<EventsOptions> events,
    IRecommendationService recommendations,
    IOptions<ServingOptions> serving,
    IRecommenderTrainer trainer)
{
    public const string RetrainTimer = "RetrainRecommender";

    [Function(RecommendationsApi.PostEvents)]
    public async Task<IResult> PostEventsAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "events")] HttpRequest req, CancellationToken cancellationToken) =>
        await RecommendationsApi.PostEventsAsync(req, ingestion, events, cancellationToken).ConfigureAwait(false);

    [Function(RecommendationsApi.GetRecommendations)]
    public async Task<IResult> GetRecommendationsAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "recommendations")] HttpRequest req, CancellationToken cancellationToken)
    {
        if (!HttpBinding.TryQueryInt(req, "count", out var count, out var problem))
        {
            return problem!;
        }

        return await RecommendationsApi.GetRecommendationsAsync(req.HttpContext, recommendations, serving, count, HttpBinding.Query(req, "cursor"), cancellationToken)
            .ConfigureAwait(false);
    }

    [Function(RecommendationsApi.GetSimilarVideos)]
    public async Task<IResult> GetSimilarVideosAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "videos/{videoId}/similar")] HttpRequest req, string videoId, CancellationToken cancellationToken)
    {
        if (!HttpBinding.TryQueryInt(req, "count", out var count, out var problem))
        {
            return problem!;
        }

        return await RecommendationsApi.GetSimilarAsync(videoId, recommendations, serving, count, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>An operator retrains now (the timer does it hourly).</summary>
    [Function(RecommendationsApi.RetrainRecommenderNow)]
    [Authorize(Policy = AuthPolicies.Operator)]
    public async Task<IResult> RetrainNowAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "operator/recommendations/retrain")] HttpRequest req, CancellationToken cancellationToken) =>
        await RecommendationsApi.RetrainAsync(trainer, cancellationToken).ConfigureAwait(false);

    /// <summary>Retrains the models from the event tables (<c>Recommendations__RetrainSchedule</c>, hourly in the sample settings and the Bicep); one instance at a time.</summary>
    [Function(RetrainTimer)]
    public async Task RetrainOnScheduleAsync([TimerTrigger(BindingSettings.RetrainScheduleExpression)] TimerInfo timer, CancellationToken cancellationToken)
    {
        var report = await trainer.TrainAsync("timer", cancellationToken).ConfigureAwait(false);
        if (report.Status == TrainingStatus.Failed)
        {
            throw new InvalidOperationException($"Recommender training {report.Version} failed: {report.Error}");
        }
    }
}
