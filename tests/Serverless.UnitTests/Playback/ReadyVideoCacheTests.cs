using Microsoft.Extensions.Options;
using Serverless.Playback;
using Serverless.Videos;

namespace Serverless.UnitTests.Playback;

public sealed class ReadyVideoCacheTests
{
    private const string VideoId = "0123456789abcdef0123456789abcdef";

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));
    private int _reads;

    [Fact]
    public async Task ReadyVideo_IsReadOncePerLifetime()
    {
        using var cache = Cache(seconds: 5);
        var row = Video(VideoStatus.Ready);

        await cache.GetAsync(VideoId, Read(row), default);
        await cache.GetAsync(VideoId, Read(row), default);
        _time.Advance(TimeSpan.FromSeconds(4.9));
        Assert.Same(row, await cache.GetAsync(VideoId, Read(row), default));
        Assert.Equal(1, _reads);

        _time.Advance(TimeSpan.FromSeconds(0.2));
        await cache.GetAsync(VideoId, Read(row), default);
        Assert.Equal(2, _reads);
    }

    [Theory]
    [InlineData(VideoStatus.Uploading)]
    [InlineData(VideoStatus.Processing)]
    [InlineData(VideoStatus.Failed)]
    [InlineData(VideoStatus.Deleted)]
    public async Task VideoNotReady_IsReadEveryTime(VideoStatus status)
    {
        using var cache = Cache(seconds: 5);

        await cache.GetAsync(VideoId, Read(Video(status)), default);
        await cache.GetAsync(VideoId, Read(Video(status)), default);

        Assert.Equal(2, _reads);
    }

    [Fact]
    public async Task UnknownVideo_IsReadEveryTime()
    {
        using var cache = Cache(seconds: 5);

        Assert.Null(await cache.GetAsync(VideoId, Read(null), default));
        Assert.Null(await cache.GetAsync(VideoId, Read(null), default));

        Assert.Equal(2, _reads);
    }

    [Fact]
    public async Task ChangeOnThisInstance_DropsTheRowAtOnce()
    {
        using var cache = Cache(seconds: 5);
        await cache.GetAsync(VideoId, Read(Video(VideoStatus.Ready)), default);

        cache.OnVideoChanged(VideoId);

        Assert.Equal(VideoStatus.Deleted, (await cache.GetAsync(VideoId, Read(Video(VideoStatus.Deleted)), default))!.Status);
        Assert.Equal(2, _reads);
    }

    [Fact]
    public async Task ReadRacingAChange_IsNotKept()
    {
        // A grant reads the row while it is still Ready, the owner deletes the video before that read returns: the stale
        // Ready row must not be cached after the delete dropped it.
        using var cache = Cache(seconds: 5);
        var release = new TaskCompletionSource();
        var slow = cache.GetAsync(VideoId, async (_, _) =>
        {
            _reads++;
            await release.Task;
            return Video(VideoStatus.Ready);
        }, default);

        cache.OnVideoChanged(VideoId);
        release.SetResult();
        Assert.Equal(VideoStatus.Ready, (await slow)!.Status);

        Assert.Equal(VideoStatus.Deleted, (await cache.GetAsync(VideoId, Read(Video(VideoStatus.Deleted)), default))!.Status);
        Assert.Equal(2, _reads);
    }

    [Fact]
    public async Task ZeroSeconds_ReadsEveryTime()
    {
        using var cache = Cache(seconds: 0);

        await cache.GetAsync(VideoId, Read(Video(VideoStatus.Ready)), default);
        await cache.GetAsync(VideoId, Read(Video(VideoStatus.Ready)), default);

        Assert.Equal(2, _reads);
    }

    /// <summary>The playlist routes' state: any row, at most the configured seconds (2 by default), dropped by a change at once.</summary>
    [Theory]
    [InlineData(VideoStatus.InReview)]
    [InlineData(VideoStatus.Ready)]
    [InlineData(VideoStatus.Rejected)]
    public async Task VideoState_AnyRowKeptTwoSecondsAtMost(VideoStatus status)
    {
        using var cache = new VideoStateCache(Options.Create(new PlaybackOptions()), _time);
        var row = Video(status);

        await cache.GetAsync(VideoId, Read(row), default);
        _time.Advance(TimeSpan.FromSeconds(1.9));
        Assert.Same(row, await cache.GetAsync(VideoId, Read(row), default));
        Assert.Equal(1, _reads);
        _time.Advance(TimeSpan.FromSeconds(0.1));
        await cache.GetAsync(VideoId, Read(row), default);
        Assert.Equal(2, _reads);

        cache.OnVideoChanged(VideoId);
        Assert.Equal(VideoStatus.Deleted, (await cache.GetAsync(VideoId, Read(Video(VideoStatus.Deleted)), default))!.Status);
        Assert.Equal(3, _reads);
    }

    private ReadyVideoCache Cache(int seconds) =>
        new(Options.Create(new PlaybackOptions { ReadyVideoCacheSeconds = seconds }), _time);

    private Func<string, CancellationToken, Task<VideoRecord?>> Read(VideoRecord? row) => (_, _) =>
    {
        _reads++;
        return Task.FromResult(row);
    };

    private VideoRecord Video(VideoStatus status) => new(
        VideoId, "alice", status, status.ToString(), 100, 2, 320, 180, [], null, "a.mp4", _time.GetUtcNow(), _time.GetUtcNow(), status == VideoStatus.Ready ? _time.GetUtcNow() : null);
}
