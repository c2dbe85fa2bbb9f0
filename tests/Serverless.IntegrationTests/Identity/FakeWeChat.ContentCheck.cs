using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Serverless.WeChat.Push;

namespace Serverless.IntegrationTests.Identity;

/// <summary>One sample the app asked WeChat to check, as the fake received it.</summary>
/// <param name="Bytes">What the fake read from <paramref name="MediaUrl"/> (-1: it could not be read).</param>
public sealed record FakeMediaCheck(string TraceId, string OpenId, int MediaType, int Scene, int Version, string MediaUrl, long Bytes, string AccessToken);

/// <summary>
/// WeChat's content check as the app sees it: one access token for the app (stable_token's normal mode answers the same
/// token until it expires), <c>media_check_async</c> that fetches the sample and answers a trace id, then — a moment
/// later, like WeChat's asynchronous verdict — a signed push to the app's message server (plain or safe mode), retried
/// like WeChat retries a push that is not answered <c>success</c>.
/// </summary>
public sealed partial class FakeWeChat
{
    public const string PushToken = "fake-push-token-5d1e";

    /// <summary>A 43-character EncodingAESKey for safe-mode pushes.</summary>
    public const string EncodingAesKey = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aQ";

    private readonly ConcurrentDictionary<string, FakeMediaCheck> _checks = new();
    private readonly ConcurrentQueue<(HttpStatusCode Status, string Body)> _pushAnswers = new();
    private readonly ConcurrentBag<Task> _pushes = [];
    private readonly CancellationTokenSource _stopPushing = new();
    private readonly object _tokenGate = new();
    private string _token = NewToken();
    private int _tokenCalls;
    private int _forcedTokenCalls;
    private int _rejectedByToken;
    private int _accepted;

    /// <summary>What WeChat decides about a sample (null: no verdict is ever pushed).</summary>
    public Func<FakeMediaCheck, (MediaCheckSuggest Suggest, int Label)?> Verdict { get; set; } = _ => (MediaCheckSuggest.Pass, 100);

    /// <summary>Where verdicts are pushed: a client of the app under test (null: nowhere).</summary>
    public HttpClient? PushTo { get; set; }

    /// <summary>Push encrypted (safe mode, with <see cref="EncodingAesKey"/>) rather than plain.</summary>
    public bool SafeMode { get; set; }

    /// <summary>The token expires (as <see cref="ExpireToken"/>) right after this many checks were accepted; 0: never.</summary>
    public int ExpireTokenAfterChecks { get; set; }

    private TaskCompletionSource _pushGate = CompletedGate();

    /// <summary>Verdicts wait (as WeChat's may take up to 30 minutes) until <see cref="ReleasePushes"/>.</summary>
    public void HoldPushes() => _pushGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Held verdicts go out now, to <see cref="PushTo"/> as it is then.</summary>
    public void ReleasePushes() => _pushGate.TrySetResult();

    private static TaskCompletionSource CompletedGate()
    {
        var gate = new TaskCompletionSource();
        gate.SetResult();
        return gate;
    }

    /// <summary>Delay before a verdict is pushed.</summary>
    public TimeSpan PushDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>The push shape for a check: 2 (today's) unless a test asks for the older 1.</summary>
    public Func<FakeMediaCheck, int> PushVersion { get; set; } = _ => 2;

    public IReadOnlyCollection<FakeMediaCheck> Checks => [.. _checks.Values];

    /// <summary>What the app answered to each push attempt.</summary>
    public IReadOnlyCollection<(HttpStatusCode Status, string Body)> PushAnswers => [.. _pushAnswers];

    public int TokenCalls => Volatile.Read(ref _tokenCalls);

    public int ForcedTokenCalls => Volatile.Read(ref _forcedTokenCalls);

    /// <summary>Check calls refused because their access token was expired or unknown.</summary>
    public int RejectedByToken => Volatile.Read(ref _rejectedByToken);

    public string CurrentToken
    {
        get
        {
            lock (_tokenGate)
            {
                return _token;
            }
        }
    }

    /// <summary>The current token stops working (as at its expiry): calls with it get 42001; the next stable_token call hands out a new one.</summary>
    public void ExpireToken()
    {
        lock (_tokenGate)
        {
            _expired.Add(_token);
        }
    }

    private readonly HashSet<string> _expired = [];

    /// <summary>Waits until every push scheduled so far was delivered (or given up).</summary>
    public async Task WaitForPushesAsync() => await Task.WhenAll(_pushes.ToArray());

    /// <summary>A push exactly as WeChat would send it now for <paramref name="traceId"/>: path with query, and body.</summary>
    public (string PathAndQuery, string Body) SignedPush(string traceId, MediaCheckSuggest suggest, int label, bool safeMode, int version = 2)
    {
        var message = version == 1 ? Version1Push(traceId, suggest) : new JsonObject
        {
            ["ToUserName"] = "gh_fakeminiapp",
            ["FromUserName"] = "o_push_service",
            ["CreateTime"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            ["MsgType"] = "event",
            ["Event"] = "wxa_media_check",
            ["appid"] = AppId,
            ["trace_id"] = traceId,
            ["version"] = 2,
            ["detail"] = new JsonArray(new JsonObject { ["strategy"] = "content_model", ["errcode"] = 0, ["suggest"] = Word(suggest), ["label"] = label, ["prob"] = 90 }),
            ["errcode"] = 0,
            ["errmsg"] = "ok",
            ["result"] = new JsonObject { ["suggest"] = Word(suggest), ["label"] = label },
        }.ToJsonString();
        if (safeMode)
        {
            var envelope = new WeChatPushVerifier(PushToken, EncodingAesKey, AppId, TimeProvider.System).Encrypt(message);
            var q = envelope.Query;
            return ($"/api/wechat/push?signature={q.Signature}&timestamp={q.Timestamp}&nonce={q.Nonce}&encrypt_type=aes&msg_signature={q.MsgSignature}", envelope.ToJson("gh_fakeminiapp"));
        }

        var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var nonce = RandomNumberGenerator.GetInt32(100_000_000, int.MaxValue).ToString(CultureInfo.InvariantCulture);
        return ($"/api/wechat/push?signature={Signature(PushToken, timestamp, nonce)}&timestamp={timestamp}&nonce={nonce}", message);
    }

    /// <summary>The older push (version 1), still sent to some apps: only whether the media is risky, and a status code.</summary>
    private string Version1Push(string traceId, MediaCheckSuggest suggest) => new JsonObject
    {
        ["ToUserName"] = "gh_fakeminiapp",
        ["FromUserName"] = "o_push_service",
        ["CreateTime"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
        ["MsgType"] = "event",
        ["Event"] = "wxa_media_check",
        ["isrisky"] = suggest == MediaCheckSuggest.Pass ? 0 : 1,
        ["extra_info_json"] = string.Empty,
        ["appid"] = AppId,
        ["trace_id"] = traceId,
        ["status_code"] = 0,
    }.ToJsonString();

    /// <summary>WeChat's plain signature: SHA-1 of the sorted, concatenated parts, lowercase hex.</summary>
    public static string Signature(params string[] parts)
    {
        var sorted = parts.Order(StringComparer.Ordinal);
        return Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes(string.Concat(sorted))));
    }

    private static string Word(MediaCheckSuggest suggest) => suggest.ToString().ToLowerInvariant();

    private static string NewToken() => "ACCESS_" + RandomNumberGenerator.GetHexString(24, lowercase: true);

    private async Task StopPushingAsync()
    {
        await _stopPushing.CancelAsync();
        try
        {
            await Task.WhenAll(_pushes.ToArray());
        }
        catch (OperationCanceledException)
        {
        }

        _stopPushing.Dispose();
    }

    private void MapContentCheck(WebApplication app)
    {
        app.MapPost("/cgi-bin/stable_token", StableTokenAsync);
        app.MapPost("/wxa/media_check_async", MediaCheckAsync);
    }

    private async Task StableTokenAsync(HttpContext context)
    {
        var body = await JsonNode.ParseAsync(context.Request.Body);
        Interlocked.Increment(ref _tokenCalls);
        if (DenyAddress)
        {
            await Json(context, DeniedAddressReply);
            return;
        }

        if ((string?)body?["grant_type"] != "client_credential" || (string?)body?["appid"] != AppId || (string?)body?["secret"] != AppSecret)
        {
            await Json(context, "{\"errcode\":40013,\"errmsg\":\"invalid appid\"}");
            return;
        }

        string token;
        lock (_tokenGate)
        {
            var force = (bool?)body?["force_refresh"] == true;
            if (force)
            {
                Interlocked.Increment(ref _forcedTokenCalls);
                _expired.Add(_token);
            }

            if (_expired.Contains(_token))
            {
                _token = NewToken();
            }

            token = _token;
        }

        await Json(context, "{\"access_token\":\"" + token + "\",\"expires_in\":7200}");
    }

    private async Task MediaCheckAsync(HttpContext context)
    {
        var token = context.Request.Query["access_token"].ToString();
        bool valid;
        lock (_tokenGate)
        {
            valid = token == _token && !_expired.Contains(token);
            if (!valid && _expired.Contains(token))
            {
                Interlocked.Increment(ref _rejectedByToken);
            }
        }

        if (!valid)
        {
            await Json(context, _expired.Contains(token) ? "{\"errcode\":42001,\"errmsg\":\"access_token expired\"}" : "{\"errcode\":40001,\"errmsg\":\"invalid credential\"}");
            return;
        }

        var body = await JsonNode.ParseAsync(context.Request.Body);
        var url = (string?)body?["media_url"] ?? string.Empty;
        var type = (int?)body?["media_type"] ?? 0;
        var openId = (string?)body?["openid"] ?? string.Empty;
        if (type is not (1 or 2) || (int?)body?["version"] != 2 || string.IsNullOrEmpty(openId) || !Uri.TryCreate(url, UriKind.Absolute, out var uri))
        {
            await Json(context, "{\"errcode\":40003,\"errmsg\":\"invalid args\"}");
            return;
        }

        // WeChat downloads the sample: the URL must be readable without any other credential.
        long bytes;
        try
        {
            using var http = new HttpClient();
            bytes = (await http.GetByteArrayAsync(uri)).LongLength;
        }
        catch (HttpRequestException)
        {
            bytes = -1;
        }

        var check = new FakeMediaCheck(
            RandomNumberGenerator.GetHexString(8, true) + "-" + RandomNumberGenerator.GetHexString(8, true) + "-" + RandomNumberGenerator.GetHexString(8, true),
            openId, type, (int?)body?["scene"] ?? 0, 2, url, bytes, token);
        _checks[check.TraceId] = check;

        // Counted atomically: concurrent checks reading the dictionary's count could both see past the threshold.
        if (Interlocked.Increment(ref _accepted) == ExpireTokenAfterChecks)
        {
            ExpireToken();
        }

        await Json(context, "{\"errcode\":0,\"errmsg\":\"ok\",\"trace_id\":\"" + check.TraceId + "\"}");
        if (Verdict(check) is { } verdict)
        {
            _pushes.Add(PushAsync(check, verdict.Suggest, verdict.Label, _pushGate.Task));
        }
    }

    /// <summary>Pushes the verdict; an answer other than <c>success</c> is retried twice, as WeChat does.</summary>
    private async Task PushAsync(FakeMediaCheck check, MediaCheckSuggest suggest, int label, Task gate)
    {
        await gate.WaitAsync(_stopPushing.Token);
        await Task.Delay(PushDelay, _stopPushing.Token);
        for (var attempt = 0; attempt < 3 && !_stopPushing.IsCancellationRequested; attempt++)
        {
            if (PushTo is not { } target)
            {
                return;
            }

            var (path, body) = SignedPush(check.TraceId, suggest, label, SafeMode, PushVersion(check));
            try
            {
                using var response = await target.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"), _stopPushing.Token);
                var text = await response.Content.ReadAsStringAsync(_stopPushing.Token);
                _pushAnswers.Enqueue((response.StatusCode, text));
                if (response.StatusCode == HttpStatusCode.OK && text == "success")
                {
                    return;
                }
            }
            catch (HttpRequestException ex)
            {
                _pushAnswers.Enqueue((0, ex.Message));
            }

            await Task.Delay(TimeSpan.FromSeconds(1), _stopPushing.Token);
        }
    }
}
