using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Serverless.Storage;
using Serverless.Videos;

namespace Serverless.Pipeline;

/// <summary>
/// Starts a video's pipeline orchestration — instance id = video id, so a repeated event cannot start a second one — and
/// does what Durable does not: starts uploads whose BlobCreated event was lost, fails uploads whose file never arrived, and
/// fails videos whose orchestration ended without saying so in the read model.
/// </summary>
internal sealed partial class PipelineStarter
{
    /// <summary>The reason a video gets when its file never arrived.</summary>
    public const string UploadNeverCompleted = "The upload never completed: no file arrived before the upload expired.";

    /// <summary>How long a reprocess waits for the video's previous orchestration to finish writing its outcome.</summary>
    private static readonly TimeSpan PreviousRunGrace = TimeSpan.FromSeconds(15);

    private readonly VideoRepository _videos;
    private readonly IBlobStore _blobs;
    private readonly IOptions<PipelineOptions> _options;
    private readonly IOptions<UploadOptions> _uploads;
    private readonly IOptions<Serverless.Review.ReviewOptions> _review;
    private readonly TimeProvider _time;
    private readonly ILogger<PipelineStarter> _logger;

    public PipelineStarter(
        VideoRepository videos,
        IBlobStore blobs,
        IOptions<PipelineOptions> options,
        IOptions<UploadOptions> uploads,
        IOptions<Serverless.Review.ReviewOptions> review,
        TimeProvider time,
        ILogger<PipelineStarter> logger)
    {
        _videos = videos;
        _blobs = blobs;
        _options = options;
        _uploads = uploads;
        _review = review;
        _time = time;
        _logger = logger;
    }

    /// <summary>Starts the pipeline of an upload whose file arrived; false when there is nothing to start (unknown, already started or done).</summary>
    /// <param name="afterPreviousRun">
    /// A reprocess: the video's previous orchestration may still be writing its end; wait a little for it rather than take it
    /// for this upload's own run.
    /// </param>
    public async Task<bool> StartAsync(DurableTaskClient client, string videoId, CancellationToken cancellationToken, bool afterPreviousRun = false)
    {
        ArgumentNullException.ThrowIfNull(client);
        var video = await _videos.GetAsync(videoId, cancellationToken).ConfigureAwait(false);
        if (video is null)
        {
            LogUnknownUpload(videoId);
            return false;
        }

        if (video.Status != VideoStatus.Uploading)
        {
            return false;
        }

        var existing = await client.GetInstanceAsync(videoId, cancellationToken).ConfigureAwait(false);
        if (existing is { RuntimeStatus: OrchestrationRuntimeStatus.Running or OrchestrationRuntimeStatus.Pending or OrchestrationRuntimeStatus.Suspended })
        {
            // Running for this upload already (a repeated event), or a reprocess arriving while the previous run writes its end.
            if (!afterPreviousRun)
            {
                return false;
            }

            using var grace = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            grace.CancelAfter(PreviousRunGrace);
            try
            {
                await client.WaitForInstanceCompletionAsync(videoId, grace.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return false; // Still running: the sweep starts this upload once the previous run has ended.
            }
        }

        var options = _options.Value;
        try
        {
            await client.ScheduleNewOrchestrationInstanceAsync(
                VideoPipeline.Name,
                new PipelineInput(videoId, options.MaxStepAttempts, options.RetryBaseDelaySeconds, _review.Value.Enabled ? _review.Value.VerdictDeadlineMinutes : null),
                new StartOrchestrationOptions(videoId),
                cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidOperationException)
        {
            return false; // A concurrent delivery of the same event started it first.
        }

        LogStarted(videoId);
        return true;
    }

    /// <summary>
    /// Starts uploads whose file arrived but whose pipeline never started (the event was lost), fails uploads whose file never
    /// arrived once they expired, fails videos still Processing whose orchestration has ended (a failure outside the steps),
    /// and deletes the files of uploads refused as bad input once <see cref="UploadOptions.BadUploadRetentionDays"/> passed.
    /// </summary>
    public async Task<int> SweepAsync(DurableTaskClient client, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var options = _options.Value;
        var stuckAfter = TimeSpan.FromSeconds(options.StuckAfterSeconds);
        var expiry = TimeSpan.FromMinutes(_uploads.Value.UploadExpiryMinutes);
        var acted = 0;
        await foreach (var entry in _videos.ListStaleAsync(VideoStatus.Uploading, now - stuckAfter, cancellationToken).ConfigureAwait(false))
        {
            var videoId = entry.Video.VideoId;
            if (await _blobs.GetInfoAsync(MediaLayout.UploadsContainer, MediaLayout.Source(videoId), cancellationToken).ConfigureAwait(false) is { Length: > 0 })
            {
                if (await StartAsync(client, videoId, cancellationToken).ConfigureAwait(false))
                {
                    acted++;
                }
            }
            else if (now - entry.Video.CreatedAt >= expiry)
            {
                // Its upload URL expired long ago: the file will never come. Failed (not removed) so its owner sees why.
                var expired = await _videos.UpdateAsync(
                    videoId,
                    e => e.Video.Status == VideoStatus.Uploading
                        ? e with { Video = e.Video with { Status = VideoStatus.Failed, Error = UploadNeverCompleted } }
                        : null,
                    cancellationToken).ConfigureAwait(false);
                if (expired is not null && expired.Video.Status == VideoStatus.Failed && expired.ETag != entry.ETag)
                {
                    LogEnded(videoId, UploadNeverCompleted);
                    acted++;
                }
            }
        }

        await foreach (var entry in _videos.ListStaleAsync(VideoStatus.Processing, now - stuckAfter, cancellationToken).ConfigureAwait(false))
        {
            var videoId = entry.Video.VideoId;
            var instance = await client.GetInstanceAsync(videoId, getInputsAndOutputs: false, cancellationToken).ConfigureAwait(false);
            if (instance is { IsRunning: true } or { RuntimeStatus: OrchestrationRuntimeStatus.Pending or OrchestrationRuntimeStatus.Suspended })
            {
                continue;
            }

            var reason = instance?.FailureDetails is { } failure
                ? $"The pipeline stopped: {failure.ErrorMessage}"
                : "The pipeline stopped without finishing.";
            var failed = await _videos.UpdateAsync(
                videoId,
                e => e.Video.Status == VideoStatus.Processing && e.ETag == entry.ETag
                    ? e with { Video = e.Video with { Status = VideoStatus.Failed, Error = reason } }
                    : null,
                cancellationToken).ConfigureAwait(false);
            if (failed is not null && failed.ETag != entry.ETag)
            {
                LogEnded(videoId, reason);
                acted++;
            }
        }

        // Uploads refused as bad input are junk: their files go once the retention has passed (the videos stay Failed).
        var badInputBefore = now - TimeSpan.FromDays(_uploads.Value.BadUploadRetentionDays);
        await foreach (var entry in _videos.ListBadInputAsync(badInputBefore, cancellationToken).ConfigureAwait(false))
        {
            var videoId = entry.Video.VideoId;
            await _blobs.DeletePrefixAsync(MediaLayout.UploadsContainer, MediaLayout.Prefix(videoId), cancellationToken).ConfigureAwait(false);
            var cleared = await _videos.UpdateAsync(
                videoId,
                e => e.Video is { Status: VideoStatus.Failed, BadInputAt: not null }
                    ? e with { Video = e.Video with { BadInputAt = null, SourceDeletedAt = now } }
                    : null,
                cancellationToken).ConfigureAwait(false);
            if (cleared?.Video.SourceDeletedAt == now)
            {
                LogBadUploadDeleted(videoId);
                acted++;
            }
        }

        return acted;
    }

    [LoggerMessage(EventId = 209, Level = LogLevel.Information, Message = "Video {VideoId}: its upload, refused as bad input, deleted after the retention")]
    private partial void LogBadUploadDeleted(string videoId);

    [LoggerMessage(EventId = 200, Level = LogLevel.Warning, Message = "Video {VideoId}: no catalog row; event ignored")]
    private partial void LogUnknownUpload(string videoId);

    [LoggerMessage(EventId = 201, Level = LogLevel.Information, Message = "Video {VideoId}: pipeline orchestration started")]
    private partial void LogStarted(string videoId);

    [LoggerMessage(EventId = 208, Level = LogLevel.Warning, Message = "Video {VideoId}: Failed by the sweep: {Reason}")]
    private partial void LogEnded(string videoId, string reason);
}
