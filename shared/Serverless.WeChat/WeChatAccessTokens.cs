using System.Text.Json;
using Microsoft.Extensions.Logging;
using Serverless.Storage;

namespace Serverless.WeChat;

/// <summary>The app's one WeChat access token, shared by every instance.</summary>
public interface IWeChatAccessTokens
{
    /// <summary>A token valid for a while yet (refreshed early, by one instance for all).</summary>
    Task<string> GetAsync(CancellationToken cancellationToken);

    /// <summary>WeChat said <paramref name="rejected"/> is invalid or expired (40001, 42001): a fresh token, fetched once however many callers saw it.</summary>
    Task<string> RenewAsync(string rejected, CancellationToken cancellationToken);
}

/// <summary>
/// Keeps the token in a private blob (<c>wechat/access-token.json</c>) that every instance reads; a refresh is done by the
/// one instance holding the lease on <c>wechat/access-token.lock</c>, the others wait for its result. Instances that each
/// fetched their own would still share it (stable_token's normal mode answers the same token), but WeChat counts the calls
/// and the forced refresh a rejected token needs invalidates the token of everyone else.
/// </summary>
internal sealed partial class WeChatAccessTokens(IBlobStore blobs, WeChatServerApi api, TimeProvider time, ILogger<WeChatAccessTokens> logger) : IWeChatAccessTokens
{
    public const string Container = "wechat";
    internal const string TokenBlob = "access-token.json";
    internal const string LockBlob = "access-token.lock";

    /// <summary>WeChat hands out the next token in a token's last 5 minutes (both valid meanwhile): refresh then.</summary>
    internal static readonly TimeSpan RefreshBefore = TimeSpan.FromMinutes(5);

    private static readonly TimeSpan LeaseDuration = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan WaitForRefresher = TimeSpan.FromSeconds(45);
    private static readonly TimeSpan PollRefresher = TimeSpan.FromMilliseconds(250);

    private readonly SemaphoreSlim _local = new(1, 1);
    private volatile WeChatAccessToken? _cached;

    public async Task<string> GetAsync(CancellationToken cancellationToken)
    {
        if (_cached is { } cached && Fresh(cached))
        {
            return cached.Value;
        }

        return (await ObtainAsync(rejected: null, cancellationToken).ConfigureAwait(false)).Value;
    }

    public async Task<string> RenewAsync(string rejected, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(rejected);
        if (_cached is { } cached && cached.Value != rejected && Fresh(cached))
        {
            return cached.Value; // another caller here renewed it already
        }

        return (await ObtainAsync(rejected, cancellationToken).ConfigureAwait(false)).Value;
    }

    private bool Fresh(WeChatAccessToken token) => token.ExpiresAt - RefreshBefore > time.GetUtcNow();

    private bool Usable(WeChatAccessToken? token, string? rejected) => token is not null && token.Value != rejected && Fresh(token);

    private async Task<WeChatAccessToken> ObtainAsync(string? rejected, CancellationToken cancellationToken)
    {
        // One caller per instance goes to storage; the others here wait for its answer.
        await _local.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (Usable(_cached, rejected))
            {
                return _cached!;
            }

            var deadline = time.GetUtcNow() + WaitForRefresher;
            while (true)
            {
                var stored = await ReadAsync(cancellationToken).ConfigureAwait(false);
                if (Usable(stored, rejected))
                {
                    return _cached = stored!;
                }

                await using (var lease = await blobs.TryAcquireLeaseAsync(Container, LockBlob, LeaseDuration, cancellationToken).ConfigureAwait(false))
                {
                    if (lease is not null)
                    {
                        // Another instance may have refreshed between our read and the lease.
                        stored = await ReadAsync(cancellationToken).ConfigureAwait(false);
                        if (Usable(stored, rejected))
                        {
                            return _cached = stored!;
                        }

                        var fresh = await FetchAsync(stored, rejected, cancellationToken).ConfigureAwait(false);
                        await WriteAsync(fresh, cancellationToken).ConfigureAwait(false);
                        return _cached = fresh;
                    }
                }

                if (time.GetUtcNow() > deadline)
                {
                    throw new WeChatUnavailableException("Another instance has been refreshing the WeChat access token for too long.");
                }

                await Task.Delay(PollRefresher, time, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            _local.Release();
        }
    }

    /// <summary>Normal mode first (it answers the next token near expiry); forced only when WeChat still hands out the rejected one.</summary>
    private async Task<WeChatAccessToken> FetchAsync(WeChatAccessToken? stored, string? rejected, CancellationToken cancellationToken)
    {
        var token = await api.FetchStableTokenAsync(forceRefresh: false, cancellationToken).ConfigureAwait(false);
        if (rejected is not null && token.Value == rejected)
        {
            token = await api.FetchStableTokenAsync(forceRefresh: true, cancellationToken).ConfigureAwait(false);
            LogForced(logger);
        }

        LogRefreshed(logger, token.ExpiresAt, stored is null ? "none stored" : rejected is null ? "expiring" : "rejected by WeChat");
        return token;
    }

    private async Task<WeChatAccessToken?> ReadAsync(CancellationToken cancellationToken)
    {
        var text = await blobs.ReadTextAsync(Container, TokenBlob, cancellationToken).ConfigureAwait(false);
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize<WeChatAccessToken>(text, JsonSerializerOptions.Web);
        }
        catch (JsonException)
        {
            return null; // rewritten by the next refresh
        }
    }

    private async Task WriteAsync(WeChatAccessToken token, CancellationToken cancellationToken)
    {
        using var content = new MemoryStream(JsonSerializer.SerializeToUtf8Bytes(token, JsonSerializerOptions.Web));
        await blobs.UploadAsync(Container, TokenBlob, content, new BlobWriteOptions("application/json", "no-store"), cancellationToken).ConfigureAwait(false);
    }

    [LoggerMessage(EventId = 7001, Level = LogLevel.Information, Message = "WeChat access token refreshed ({Why}); valid until {ExpiresAt:o}")]
    private static partial void LogRefreshed(ILogger logger, DateTimeOffset expiresAt, string why);

    [LoggerMessage(EventId = 7002, Level = LogLevel.Warning, Message = "WeChat kept answering a token it had rejected: forced a refresh (WeChat allows 20 a day)")]
    private static partial void LogForced(ILogger logger);
}
