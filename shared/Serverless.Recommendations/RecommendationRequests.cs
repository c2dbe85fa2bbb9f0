using Microsoft.Extensions.Options;
using Serverless.Recommendations.Events;
using Serverless.Recommendations.Serving;
using Serverless.Recommendations.Training;

namespace Serverless.Recommendations;

/// <summary>
/// The area's requests as the API makes them: a batch of events, a page of recommendations, similar videos, a retraining
/// run now, each checked against the area's limits and answered with its result or the problem that stopped it.
/// </summary>
internal sealed class RecommendationRequests(
    IEventIngestion ingestion,
    IOptions<EventsOptions> events,
    IRecommendationService recommendations,
    IOptions<ServingOptions> serving,
    IRecommenderTrainer trainer)
{
    /// <summary>What a malformed event batch is answered.</summary>
    public static Problem InvalidBatch { get; } = Problems.BadRequest(
        "invalid-event-batch", "The body must be JSON: { \"events\": [ { \"eventId\", \"type\", \"videoId\" | \"templateId\", \"watchedSeconds\"?, \"occurredAt\" } ] }.");

    public async Task<Result<EventBatchResponse>> PostEventsAsync(string userId, EventBatchRequest batch, CancellationToken cancellationToken)
    {
        if (batch.Events is not { Count: > 0 } items)
        {
            return Problems.BadRequest("invalid-event-batch", "The batch holds no events.");
        }

        if (items.Count > events.Value.MaxBatchSize)
        {
            return Problems.Create(413, "event-batch-too-large", "Too many events.", $"At most {events.Value.MaxBatchSize} events per batch.");
        }

        return await ingestion.IngestAsync(userId, items, cancellationToken).ConfigureAwait(false);
    }

    public async Task<Result<RecommendationsResponse>> RecommendAsync(string userId, int? count, string? cursor, CancellationToken cancellationToken)
    {
        var size = count ?? serving.Value.DefaultPageSize;
        if (size < 1 || size > serving.Value.MaxPageSize)
        {
            return Problems.BadRequest("invalid-count", $"count must be between 1 and {serving.Value.MaxPageSize}.");
        }

        try
        {
            return await recommendations.RecommendAsync(userId, size, cursor, cancellationToken).ConfigureAwait(false);
        }
        catch (FormatException ex)
        {
            return Problems.BadRequest("invalid-cursor", ex.Message);
        }
    }

    public async Task<Result<SimilarVideosResponse>> SimilarAsync(string videoId, int? count, CancellationToken cancellationToken)
    {
        var size = count ?? 10;
        if (size < 1 || size > serving.Value.MaxPageSize)
        {
            return Problems.BadRequest("invalid-count", $"count must be between 1 and {serving.Value.MaxPageSize}.");
        }

        if (!EventIngestion.IsId(videoId))
        {
            return Problems.BadRequest("invalid-video-id", "The video id is not valid.");
        }

        var result = await recommendations.SimilarAsync(videoId, size, cancellationToken).ConfigureAwait(false);
        return result is null ? Problems.NotFound("video-not-found", $"No video '{videoId}'.") : result;
    }

    /// <summary>An operator's retraining run, now; refused while another run holds the lock.</summary>
    public async Task<Result<TrainingReport>> RetrainAsync(CancellationToken cancellationToken)
    {
        var report = await trainer.TrainAsync("operator", cancellationToken).ConfigureAwait(false);
        return report.Status switch
        {
            TrainingStatus.Locked => Problems.Conflict("retrain-in-progress", "Another retraining run holds the lock; try again when it ends."),
            TrainingStatus.Failed => Problems.Create(500, "retrain-failed", "Retraining failed; the current model keeps serving.", report.Error),
            _ => report,
        };
    }
}
