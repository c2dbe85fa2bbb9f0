using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using Serverless.Videos;

namespace Serverless.Playback;

/// <summary>
/// Videos' catalog rows kept for a short while so that a popular video's requests do not each cost a storage read. Which rows
/// are kept, and how long, is the subclass's. A change on this instance drops the row at once
/// (<see cref="IVideoChangeObserver"/>); another instance's change is seen here within the lifetime.
/// </summary>
internal abstract class VideoRowCache : IVideoChangeObserver, IDisposable
{
    private readonly MemoryCache _rows;
    private readonly TimeSpan _lifetime;
    private readonly TimeProvider _time;

    // Bumped by every change on this instance: a read that raced with a change does not store what it read (it may
    // predate the change), so a delete can never be undone by a slow request filling the cache after it.
    private long _generation;

    protected VideoRowCache(TimeSpan lifetime, int entries, TimeProvider time)
    {
        _lifetime = lifetime;
        _time = time;
        _rows = new MemoryCache(new MemoryCacheOptions { SizeLimit = entries });
    }

    /// <summary>The video's row: from the cache when it was read a moment ago (and kept), otherwise read through <paramref name="read"/>.</summary>
    public async Task<VideoRecord?> GetAsync(string videoId, Func<string, CancellationToken, Task<VideoRecord?>> read, CancellationToken cancellationToken)
    {
        // The entry carries its own expiry on the app's clock (tests move it); the cache's own expiry only frees memory.
        if (_lifetime > TimeSpan.Zero && _rows.TryGetValue(videoId, out Entry? cached) && cached is not null && _time.GetUtcNow() < cached.Until)
        {
            return cached.Video;
        }

        var generation = Interlocked.Read(ref _generation);
        var video = await read(videoId, cancellationToken).ConfigureAwait(false);
        if (_lifetime > TimeSpan.Zero && video is not null && Keeps(video) && Interlocked.Read(ref _generation) == generation)
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

    /// <summary>Whether a row read may be kept.</summary>
    protected abstract bool Keeps(VideoRecord video);

    private sealed record Entry(VideoRecord Video, DateTimeOffset Until);
}

/// <summary>
/// Ready videos' catalog rows, kept for <see cref="PlaybackOptions.ReadyVideoCacheSeconds"/> so that a popular video's
/// playback grants do not each cost a storage read. Only Ready rows are kept: a video that is not Ready yet is read
/// every time (it becomes playable the moment it is published), and Ready is left only by a delete or a reprocess,
/// which on this instance drop the row at once (<see cref="IVideoChangeObserver"/>); another instance's delete is seen
/// here within the cache lifetime. The playlists of a grant made meanwhile stop within <see cref="VideoStateCache"/>'s
/// lifetime, and the deleted media behind them at once.
/// </summary>
internal sealed class ReadyVideoCache(IOptions<PlaybackOptions> options, TimeProvider time)
    : VideoRowCache(TimeSpan.FromSeconds(options.Value.ReadyVideoCacheSeconds), options.Value.ReadyVideoCacheEntries, time)
{
    protected override bool Keeps(VideoRecord video) => video.Status == VideoStatus.Ready;
}

/// <summary>
/// The state the playlist routes check at each request (whether the video may still be played, and by whom), kept at most
/// <see cref="PlaybackOptions.VideoStateCacheSeconds"/> (2 s): a rejection, a failure or a delete stops every playlist of the
/// video within that time on any instance, at once on the instance that made it.
/// </summary>
internal sealed class VideoStateCache(IOptions<PlaybackOptions> options, TimeProvider time)
    : VideoRowCache(TimeSpan.FromSeconds(options.Value.VideoStateCacheSeconds), options.Value.ReadyVideoCacheEntries, time)
{
    protected override bool Keeps(VideoRecord video) => true;
}
