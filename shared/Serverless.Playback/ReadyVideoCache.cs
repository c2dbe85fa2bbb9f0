using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using Serverless.Pipeline;

namespace Serverless.Playback;

/// <summary>
/// Ready videos' catalog rows, kept for <see cref="PlaybackOptions.ReadyVideoCacheSeconds"/> so that a popular video's
/// playback grants do not each cost a storage read. Only Ready rows are kept: a video that is not Ready yet is read
/// every time (it becomes playable the moment it is published), and Ready is left only by a delete or a reprocess,
/// which on this instance drop the row at once (<see cref="IVideoChangeObserver"/>); another instance's delete is seen
/// here within the cache lifetime. That is the same promise a grant already makes (the playlists of a token issued just
/// before a delete keep answering until they expire; the deleted media behind them does not).
/// </summary>
internal sealed class ReadyVideoCache : IVideoChangeObserver, IDisposable
{
    private readonly MemoryCache _rows;
    private readonly TimeSpan _lifetime;
    private readonly TimeProvider _time;

    // Bumped by every change on this instance: a read that raced with a change does not store what it read (it may
    // predate the change), so a delete can never be undone by a slow grant filling the cache after it.
    private long _generation;

    public ReadyVideoCache(IOptions<PlaybackOptions> options, TimeProvider time)
    {
        _lifetime = TimeSpan.FromSeconds(options.Value.ReadyVideoCacheSeconds);
        _time = time;
        _rows = new MemoryCache(new MemoryCacheOptions { SizeLimit = options.Value.ReadyVideoCacheEntries });
    }

    /// <summary>The video's row: from the cache when it was Ready a moment ago, otherwise read through <paramref name="read"/>.</summary>
    public async Task<VideoRecord?> GetAsync(string videoId, Func<string, CancellationToken, Task<VideoRecord?>> read, CancellationToken cancellationToken)
    {
        // The entry carries its own expiry on the app's clock (tests move it); the cache's own expiry only frees memory.
        if (_lifetime > TimeSpan.Zero && _rows.TryGetValue(videoId, out Entry? cached) && cached is not null && _time.GetUtcNow() < cached.Until)
        {
            return cached.Video;
        }

        var generation = Interlocked.Read(ref _generation);
        var video = await read(videoId, cancellationToken).ConfigureAwait(false);
        if (_lifetime > TimeSpan.Zero && video is { Status: VideoStatus.Ready } && Interlocked.Read(ref _generation) == generation)
        {
            _rows.Set(videoId, new Entry(video, _time.GetUtcNow() + _lifetime), new MemoryCacheEntryOptions { AbsoluteExpirationRelativeToNow = _lifetime, Size = 1 });
        }

        return video;
    }

    public void OnVideoChanged(string videoId)
    {
        Interlocked.Increment(ref _generation);
        _rows.Remove(videoId);
    }

    public void Dispose() => _rows.Dispose();

    private sealed record Entry(VideoRecord Video, DateTimeOffset Until);
}
