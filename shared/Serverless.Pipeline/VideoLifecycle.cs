using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;
using Serverless.Storage;
using Serverless.Videos;
using Serverless.WeChat.Push;

namespace Serverless.Pipeline;

/// <summary>What an owner's delete or an operator's reprocess request came to.</summary>
public enum LifecycleOutcome
{
    Done,
    NotFound,
    Conflict,
}

/// <summary>
/// An owner deleting their video, and an operator reprocessing one. A delete unpublishes first (the row becomes
/// <see cref="VideoStatus.Deleted"/> and loses its pipeline state, so playback refuses it at once and no pipeline step can
/// publish it again), then removes it from the Ready index and deletes its media and its source.
/// </summary>
internal sealed partial class VideoLifecycle(VideoRepository videos, IBlobStore blobs, PipelineStarter starter, ILogger<VideoLifecycle> logger)
{
    public async Task<LifecycleOutcome> DeleteAsync(string ownerId, string videoId, DurableTaskClient durable, CancellationToken cancellationToken)
    {
        VideoRecord? before = null;
        var entry = await videos.UpdateAsync(
            videoId,
            e =>
            {
                before = e.Video;
                return e.Video.OwnerId != ownerId || e.Video.Status == VideoStatus.Deleted
                    ? null
                    : e with
                    {
                        Video = e.Video with { Status = VideoStatus.Deleted, Stage = nameof(VideoStatus.Deleted), Renditions = [], Error = null },
                        State = null,
                    };
            },
            cancellationToken).ConfigureAwait(false);
        if (entry is null || entry.Video.OwnerId != ownerId)
        {
            return LifecycleOutcome.NotFound;
        }

        // Repeated deletes by the owner finish a clean-up an outage may have interrupted.
        if (before is { ReadyAt: not null })
        {
            await videos.RemoveFromReadyIndexAsync(before, cancellationToken).ConfigureAwait(false);
        }

        // A review waiting for verdicts or an operator would wait for ever: it ends now.
        if (before is { Status: VideoStatus.InReview } or { Status: VideoStatus.Processing, Stage: nameof(PipelineStep.ReviewContent) })
        {
            await WithdrawReviewAsync(durable, videoId, cancellationToken).ConfigureAwait(false);
        }

        var media = await blobs.DeletePrefixAsync(MediaLayout.Container, MediaLayout.Prefix(videoId), cancellationToken).ConfigureAwait(false);
        var samples = await blobs.DeletePrefixAsync(MediaLayout.ReviewContainer, MediaLayout.Prefix(videoId), cancellationToken).ConfigureAwait(false);
        var sources = await blobs.DeletePrefixAsync(MediaLayout.UploadsContainer, MediaLayout.Prefix(videoId), cancellationToken).ConfigureAwait(false);
        LogDeleted(logger, videoId, media + samples + sources);
        return LifecycleOutcome.Done;
    }

    /// <summary>Runs the pipeline again from the source for a Ready or Failed video (unpublished meanwhile).</summary>
    public async Task<LifecycleOutcome> ReprocessAsync(DurableTaskClient durable, string videoId, CancellationToken cancellationToken)
    {
        VideoRecord? before = null;
        var entry = await videos.UpdateAsync(
            videoId,
            e =>
            {
                before = e.Video;
                return e.Video.Status is VideoStatus.Ready or VideoStatus.Failed
                    ? e with
                    {
                        Video = e.Video with { Status = VideoStatus.Uploading, Stage = "Reprocessing", Progress = 0, Error = null, Renditions = [], ReadyAt = null, BadInputAt = null },
                        State = null,
                    }
                    : null;
            },
            cancellationToken).ConfigureAwait(false);
        if (entry is null || entry.Video.Status == VideoStatus.Deleted)
        {
            return LifecycleOutcome.NotFound;
        }

        if (entry.Video.Status != VideoStatus.Uploading || before?.Status is not (VideoStatus.Ready or VideoStatus.Failed))
        {
            return LifecycleOutcome.Conflict;
        }

        if (before is { ReadyAt: not null })
        {
            await videos.RemoveFromReadyIndexAsync(before, cancellationToken).ConfigureAwait(false);
        }

        await starter.StartAsync(durable, videoId, cancellationToken, afterPreviousRun: true).ConfigureAwait(false);
        LogReprocessing(logger, videoId);
        return LifecycleOutcome.Done;
    }

    private async Task WithdrawReviewAsync(DurableTaskClient durable, string videoId, CancellationToken cancellationToken)
    {
        try
        {
            await durable.RaiseEventAsync(
                videoId, Serverless.Review.ReviewVerdict.EventName,
                new Serverless.Review.ReviewVerdict(Serverless.Review.VerdictSource.Withdrawn, Serverless.WeChat.Push.MediaCheckSuggest.Review, null, null, null),
                cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The video is Deleted already: the review's next step sees it (an operator's decision is refused for it).
            LogNotWithdrawn(logger, videoId, ex.GetType().Name);
        }
    }

    [LoggerMessage(EventId = 252, Level = LogLevel.Warning, Message = "Video {VideoId} deleted while in review, but its review could not be told ({Error})")]
    private static partial void LogNotWithdrawn(ILogger logger, string videoId, string error);

    [LoggerMessage(EventId = 250, Level = LogLevel.Information, Message = "Video {VideoId} deleted by its owner ({Blobs} blobs removed).")]
    private static partial void LogDeleted(ILogger logger, string videoId, int blobs);

    [LoggerMessage(EventId = 251, Level = LogLevel.Information, Message = "Video {VideoId} reprocessing on an operator's request.")]
    private static partial void LogReprocessing(ILogger logger, string videoId);
}
