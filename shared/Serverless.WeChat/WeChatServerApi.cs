using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace Serverless.WeChat;

/// <summary>WeChat could not be reached, was busy (<c>errcode -1</c>) or answered something unusable: try again later.</summary>
public sealed class WeChatUnavailableException(string message, Exception? inner = null) : Exception(message, inner)
{
    public WeChatUnavailableException()
        : this("WeChat is unavailable.")
    {
    }
}

/// <summary>WeChat refused our credentials (AppID/AppSecret) or they are not configured: nothing but an operator can fix it.</summary>
public sealed class WeChatCredentialsException(string message, Exception? inner = null) : Exception(message, inner)
{
    public WeChatCredentialsException()
        : this("WeChat refused the app's credentials.")
    {
    }
}

/// <summary>An access token and when WeChat said it expires.</summary>
public sealed record WeChatAccessToken(string Value, DateTimeOffset ExpiresAt);

/// <summary>What <c>media_check_async</c> answered.</summary>
public sealed record MediaCheckReply(
    [property: JsonPropertyName("errcode")] int ErrCode,
    [property: JsonPropertyName("errmsg")] string? ErrMsg,
    [property: JsonPropertyName("trace_id")] string? TraceId) : IWeChatReply;

/// <summary>Every WeChat answer carries an <c>errcode</c> (0 or absent when it succeeded).</summary>
internal interface IWeChatReply
{
    int ErrCode { get; }
}

/// <summary>The kind of a checked sample (<c>media_type</c>).</summary>
public enum MediaCheckType
{
    Audio = 1,
    Image = 2,
}

/// <summary>
/// The two WeChat server APIs the review calls: <c>cgi-bin/stable_token</c> (normal mode returns the same token to every caller
/// while it is valid; forced mode invalidates it) and <c>wxa/media_check_async</c>. Transient faults are retried briefly.
/// </summary>
internal sealed class WeChatServerApi
{
    public const int BusyErrorCode = -1;
    public const int MaxReplyBytes = 64 * 1024;

    private static readonly ResiliencePipeline Resilience = new ResiliencePipelineBuilder()
        .AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = new PredicateBuilder().Handle<HttpRequestException>().Handle<TimeoutRejectedException>().Handle<WeChatBusyException>(),
            MaxRetryAttempts = 2,
            Delay = TimeSpan.FromMilliseconds(300),
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
        })
        .AddTimeout(TimeSpan.FromSeconds(10))
        .Build();

    private readonly HttpClient _http;
    private readonly IOptions<WeChatOptions> _options;
    private readonly TimeProvider _time;

    public WeChatServerApi(HttpClient http, IOptions<WeChatOptions> options, TimeProvider time)
    {
        _http = http;
        _options = options;
        _time = time;
    }

    /// <exception cref="WeChatCredentialsException">No AppID/AppSecret, or WeChat refused them.</exception>
    /// <exception cref="WeChatUnavailableException">WeChat could not be reached or was busy after the retries.</exception>
    public async Task<WeChatAccessToken> FetchStableTokenAsync(bool forceRefresh, CancellationToken cancellationToken)
    {
        var settings = _options.Value;
        if (!settings.IsConfigured)
        {
            throw new WeChatCredentialsException("WeChat__AppId and WeChat__AppSecret are not configured.");
        }

        var reply = await CallAsync<StableTokenReply>(
            "cgi-bin/stable_token",
            new StableTokenRequest("client_credential", settings.AppId, settings.AppSecret, forceRefresh),
            cancellationToken).ConfigureAwait(false);
        if (reply.ErrCode != 0 || string.IsNullOrEmpty(reply.AccessToken) || reply.ExpiresIn <= 0)
        {
            throw reply.ErrCode == WeChatIpAllowList.NotInAllowList
                ? new WeChatCredentialsException(WeChatIpAllowList.Describe(reply.ErrMsg, settings.OutboundIp))
                : reply.ErrCode is 40013 or 40125 or 41002 or 41004 or 40001
                ? new WeChatCredentialsException($"WeChat refused the app's credentials (errcode {reply.ErrCode}: {reply.ErrMsg}).")
                : new WeChatUnavailableException($"stable_token answered errcode {reply.ErrCode}: {reply.ErrMsg}");
        }

        return new WeChatAccessToken(reply.AccessToken, _time.GetUtcNow().AddSeconds(reply.ExpiresIn));
    }

    /// <summary>Submits one sample; a non-zero errcode is returned for the caller to decide on (token expired, quota, refused).</summary>
    public Task<MediaCheckReply> SubmitMediaCheckAsync(string accessToken, Uri mediaUrl, MediaCheckType type, string openId, int scene, CancellationToken cancellationToken) =>
        CallAsync<MediaCheckReply>(
            "wxa/media_check_async?access_token=" + Uri.EscapeDataString(accessToken),
            new MediaCheckRequest(mediaUrl.AbsoluteUri, (int)type, 2, scene, openId),
            cancellationToken);

    private async Task<T> CallAsync<T>(string path, object body, CancellationToken cancellationToken)
        where T : class
    {
        try
        {
            return await Resilience.ExecuteAsync(
                async ct =>
                {
                    using var response = await _http.PostAsJsonAsync(path, body, ct).ConfigureAwait(false);
                    if ((int)response.StatusCode >= 500 || response.StatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.RequestTimeout)
                    {
                        throw new HttpRequestException($"WeChat answered {(int)response.StatusCode}.", null, response.StatusCode);
                    }

                    if (!response.IsSuccessStatusCode)
                    {
                        throw new WeChatUnavailableException($"WeChat answered {(int)response.StatusCode} to {path.Split('?')[0]}.");
                    }

                    // WeChat answers JSON, sometimes labelled text/plain: read it whatever the content type says.
                    var text = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
                    var reply = System.Text.Json.JsonSerializer.Deserialize<T>(text)
                        ?? throw new WeChatUnavailableException($"WeChat answered an empty body to {path.Split('?')[0]}.");
                    if (reply is IWeChatReply { ErrCode: BusyErrorCode })
                    {
                        throw new WeChatBusyException();
                    }

                    return reply;
                },
                cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HttpRequestException or TimeoutRejectedException or WeChatBusyException or System.Text.Json.JsonException
            || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            // Never the request URI in the message: it carries the access token.
            throw new WeChatUnavailableException($"WeChat could not be reached ({ex.GetType().Name}).", ex);
        }
    }

    private sealed class WeChatBusyException : Exception;

    private sealed record StableTokenRequest(
        [property: JsonPropertyName("grant_type")] string GrantType,
        [property: JsonPropertyName("appid")] string AppId,
        [property: JsonPropertyName("secret")] string Secret,
        [property: JsonPropertyName("force_refresh")] bool ForceRefresh);

    private sealed record StableTokenReply(
        [property: JsonPropertyName("access_token")] string? AccessToken,
        [property: JsonPropertyName("expires_in")] int ExpiresIn,
        [property: JsonPropertyName("errcode")] int ErrCode,
        [property: JsonPropertyName("errmsg")] string? ErrMsg) : IWeChatReply;

    private sealed record MediaCheckRequest(
        [property: JsonPropertyName("media_url")] string MediaUrl,
        [property: JsonPropertyName("media_type")] int MediaType,
        [property: JsonPropertyName("version")] int Version,
        [property: JsonPropertyName("scene")] int Scene,
        [property: JsonPropertyName("openid")] string OpenId);
}
