using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Serverless.Functions;
using Serverless.Http;
using Serverless.Identity;
using Serverless.Recommendations.Catalog;
using Serverless.Recommendations.Events;
using Serverless.Recommendations.Feedback;
using Serverless.Recommendations.Ranking;
using Serverless.Recommendations.Serving;
using Serverless.Recommendations.Training;
using Serverless.Storage;

namespace Serverless.Recommendations;

public static class RecommendationsExtensions
{
    /// <summary>
    /// Registers the Recommendations area: events API, feedback weighting, training (timer + operator endpoint), serving
    /// with hot reload. Reads the pipeline's catalog through <see cref="IVideoDirectory"/>.
    /// </summary>
    public static IHostApplicationBuilder AddRecommendations(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        Bind<EventsOptions>(services, EventsOptions.SectionName);
        Bind<FeedbackOptions>(services, FeedbackOptions.SectionName);
        Bind<TrainingOptions>(services, TrainingOptions.SectionName);
        Bind<ServingOptions>(services, ServingOptions.SectionName);
        Bind<RankerOptions>(services, RankerOptions.SectionName);
        services.TryAddSingleton(TimeProvider.System);
        services.AddMemoryCache();
        services.AddStorageResources(
            new StorageResource(StorageResourceKind.Table, EventStore.ByTimeTable),
            new StorageResource(StorageResourceKind.Table, EventStore.ByUserTable),
            new StorageResource(StorageResourceKind.Container, ModelRepository.Container));
        services.AddSingleton<VideoDirectoryAccessor>();
        services.TryAddSingleton<IVideoDirectory, CatalogVideoDirectory>();
        services.AddSingleton<EventStore>();
        services.AddSingleton<IEventIngestion, EventIngestion>();
        services.AddSingleton<ModelRepository>();
        services.AddSingleton<ModelHolder>();
        services.AddSingleton<ModelReloader>();
        services.AddHostedService(sp => sp.GetRequiredService<ModelReloader>());
        services.AddSingleton<CatalogCache>();
        services.TryAddSingleton<IUserHistorySource, TableUserHistory>();
        services.AddSingleton<IRecommendationService, RecommendationService>();
        services.AddSingleton<IRecommenderTrainer, RecommenderTrainer>();
        return builder;
    }

    private static void Bind<T>(IServiceCollection services, string section)
        where T : class =>
        services.AddOptions<T>().BindConfiguration(section).ValidateDataAnnotations().ValidateOnStart();
}

/// <summary>The HTTP handlers: parse, call one service, map the result.</summary>
internal static class RecommendationsApi
{
    public const string PostEvents = "PostEvents";
    public const string GetRecommendations = "GetRecommendations";
    public const string GetSimilarVideos = "GetSimilarVideos";
    public const string RetrainRecommenderNow = "RetrainRecommenderNow";

    public static async Task<Results<Accepted<EventBatchResponse>, ProblemHttpResult>> PostEventsAsync(
        HttpRequest request, IEventIngestion ingestion, IOptions<EventsOptions> options, CancellationToken cancellationToken)
    {
        EventBatchRequest? body;
        try
        {
            body = await request.ReadFromJsonAsync<EventBatchRequest>(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is System.Text.Json.JsonException or InvalidOperationException)
        {
            return Problems.BadRequest("invalid-event-batch", "The body must be JSON: { \"events\": [ { \"eventId\", \"type\", \"videoId\" | \"templateId\", \"watchedSeconds\"?, \"occurredAt\" } ] }.");
        }

        if (body?.Events is not { Count: > 0 } events)
        {
            return Problems.BadRequest("invalid-event-batch", "The batch holds no events.");
        }

        if (events.Count > options.Value.MaxBatchSize)
        {
            return Problems.Create(StatusCodes.Status413PayloadTooLarge, "event-batch-too-large", "Too many events.", $"At most {options.Value.MaxBatchSize} events per batch.");
        }

        var result = await ingestion.IngestAsync(request.HttpContext.User.GetUserId(), events, cancellationToken).ConfigureAwait(false);
        return TypedResults.Accepted((string?)null, result);
    }

    public static async Task<Results<Ok<RecommendationsResponse>, ProblemHttpResult>> GetRecommendationsAsync(
        HttpContext context, IRecommendationService service, IOptions<ServingOptions> options, int? count, string? cursor, CancellationToken cancellationToken)
    {
        var size = count ?? options.Value.DefaultPageSize;
        if (size < 1 || size > options.Value.MaxPageSize)
        {
            return Problems.BadRequest("invalid-count", $"count must be between 1 and {options.Value.MaxPageSize}.");
        }

        try
        {
            return TypedResults.Ok(await service.RecommendAsync(context.User.GetUserId(), size, cursor, cancellationToken).ConfigureAwait(false));
        }
        catch (FormatException ex)
        {
            return Problems.BadRequest("invalid-cursor", ex.Message);
        }
    }

    public static async Task<Results<Ok<SimilarVideosResponse>, ProblemHttpResult>> GetSimilarAsync(
        string videoId, IRecommendationService service, IOptions<ServingOptions> options, int? count, CancellationToken cancellationToken)
    {
        var size = count ?? 10;
        if (size < 1 || size > options.Value.MaxPageSize)
        {
            return Problems.BadRequest("invalid-count", $"count must be between 1 and {options.Value.MaxPageSize}.");
        }

        if (!EventIngestion.IsId(videoId))
        {
            return Problems.BadRequest("invalid-video-id", "The video id is not valid.");
        }

        var result = await service.SimilarAsync(videoId, size, cancellationToken).ConfigureAwait(false);
        return result is null ? Problems.NotFound("video-not-found", $"No video '{videoId}'.") : TypedResults.Ok(result);
    }

    public static async Task<Results<Ok<TrainingReport>, ProblemHttpResult>> RetrainAsync(IRecommenderTrainer trainer, CancellationToken cancellationToken)
    {
        var report = await trainer.TrainAsync("operator", cancellationToken).ConfigureAwait(false);
        return report.Status switch
        {
            TrainingStatus.Locked => Problems.Conflict("retrain-in-progress", "Another retraining run holds the lock; try again when it ends."),
            TrainingStatus.Failed => Problems.Create(StatusCodes.Status500InternalServerError, "retrain-failed", "Retraining failed; the current model keeps serving.", report.Error),
            _ => TypedResults.Ok(report),
        };
    }
}
