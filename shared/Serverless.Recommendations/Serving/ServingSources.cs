using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using Serverless.Recommendations.Catalog;
using Serverless.Recommendations.Events;

namespace Serverless.Recommendations.Serving;

/// <summary>The Ready videos, indexed for serving.</summary>
internal sealed class CatalogState(IReadOnlyList<CatalogVideo> videos, DateTimeOffset fetchedAt)
{
    public IReadOnlyDictionary<string, CatalogVideo> ById { get; } = videos.GroupBy(v => v.VideoId, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);

    /// <summary>Newest upload first (ties by id).</summary>
    public CatalogVideo[] NewestFirst { get; } = [.. videos.OrderByDescending(v => v.CreatedAt).ThenBy(v => v.VideoId, StringComparer.Ordinal)];

    public DateTimeOffset FetchedAt { get; } = fetchedAt;
}

/// <summary>The Ready list, refreshed at most every <see cref="ServingOptions.CatalogCacheSeconds"/>.</summary>
internal sealed class CatalogCache(VideoDirectoryAccessor directory, IOptions<ServingOptions> options, TimeProvider time) : IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private volatile CatalogState? _state;

    public async ValueTask<CatalogState> GetAsync(CancellationToken cancellationToken)
    {
        var state = _state;
        var now = time.GetUtcNow();
        if (state is not null && now - state.FetchedAt < TimeSpan.FromSeconds(options.Value.CatalogCacheSeconds))
        {
            return state;
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            state = _state;
            if (state is not null && now - state.FetchedAt < TimeSpan.FromSeconds(options.Value.CatalogCacheSeconds))
            {
                return state;
            }

            var videos = await directory.Directory.ListReadyAsync(cancellationToken).ConfigureAwait(false);
            _state = state = new CatalogState(videos, time.GetUtcNow());
            return state;
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose() => _gate.Dispose();
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
