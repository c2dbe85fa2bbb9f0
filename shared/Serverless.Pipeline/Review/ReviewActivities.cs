using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Serverless.Review;
using Serverless.Storage;
using Serverless.Videos;
using Serverless.WeChat;

namespace Serverless.Pipeline.Review;

/// <summary>One frame or audio chunk the content check is asked about: its blob in <see cref="MediaLayout.ReviewContainer"/>.</summary>
public sealed record ReviewSample(string BlobName, MediaCheckType Type);

/// <param name="Samples">What the transcode took for the check from its own decode, stored in <see cref="MediaLayout.ReviewContainer"/>.</param>
public sealed record PrepareReviewInput(string VideoId, IReadOnlyList<ReviewSample> Samples);

public sealed record PrepareReviewOutput(IReadOnlyList<ReviewSample> Samples);

public sealed record SubmitSampleInput(string VideoId, ReviewSample Sample);

/// <summary>How one submission went: a trace id to wait for, a time to try again, a reason a person must look, or the video is gone.</summary>
public sealed record SubmitSampleOutput(string? TraceId, DateTimeOffset? RetryAt, string? Refusal, bool VideoGone = false);

/// <summary>A review's outcome written to the video's row.</summary>
public sealed record ReviewStatusInput(string VideoId, string Reason);

/// <summary>
/// The content review's activities: the review step (its samples were taken by the transcode from the decode the renditions
/// come from; through the step bookkeeping of <see cref="PipelineActivities"/>), submitting each sample to WeChat with a
/// read-only URL, and writing the outcome
/// (<see cref="VideoStatus.InReview"/>, <see cref="VideoStatus.Rejected"/>) to the read model.
/// </summary>
internal sealed partial class ReviewActivities(
    PipelineActivities pipeline,
    IMediaCheck mediaCheck,
    ReviewTraces traces,
    IWeChatUsers users,
    VideoRepository videos,
    IBlobStore blobs,
    IBlobSasSigner signer,
    IOptions<ReviewOptions> options,
    TimeProvider time,
    ILogger<ReviewActivities> logger)
{
    /// <summary>
    /// The review step: the samples are the ones the transcode took from its own decode and stored; this checks they are all
    /// there (a sample missing would leave part of the video unchecked) and hands them to the submissions.
    /// </summary>
    public Task<PrepareReviewOutput> PrepareAsync(PrepareReviewInput input, CancellationToken cancellationToken) =>
        pipeline.RunAsync(input.VideoId, PipelineStep.ReviewContent, async () =>
        {
            if (input.Samples.Count == 0 || !input.Samples.Any(s => s.Type == MediaCheckType.Image))
            {
                throw new InvalidOperationException("The transcode stored no frame for the content check.");
            }

            foreach (var sample in input.Samples)
            {
                if (!sample.BlobName.StartsWith(MediaLayout.Prefix(input.VideoId), StringComparison.Ordinal)
                    || await blobs.GetInfoAsync(MediaLayout.ReviewContainer, sample.BlobName, cancellationToken).ConfigureAwait(false) is null)
                {
                    throw new InvalidOperationException($"The review sample {sample.BlobName} is missing.");
                }
            }

            LogSampled(input.VideoId, input.Samples.Count(s => s.Type == MediaCheckType.Image), input.Samples.Count(s => s.Type == MediaCheckType.Audio));
            return (new PrepareReviewOutput(input.Samples), (Func<VideoEntry, VideoEntry>?)null);
        }, cancellationToken);

    /// <summary>
    /// Submits one sample. WeChat faults and storage outages throw (the orchestration's retry policy runs it again); a quota
    /// that is used up answers when to try again; a sample WeChat will not check answers why.
    /// </summary>
    public async Task<SubmitSampleOutput> SubmitAsync(SubmitSampleInput input, DurableTaskClient durable, CancellationToken cancellationToken)
    {
        var video = await videos.GetAsync(input.VideoId, cancellationToken).ConfigureAwait(false);
        if (video is null or { Status: VideoStatus.Deleted })
        {
            return new SubmitSampleOutput(null, null, null, VideoGone: true);
        }

        var openId = await users.FindOpenIdAsync(video.OwnerId, cancellationToken).ConfigureAwait(false);
        if (openId is null)
        {
            return new SubmitSampleOutput(null, null, "The uploader has not signed in with WeChat, so WeChat's content check cannot be asked about it.");
        }

        var url = signer.GetSasUri(MediaLayout.ReviewContainer, input.Sample.BlobName, BlobSasPermissions.Read, time.GetUtcNow().AddMinutes(options.Value.MediaUrlMinutes));
        var outcome = await mediaCheck.SubmitAsync(url, input.Sample.Type, openId, cancellationToken).ConfigureAwait(false);
        switch (outcome)
        {
            case MediaCheckOutcome.Throttled throttled:
                LogThrottled(input.VideoId, throttled.RetryAt);
                return new SubmitSampleOutput(null, throttled.RetryAt, null);
            case MediaCheckOutcome.Refused refused:
                LogRefused(input.VideoId, input.Sample.BlobName, refused.Reason);
                return new SubmitSampleOutput(null, null, refused.Reason);
        }

        var traceId = ((MediaCheckOutcome.Accepted)outcome).TraceId;
        var written = await traces.RecordSubmissionAsync(traceId, input.VideoId, input.Sample.BlobName, cancellationToken).ConfigureAwait(false);

        // The push came first (it found no video to tell): the verdict is raised from here.
        if (written.IsNew && written.Trace.Verdict is { } early)
        {
            await durable.RaiseEventAsync(input.VideoId, ReviewVerdict.EventName, early, cancellationToken).ConfigureAwait(false);
        }

        return new SubmitSampleOutput(traceId, null, null);
    }

    /// <summary>The video waits for an operator (its owner may still watch it).</summary>
    public async Task<bool> MarkInReviewAsync(ReviewStatusInput input, CancellationToken cancellationToken)
    {
        var saved = await videos.UpdateAsync(
            input.VideoId,
            e => e.Video.Status == VideoStatus.Processing
                ? e with { Video = e.Video with { Status = VideoStatus.InReview, Stage = nameof(VideoStatus.InReview), Error = input.Reason } }
                : null,
            cancellationToken).ConfigureAwait(false);
        LogInReview(input.VideoId, input.Reason);
        return saved is { Video.Status: VideoStatus.InReview };
    }

    /// <summary>
    /// The video is never published and its owner reads why. Its playback stops at once: the playlist routes answer 410 for
    /// it, and its HLS files and poster leave the media container, so segment URLs already handed out stop working too. What
    /// an appeal needs stays: the upload and the samples the check judged (the frames, the poster, the audio) in the private
    /// review container.
    /// </summary>
    public async Task<bool> RejectAsync(ReviewStatusInput input, CancellationToken cancellationToken)
    {
        var saved = await videos.UpdateAsync(
            input.VideoId,
            e => e.Video.Status is VideoStatus.Processing or VideoStatus.InReview
                ? e with
                {
                    Video = e.Video with { Status = VideoStatus.Rejected, Stage = nameof(VideoStatus.Rejected), Error = input.Reason },
                    State = e.State is { } s ? s.With(PipelineStep.ReviewContent, s[PipelineStep.ReviewContent] with { Status = StepStatus.Failed, CompletedAt = time.GetUtcNow() }) : null,
                }
                : null,
            cancellationToken).ConfigureAwait(false);
        LogRejected(input.VideoId, input.Reason);
        if (saved is not { Video.Status: VideoStatus.Rejected })
        {
            return false;
        }

        await blobs.DeletePrefixAsync(MediaLayout.Container, MediaLayout.Prefix(input.VideoId), cancellationToken).ConfigureAwait(false);
        return true;
    }

    [LoggerMessage(EventId = 260, Level = LogLevel.Information, Message = "Video {VideoId}: {Frames} frames and {AudioChunks} audio chunks from the transcode go to the content check")]
    private partial void LogSampled(string videoId, int frames, int audioChunks);

    [LoggerMessage(EventId = 261, Level = LogLevel.Information, Message = "Video {VideoId}: the content check quota is used up; submitting again at {RetryAt:o}")]
    private partial void LogThrottled(string videoId, DateTimeOffset retryAt);

    [LoggerMessage(EventId = 262, Level = LogLevel.Warning, Message = "Video {VideoId}: sample {Sample} not checked by WeChat: {Reason}")]
    private partial void LogRefused(string videoId, string sample, string reason);

    [LoggerMessage(EventId = 263, Level = LogLevel.Information, Message = "Video {VideoId} waits for an operator's review: {Reason}")]
    private partial void LogInReview(string videoId, string reason);

    [LoggerMessage(EventId = 264, Level = LogLevel.Information, Message = "Video {VideoId} rejected by the content review: {Reason}")]
    private partial void LogRejected(string videoId, string reason);
}
