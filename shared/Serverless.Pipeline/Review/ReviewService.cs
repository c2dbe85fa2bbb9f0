using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;
using Serverless.Review;
using Serverless.Storage;
using Serverless.Videos;
using Serverless.WeChat.Push;

namespace Serverless.Pipeline.Review;

public sealed record ReviewDecisionRequest(string? Decision, string? Reason);

/// <summary>A video waiting for an operator: why, and a short-lived poster to look at.</summary>
public sealed record ReviewQueueItem(string VideoId, string Reason, double? DurationSeconds, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, Uri PosterUrl);

public sealed record ReviewQueueResponse(IReadOnlyList<ReviewQueueItem> Items, string? Cursor);

/// <summary>
/// What reaches the review from outside: WeChat's message push (URL verification; plain and safe-mode <c>wxa_media_check</c>
/// events, each signature verified) and the operators' queue and decisions. Both raise <see cref="ReviewVerdict"/> events to
/// the video's orchestration.
/// </summary>
internal sealed partial class ReviewService(
    WeChatPushVerifier verifier,
    ReviewTraces traces,
    VideoRepository videos,
    IBlobSasSigner signer,
    TimeProvider time,
    ILogger<ReviewService> logger)
{
    public const int MaxReasonLength = 500;

    /// <summary>What WeChat expects from a message server that took a push.</summary>
    public const string Success = "success";

    /// <summary>WeChat's check that the URL is ours: the <c>echostr</c> to echo when the signature is right.</summary>
    public Result<string> VerifyUrl(string? signature, string? timestamp, string? nonce, string? echo)
    {
        var result = verifier.VerifyUrl(signature, timestamp, nonce, echo);
        return result.IsAccepted ? result.Value! : Refused(result.Rejection);
    }

    /// <summary>
    /// A pushed message (<paramref name="body"/> null when larger than any WeChat message). <see cref="Success"/> once its
    /// effect is stored (WeChat retries otherwise); never an unhandled failure.
    /// </summary>
    public async Task<Result<string>> ReceiveAsync(WeChatPushQuery query, string? body, DurableTaskClient durable, CancellationToken cancellationToken)
    {
        if (body is null)
        {
            return Problems.Create(StatusCodes.Status413PayloadTooLarge, "push-too-large", "The push is larger than any WeChat message.");
        }

        var received = verifier.Receive(query, body);
        if (!received.IsAccepted)
        {
            LogRefused(received.Rejection?.ToString() ?? "unknown");
            return Refused(received.Rejection);
        }

        if (received.Value is UnusableMediaCheck unusable)
        {
            // Authentic, but missing what a verdict needs: answered so WeChat stops retrying; the video's deadline still holds.
            LogUnusable(unusable.TraceId ?? "none", unusable.Reason);
            return Success;
        }

        if (received.Value is not MediaCheckEvent check)
        {
            LogIgnored(received.Value!.MsgType, received.Value.Event);
            return Success;
        }

        if (!ReviewTraces.IsValidKey(check.TraceId))
        {
            LogUnknownTrace(check.TraceId);
            return Success;
        }

        // A check WeChat could not carry out (the sample not downloadable, …) is a doubt for a person.
        var (suggestion, label) = check is { ErrCode: 0, Result: { } result } ? (result.Suggest, (int?)result.Label) : (MediaCheckSuggest.Review, null);
        try
        {
            var written = await traces.RecordVerdictAsync(check.TraceId, suggestion, label, cancellationToken).ConfigureAwait(false);
            if (written.Trace.VideoId is not { } videoId)
            {
                // Unknown (yet): kept, and raised by the submission if it is ours and still being recorded.
                LogUnknownTrace(check.TraceId);
                return Success;
            }

            // Raised again for a repeated push: the orchestration takes one verdict per sample, so a repeat has no effect.
            if (!await TryRaiseAsync(durable, videoId, written.Trace.Verdict!, cancellationToken).ConfigureAwait(false))
            {
                return Unavailable;
            }

            LogVerdict(videoId, check.TraceId, suggestion, written.IsNew);
            return Success;
        }
        catch (StorageException ex)
        {
            LogNotStored(check.TraceId, ex.Message);
            return Unavailable;
        }
    }

    /// <summary>False when the event could not be raised to a review still waiting for it (WeChat's retry raises it again).</summary>
    private async Task<bool> TryRaiseAsync(DurableTaskClient durable, string videoId, ReviewVerdict verdict, CancellationToken cancellationToken)
    {
        try
        {
            await durable.RaiseEventAsync(videoId, ReviewVerdict.EventName, verdict, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // An orchestration that has ended needs no verdict; one still waiting must get it.
            var video = await videos.GetAsync(videoId, cancellationToken).ConfigureAwait(false);
            LogNotRaised(videoId, ex.GetType().Name, video?.Status.ToString() ?? "none");
            return video is not ({ Status: VideoStatus.Processing } or { Status: VideoStatus.InReview });
        }
    }

    public async Task<Result<ReviewQueueResponse>> ListAsync(int? count, string? cursor, CancellationToken cancellationToken)
    {
        var size = count ?? 20;
        if (size is < 1 or > 100)
        {
            return Problems.BadRequest("invalid-count", "count must be between 1 and 100.");
        }

        VideoPage page;
        try
        {
            page = await videos.ListByStatusAsync(VideoStatus.InReview, size, cursor, cancellationToken).ConfigureAwait(false);
        }
        catch (ArgumentException)
        {
            return Problems.BadRequest("invalid-cursor", "The cursor is not valid.");
        }

        var expires = time.GetUtcNow().AddMinutes(15);
        return new ReviewQueueResponse(
            page.Items.Select(v => new ReviewQueueItem(
                v.VideoId, v.Error ?? string.Empty, v.DurationSeconds, v.CreatedAt, v.UpdatedAt,
                signer.GetSasUri(MediaLayout.Container, v.PosterPath, BlobSasPermissions.Read, expires))).ToList(),
            page.Cursor);
    }

    /// <summary>An operator approves or rejects a video in review: the same event WeChat's push raises, but final. The video's id once raised.</summary>
    public async Task<Result<string>> DecideAsync(string videoId, ReviewDecisionRequest request, DurableTaskClient durable, CancellationToken cancellationToken)
    {
        var decision = request.Decision?.Trim().ToLowerInvariant();
        if (decision is not ("approve" or "reject"))
        {
            return Problems.BadRequest("invalid-decision", "decision is \"approve\" or \"reject\".");
        }

        var reason = request.Reason?.Trim();
        if (decision == "reject" && string.IsNullOrEmpty(reason))
        {
            return Problems.BadRequest("reason-required", "A rejection needs a reason: the owner reads it.");
        }

        if (reason is { Length: > MaxReasonLength })
        {
            return Problems.BadRequest("reason-too-long", string.Create(CultureInfo.InvariantCulture, $"reason is at most {MaxReasonLength} characters."));
        }

        var video = VideoIds.IsValid(videoId) ? await videos.GetAsync(videoId, cancellationToken).ConfigureAwait(false) : null;
        if (video is null or { Status: VideoStatus.Deleted })
        {
            return Problems.NotFound("video-not-found", "No such video.");
        }

        if (video.Status != VideoStatus.InReview)
        {
            return Problems.Conflict("video-not-in-review", "Only a video waiting in the review queue can be approved or rejected.",
                new Dictionary<string, object?> { ["status"] = video.Status.ToString() });
        }

        var verdict = new ReviewVerdict(VerdictSource.Operator, decision == "approve" ? MediaCheckSuggest.Pass : MediaCheckSuggest.Risky, null, null, reason);
        await durable.RaiseEventAsync(videoId, ReviewVerdict.EventName, verdict, cancellationToken).ConfigureAwait(false);
        LogDecided(videoId, decision, reason ?? string.Empty);
        return videoId;
    }

    private static Problem Refused(PushRejection? rejection) => rejection switch
    {
        PushRejection.NotConfigured => Problems.Create(StatusCodes.Status503ServiceUnavailable, "push-not-configured", "Message push is not configured.", "Review__PushToken is not set on this server."),
        PushRejection.Malformed or PushRejection.WrongAppId => Problems.BadRequest("push-malformed", "The push is not a WeChat message for this app."),
        PushRejection.Stale => Problems.Forbidden("push-stale", "The push's timestamp is too far from now."),
        PushRejection.Unencrypted => Problems.Forbidden("push-not-encrypted", "This server takes safe-mode (encrypted) pushes only."),
        _ => Problems.Forbidden("push-signature-invalid", "The push's signature does not verify."),
    };

    private static Problem Unavailable { get; } =
        Problems.Create(StatusCodes.Status503ServiceUnavailable, "push-not-stored", "The push could not be stored.", "Storage is unavailable; WeChat retries the push.") with { RetryAfterSeconds = 5 };

    [LoggerMessage(EventId = 270, Level = LogLevel.Warning, Message = "WeChat push refused: {Rejection}")]
    private partial void LogRefused(string rejection);

    [LoggerMessage(EventId = 271, Level = LogLevel.Debug, Message = "WeChat push {MsgType}/{Event} acknowledged and ignored")]
    private partial void LogIgnored(string msgType, string? @event);

    [LoggerMessage(EventId = 272, Level = LogLevel.Warning, Message = "WeChat content check verdict for unknown trace {TraceId}: acknowledged")]
    private partial void LogUnknownTrace(string traceId);

    [LoggerMessage(EventId = 273, Level = LogLevel.Information, Message = "Video {VideoId}: WeChat's verdict on {TraceId} is {Suggestion} (first time: {IsNew})")]
    private partial void LogVerdict(string videoId, string traceId, MediaCheckSuggest suggestion, bool isNew);

    [LoggerMessage(EventId = 274, Level = LogLevel.Warning, Message = "WeChat verdict for {TraceId} not stored ({Reason}): answered 503 so WeChat retries")]
    private partial void LogNotStored(string traceId, string reason);

    [LoggerMessage(EventId = 277, Level = LogLevel.Warning, Message = "WeChat content check push for trace {TraceId} understood but not usable ({Reason}): acknowledged")]
    private partial void LogUnusable(string traceId, string reason);

    [LoggerMessage(EventId = 276, Level = LogLevel.Warning, Message = "Video {VideoId}: the verdict could not be raised ({Error}); the video is {Status}")]
    private partial void LogNotRaised(string videoId, string error, string status);

    [LoggerMessage(EventId = 275, Level = LogLevel.Information, Message = "Video {VideoId}: an operator decided {Decision} ({Reason})")]
    private partial void LogDecided(string videoId, string decision, string reason);
}
