using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Serverless.Recommendations.Catalog;
using Serverless.Recommendations.Events;
using Serverless.Storage;

namespace Serverless.Recommendations.Serving;

/// <summary>The Ready videos, indexed for serving.</summary>
internal sealed class CatalogState(IReadOnlyList<CatalogVideo> videos, DateTimeOffset fetchedAt)
{
    public IReadOnlyDictionary<string, CatalogVideo> ById { get; } = videos.GroupBy(v => v.VideoId, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);

    /// <summary>Newest upload first (ties by id).</summary>
    public CatalogVideo[] NewestFirst { get; } = [.. videos.OrderByDescending(v => v.CreatedAt).ThenBy(v => v.VideoId, StringComparer.Ordinal)];

    public DateTimeOffset FetchedAt { get; } = fetchedAt;
}

/// <summary>
/// The Ready list, refreshed at most every <see cref="ServingOptions.CatalogCacheSeconds"/>. Once the list is older than
/// that, one background refresh starts and requests keep getting the previous list meanwhile, so no request waits on
/// the catalog scan; a request waits only when there is no list yet or it is older than twice the cache time (the
/// refresh kept failing). With a cache time of 0 every request reads the catalog.
/// </summary>
internal sealed partial class CatalogCache(VideoDirectoryAccessor directory, IOptions<ServingOptions> options, TimeProvider time, ILogger<CatalogCache> logger) : IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private volatile CatalogState? _state;
    private int _refreshing;

    public async ValueTask<CatalogState> GetAsync(CancellationToken cancellationToken)
    {
        var state = _state;
        var ttl = TimeSpan.FromSeconds(options.Value.CatalogCacheSeconds);
        var age = state is null ? TimeSpan.MaxValue : time.GetUtcNow() - state.FetchedAt;
        if (state is not null && age < ttl)
        {
            return state;
        }

        if (state is not null && age < ttl * 2)
        {
            RefreshInBackground();
            return state;
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            state = _state;
            if (state is not null && time.GetUtcNow() - state.FetchedAt < ttl)
            {
                return state;
            }

            return await LoadAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose() => _gate.Dispose();

    private async Task<CatalogState> LoadAsync(CancellationToken cancellationToken)
    {
        var videos = await directory.Directory.ListReadyAsync(cancellationToken).ConfigureAwait(false);
        var state = new CatalogState(videos, time.GetUtcNow());
        _state = state;
        return state;
    }

    private void RefreshInBackground()
    {
        if (Interlocked.CompareExchange(ref _refreshing, 1, 0) != 0)
        {
            return;
        }

        _ = Task.Run(async () =>
        {
            try
            {
                await LoadAsync(CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is StorageException or InvalidOperationException or TimeoutException or HttpRequestException)
            {
                // The previous list keeps serving; the next request past the cache time tries again.
                LogRefreshFailed(logger, ex);
            }
            finally
            {
                Volatile.Write(ref _refreshing, 0);
            }
        });
    }

    [LoggerMessage(EventId = 4300, Level = LogLevel.Warning, Message = "Refreshing the Ready list for recommendations failed; the previous list keeps serving")]
    private static partial void LogRefreshFailed(ILogger logger, Exception exception);
}

/// <summary>A user's recent events, newest first.</summary>
internal interface IUserHistorySource
{
    ValueTask<IReadOnlyList<StoredEvent>> RecentAsync(string userId, CancellationToken cancellationToken);
}

/// <summary>Reads the first rows of the user's partition in <c>RecUserEvents</c>, cached for <see cref="ServingOptions.HistoryCacheSeconds"/>.</summary>
internal sealed class TableUserHistory(EventStore store, IMemoryCache cache, IOptions<ServingOptions> options) : IUserHistorySource
{
    public async ValueTask<IReadOnlyList<StoredEvent>> RecentAsync(string userId, CancellationToken cancellationToken)
    {
        var seconds = options.Value.HistoryCacheSeconds;
        var key = "rec-history:" + userId;
        if (seconds > 0 && cache.TryGetValue(key, out IReadOnlyList<StoredEvent>? cached) && cached is not null)
        {
            return cached;
        }

        var events = await store.RecentAsync(userId, options.Value.HistoryDepth, cancellationToken).ConfigureAwait(false);
        if (seconds > 0)
        {
            cache.Set(key, events, TimeSpan.FromSeconds(seconds));
        }

        return events;
    }
}
