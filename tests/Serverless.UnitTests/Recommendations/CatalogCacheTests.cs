using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Serverless.Recommendations.Catalog;
using Serverless.Recommendations.Serving;
using Serverless.UnitTests.Playback;

namespace Serverless.UnitTests.Recommendations;

public sealed class CatalogCacheTests
{
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task GetAsync_ListExpired_AnswersWithPreviousListWhileOneRefreshRuns()
    {
        // Regression (issue 8, API load): every CatalogCacheSeconds one recommendations request waited for the whole
        // Ready index scan, and every request behind it waited on the gate: a latency spike every 30 s under load.
        var directory = new SlowDirectory();
        var time = new FakeTimeProvider(Start);
        using var cache = Cache(directory, time, seconds: 30);
        directory.Next.SetResult([Video("a")]);
        Assert.Single((await cache.GetAsync(default)).ById);

        directory.Next = new TaskCompletionSource<IReadOnlyList<CatalogVideo>>(TaskCreationOptions.RunContinuationsAsynchronously);
        time.Advance(TimeSpan.FromSeconds(31));
        var stale = await cache.GetAsync(default).AsTask().WaitAsync(TimeSpan.FromSeconds(5));
        var again = await cache.GetAsync(default).AsTask().WaitAsync(TimeSpan.FromSeconds(5));

        Assert.Equal(["a"], stale.ById.Keys);
        Assert.Same(stale, again);
        directory.Next.SetResult([Video("a"), Video("b")]);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while ((await cache.GetAsync(default)).ById.Count < 2)
        {
            Assert.True(DateTime.UtcNow < deadline, "the background refresh never landed");
            await Task.Delay(10);
        }

        Assert.Equal(2, directory.Calls);
    }

    [Fact]
    public async Task GetAsync_ListOlderThanTwiceTheCacheTime_WaitsForFreshList()
    {
        var directory = new SlowDirectory();
        var time = new FakeTimeProvider(Start);
        using var cache = Cache(directory, time, seconds: 30);
        directory.Next.SetResult([Video("a")]);
        await cache.GetAsync(default);

        directory.Next = new TaskCompletionSource<IReadOnlyList<CatalogVideo>>(TaskCreationOptions.RunContinuationsAsynchronously);
        time.Advance(TimeSpan.FromSeconds(61));
        var pending = cache.GetAsync(default).AsTask();
        await Task.Delay(50);
        Assert.False(pending.IsCompleted);
        directory.Next.SetResult([Video("a"), Video("b")]);
        Assert.Equal(2, (await pending.WaitAsync(TimeSpan.FromSeconds(5))).ById.Count);
    }

    [Fact]
    public async Task GetAsync_CacheTimeZero_ReadsEveryTime()
    {
        var directory = new SlowDirectory();
        using var cache = Cache(directory, new FakeTimeProvider(Start), seconds: 0);
        directory.Next.SetResult([Video("a")]);
        await cache.GetAsync(default);
        await cache.GetAsync(default);

        Assert.Equal(2, directory.Calls);
    }

    private static CatalogCache Cache(IVideoDirectory directory, TimeProvider time, int seconds)
    {
        var services = new ServiceCollection().AddSingleton(directory).BuildServiceProvider();
        return new CatalogCache(new VideoDirectoryAccessor(services), Options.Create(new ServingOptions { CatalogCacheSeconds = seconds }), time, NullLogger<CatalogCache>.Instance);
    }

    private static CatalogVideo Video(string id) => new(id, "owner", Start, 10);

    /// <summary>A directory whose listing completes when the test says so.</summary>
    private sealed class SlowDirectory : IVideoDirectory
    {
        private int _calls;

        public TaskCompletionSource<IReadOnlyList<CatalogVideo>> Next { get; set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Calls => Volatile.Read(ref _calls);

        public Task<IReadOnlyList<CatalogVideo>> ListReadyAsync(CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _calls);
            return Next.Task;
        }

        public Task<bool> ExistsAsync(string videoId, CancellationToken cancellationToken) => Task.FromResult(true);
    }
}
