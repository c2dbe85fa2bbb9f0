using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace Serverless.WeChat;

/// <summary>What <c>code2Session</c> tells us about the user. The session key is deliberately not kept.</summary>
public sealed record WeChatSession(string OpenId, string? UnionId);

/// <summary>Exchanges a <c>wx.login</c> code for the user's openid with WeChat's <c>code2Session</c> API.</summary>
public interface IWeChatSessionClient
{
    /// <exception cref="WeChatSignInException">WeChat refused the code, or could not be reached.</exception>
    Task<WeChatSession> ExchangeCodeAsync(string code, CancellationToken cancellationToken);
}

/// <summary>Why a WeChat sign-in failed, as the API answers it.</summary>
public enum WeChatFailure
{
    /// <summary><c>errcode</c> 40029 (invalid code) or 40163 (code already used): 400.</summary>
    InvalidCode,

    /// <summary><c>errcode</c> 45011: WeChat's per-user rate limit: 429.</summary>
    RateLimited,

    /// <summary><c>errcode</c> 40226: WeChat flags the user as high risk: 403.</summary>
    HighRiskUser,

    /// <summary><c>errcode</c> -1 (busy), 5xx, timeouts or network faults after the retries: 503.</summary>
    Unavailable,

    /// <summary>Our side: no AppID/AppSecret configured, or WeChat rejected them (40013, 40125, …): 503.</summary>
    NotConfigured,

    /// <summary>Our side: <c>errcode</c> 40164, the server's address is not in the mini-program's API IP allow-list: 503.</summary>
    AddressNotAllowed,
}

public sealed class WeChatSignInException(WeChatFailure failure, int? errorCode, Exception? inner = null)
    : Exception($"WeChat sign-in failed: {failure}" + (errorCode is { } c ? " (errcode " + c.ToString(CultureInfo.InvariantCulture) + ")" : string.Empty) + ".", inner)
{
    public WeChatFailure Failure { get; } = failure;

    public int? ErrorCode { get; } = errorCode;
}

/// <summary>The raw <c>code2Session</c> answer (WeChat sends it as <c>text/plain</c>). <c>session_key</c> is not even read.</summary>
internal sealed record Code2SessionReply(
    [property: JsonPropertyName("openid")] string? OpenId,
    [property: JsonPropertyName("unionid")] string? UnionId,
    [property: JsonPropertyName("errcode")] int ErrCode,
    [property: JsonPropertyName("errmsg")] string? ErrMsg);

/// <summary>The retry and timeout pipeline around one <c>code2Session</c> call (built once).</summary>
internal sealed class WeChatResilience
{
    public WeChatResilience(IOptions<WeChatOptions> options)
    {
        var settings = options.Value;
        var builder = new ResiliencePipelineBuilder<Code2SessionReply>();
        if (settings.MaxRetries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions<Code2SessionReply>
            {
                ShouldHandle = new PredicateBuilder<Code2SessionReply>()
                    .Handle<HttpRequestException>(IsTransient)
                    .Handle<TimeoutRejectedException>()
                    .HandleResult(r => r.ErrCode == WeChatSessionClient.BusyErrorCode),
                MaxRetryAttempts = settings.MaxRetries,
                Delay = TimeSpan.FromMilliseconds(settings.RetryDelayMilliseconds),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
            });
        }

        Pipeline = builder.AddTimeout(TimeSpan.FromSeconds(settings.AttemptTimeoutSeconds)).Build();
    }

    public ResiliencePipeline<Code2SessionReply> Pipeline { get; }

    private static bool IsTransient(HttpRequestException ex) =>
        ex.StatusCode is null or HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests || (int)ex.StatusCode >= 500;
}

/// <summary>Typed HTTP client for <c>GET /sns/jscode2session</c>. The AppSecret travels only in the request's query string, which is never logged.</summary>
internal sealed partial class WeChatSessionClient(
    HttpClient http,
    WeChatResilience resilience,
    IOptions<WeChatOptions> options,
    ILogger<WeChatSessionClient> logger) : IWeChatSessionClient
{
    public const int BusyErrorCode = -1;

    public async Task<WeChatSession> ExchangeCodeAsync(string code, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        if (!settings.IsConfigured)
        {
            throw new WeChatSignInException(WeChatFailure.NotConfigured, null);
        }

        var path = "sns/jscode2session?appid=" + Uri.EscapeDataString(settings.AppId)
            + "&secret=" + Uri.EscapeDataString(settings.AppSecret)
            + "&js_code=" + Uri.EscapeDataString(code)
            + "&grant_type=authorization_code";
        Code2SessionReply reply;
        try
        {
            reply = await resilience.Pipeline.ExecuteAsync(
                static async (state, ct) => await state.Self.CallAsync(state.Path, ct).ConfigureAwait(false),
                (Self: this, Path: path),
                cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HttpRequestException or TimeoutRejectedException or JsonException)
        {
            // No message or URI in the log: only the kind of fault.
            LogUnreachable(logger, ex.GetType().Name, (ex as HttpRequestException)?.StatusCode is { } s ? (int)s : 0);
            throw new WeChatSignInException(WeChatFailure.Unavailable, null);
        }

        if (reply.ErrCode == 0 && !string.IsNullOrEmpty(reply.OpenId))
        {
            return new WeChatSession(reply.OpenId, string.IsNullOrEmpty(reply.UnionId) ? null : reply.UnionId);
        }

        var failure = reply.ErrCode switch
        {
            40029 or 40163 => WeChatFailure.InvalidCode,
            45011 => WeChatFailure.RateLimited,
            40226 => WeChatFailure.HighRiskUser,
            BusyErrorCode => WeChatFailure.Unavailable,
            40013 or 40125 or 41002 or 41004 or 40001 or 40002 or 41008 => WeChatFailure.NotConfigured,
            WeChatIpAllowList.NotInAllowList => WeChatFailure.AddressNotAllowed,
            _ => WeChatFailure.Unavailable, // Including errcode 0 without an openid: not an answer we can use.
        };
        if (failure == WeChatFailure.AddressNotAllowed)
        {
            LogAddressNotAllowed(logger, WeChatIpAllowList.Describe(reply.ErrMsg, options.Value.OutboundIp));
        }

        LogRefused(logger, reply.ErrCode, failure);
        throw new WeChatSignInException(failure, reply.ErrCode);
    }

    private async Task<Code2SessionReply> CallAsync(string path, CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync(path, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException(HttpRequestError.InvalidResponse, "code2Session answered " + ((int)response.StatusCode).ToString(CultureInfo.InvariantCulture) + ".", null, response.StatusCode);
        }

        // WeChat answers with Content-Type text/plain: read the body as JSON whatever the media type says, up to a bound.
        var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            var buffer = new MemoryStream();
            var chunk = new byte[8192];
            int read;
            while ((read = await stream.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
            {
                if (buffer.Length + read > WeChatServerApi.MaxReplyBytes)
                {
                    throw new JsonException("The code2Session answer is too large.");
                }

                buffer.Write(chunk, 0, read);
            }

            return JsonSerializer.Deserialize<Code2SessionReply>(buffer.GetBuffer().AsSpan(0, (int)buffer.Length))
                ?? throw new JsonException("The code2Session answer is empty.");
        }
    }

    [LoggerMessage(EventId = 6010, Level = LogLevel.Warning, Message = "WeChat code2Session could not be reached after retries ({Fault}, HTTP {StatusCode}).")]
    private static partial void LogUnreachable(ILogger logger, string fault, int statusCode);

    [LoggerMessage(EventId = 6012, Level = LogLevel.Error, Message = "{Description}")]
    private static partial void LogAddressNotAllowed(ILogger logger, string description);

    [LoggerMessage(EventId = 6011, Level = LogLevel.Warning, Message = "WeChat code2Session refused the sign-in with errcode {ErrCode} ({Failure}).")]
    private static partial void LogRefused(ILogger logger, int errCode, WeChatFailure failure);
}
