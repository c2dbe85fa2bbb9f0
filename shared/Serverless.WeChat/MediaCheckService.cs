using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Serverless.WeChat;

/// <summary>How submitting one sample went.</summary>
public abstract record MediaCheckOutcome
{
    private MediaCheckOutcome()
    {
    }

    /// <summary>WeChat took it; its verdict will be pushed with this trace id.</summary>
    public sealed record Accepted(string TraceId) : MediaCheckOutcome;

    /// <summary>Our share of WeChat's quota is used up: submit again at <paramref name="RetryAt"/>.</summary>
    public sealed record Throttled(DateTimeOffset RetryAt) : MediaCheckOutcome;

    /// <summary>WeChat will not check it (or cannot be asked): a person must.</summary>
    public sealed record Refused(string Reason) : MediaCheckOutcome;
}

/// <summary>
/// Submits samples to <c>media_check_async</c> within the app's quota, with the shared access token: a token WeChat calls
/// expired or invalid (40001, 42001, 40014) is renewed once for everyone and the call made once more.
/// </summary>
public interface IMediaCheck
{
    /// <exception cref="WeChatUnavailableException">WeChat could not be reached: try again later.</exception>
    Task<MediaCheckOutcome> SubmitAsync(Uri mediaUrl, MediaCheckType type, string openId, CancellationToken cancellationToken);
}

internal sealed partial class MediaCheckService(
    WeChatServerApi api,
    IWeChatAccessTokens tokens,
    CallQuota quota,
    IOptions<MediaCheckOptions> options,
    TimeProvider time,
    ILogger<MediaCheckService> logger) : IMediaCheck
{
    public const string Api = "media_check_async";

    public async Task<MediaCheckOutcome> SubmitAsync(Uri mediaUrl, MediaCheckType type, string openId, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var permit = await quota.TryTakeAsync(Api, settings.CallsPerMinute, settings.CallsPerDay, cancellationToken).ConfigureAwait(false);
        if (!permit.Granted)
        {
            return new MediaCheckOutcome.Throttled(permit.RetryAt);
        }

        try
        {
            var token = await tokens.GetAsync(cancellationToken).ConfigureAwait(false);
            var reply = await api.SubmitMediaCheckAsync(token, mediaUrl, type, openId, settings.Scene, cancellationToken).ConfigureAwait(false);
            if (IsTokenRejected(reply.ErrCode))
            {
                LogTokenRejected(logger, reply.ErrCode);
                token = await tokens.RenewAsync(token, cancellationToken).ConfigureAwait(false);
                reply = await api.SubmitMediaCheckAsync(token, mediaUrl, type, openId, settings.Scene, cancellationToken).ConfigureAwait(false);
                if (IsTokenRejected(reply.ErrCode))
                {
                    throw new WeChatUnavailableException($"WeChat rejected a freshly renewed access token (errcode {reply.ErrCode}).");
                }
            }

            return reply.ErrCode switch
            {
                0 when !string.IsNullOrEmpty(reply.TraceId) => new MediaCheckOutcome.Accepted(reply.TraceId),
                0 => throw new WeChatUnavailableException("media_check_async answered without a trace id."),
                45009 => new MediaCheckOutcome.Throttled(time.GetUtcNow().AddHours(1)), // WeChat's daily quota, counted in Beijing time
                45011 => new MediaCheckOutcome.Throttled(time.GetUtcNow().AddMinutes(1)),
                _ => new MediaCheckOutcome.Refused($"WeChat refused to check it (errcode {reply.ErrCode}: {reply.ErrMsg})."),
            };
        }
        catch (WeChatCredentialsException ex)
        {
            return new MediaCheckOutcome.Refused(ex.Message);
        }
    }

    private static bool IsTokenRejected(int errCode) => errCode is 40001 or 42001 or 40014;

    [LoggerMessage(EventId = 7010, Level = LogLevel.Information, Message = "WeChat rejected the access token (errcode {ErrCode}); renewing it once")]
    private static partial void LogTokenRejected(ILogger logger, int errCode);
}
