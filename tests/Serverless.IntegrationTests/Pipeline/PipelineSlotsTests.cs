using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Serverless.IntegrationTests.Infrastructure;
using Serverless.Pipeline;
using Serverless.Storage;
using Serverless.Videos;

namespace Serverless.IntegrationTests.Pipeline;

/// <summary>Admission slots on Azurite, one slot, no Durable worker: who holds it, who waits, who it is handed to.</summary>
public sealed class PipelineSlotsTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>, IAsyncLifetime
{
    private readonly FakeTime _time = new(DateTimeOffset.UtcNow);
    private WebApplicationFactory<Program> _app = null!;

    public Task InitializeAsync()
    {
        _app = new FunctionsAppFactory(azurite.ConnectionString, new Dictionary<string, string?>
            {
                ["LocalRuntime:Enabled"] = "false",
                ["Pipeline:MaxConcurrentVideos"] = "1",
            })
            .WithWebHostBuilder(b => b.ConfigureTestServices(s => s.AddSingleton<TimeProvider>(_time)));
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private PipelineSlots Slots => _app.Services.GetRequiredService<PipelineSlots>();

    [Fact]
    public async Task Release_HandsTheSlotToTheLongestWaitingVideo_InTheOrderTheyAsked()
    {
        var (a, b, c) = (await CreateUpload(), await CreateUpload(), await CreateUpload());
        Assert.True(await Slots.TryAcquireAsync(a, default));
        Assert.True(await Slots.TryAcquireAsync(a, default)); // it holds it already
        Assert.False(await Slots.TryAcquireAsync(b, default));
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.False(await Slots.TryAcquireAsync(c, default));
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.False(await Slots.TryAcquireAsync(b, default)); // asking again keeps its place
        Assert.Equal(PipelineSlots.Queued, (await Entry(b)).Video.Stage);

        Assert.Equal([b], await Slots.ReleaseAsync(a, default));

        // The slot is b's: c cannot take it in between, b finds it held for it.
        Assert.False(await Slots.TryAcquireAsync(c, default));
        Assert.False(await Slots.TryAcquireAsync(a, default));
        Assert.True(await Slots.TryAcquireAsync(b, default));

        Assert.Equal([c], await Slots.ReleaseAsync(b, default));
        Assert.True(await Slots.TryAcquireAsync(c, default));

        // a asked again after being released: it waits behind nobody and is handed c's slot; then nobody waits.
        Assert.Equal([a], await Slots.ReleaseAsync(c, default));
        Assert.Empty(await Slots.ReleaseAsync(a, default));
        Assert.Empty(await Slots.ReleaseAsync(a, default)); // idempotent
        Assert.True(await Slots.TryAcquireAsync(b, default));
    }

    [Fact]
    public async Task Release_PassesOverWaitersThatLeftThePipeline()
    {
        var (a, b, c) = (await CreateUpload(), await CreateUpload(), await CreateUpload());
        Assert.True(await Slots.TryAcquireAsync(a, default));
        Assert.False(await Slots.TryAcquireAsync(b, default));
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.False(await Slots.TryAcquireAsync(c, default));
        await _app.Services.GetRequiredService<VideoRepository>().UpdateAsync(
            b, e => e with { Video = e.Video with { Status = VideoStatus.Failed, Error = "gone" } }, default);

        Assert.Equal([c], await Slots.ReleaseAsync(a, default));
        Assert.True(await Slots.TryAcquireAsync(c, default));
        Assert.Empty(await Slots.ReleaseAsync(c, default));
    }

    [Fact]
    public async Task Acquire_SlotFreedWhileTheVideoLooks_IsNotLost()
    {
        var (a, b) = (await CreateUpload(), await CreateUpload());
        Assert.True(await Slots.TryAcquireAsync(a, default));

        // b reads the slot held by a; a frees it before b goes on. Recording b as a waiter only after that read let the
        // release find nobody waiting, and b slept until its fallback (30 s in a burst).
        string? handedTo = null;
        var hook = new InterferingTableStore(_app.Services.GetRequiredService<ITableStore>(), async () => handedTo = (await Slots.ReleaseAsync(a, default)).SingleOrDefault());
        var looking = ActivatorUtilities.CreateInstance<PipelineSlots>(_app.Services, hook);

        var acquired = await looking.TryAcquireAsync(b, default);

        Assert.True(acquired || handedTo == b, $"b neither took the freed slot nor was handed it (handed to: {handedTo ?? "nobody"})");
    }

    [Fact]
    public async Task Release_TwoSlotsFreedAtOnce_GoToTwoWaiters()
    {
        await using var app = new FunctionsAppFactory(azurite.ConnectionString, new Dictionary<string, string?>
        {
            ["LocalRuntime:Enabled"] = "false",
            ["Pipeline:MaxConcurrentVideos"] = "2",
        });
        var slots = app.Services.GetRequiredService<PipelineSlots>();
        var (a, b, w, x) = (await CreateUpload(app), await CreateUpload(app), await CreateUpload(app), await CreateUpload(app));
        Assert.True(await slots.TryAcquireAsync(a, default));
        Assert.True(await slots.TryAcquireAsync(b, default));
        Assert.False(await slots.TryAcquireAsync(w, default));
        Assert.False(await slots.TryAcquireAsync(x, default));

        // a and b finish together: b's release runs whole between a's reading of the waiters and its hand-over.
        IReadOnlyList<string> byB = [];
        var hook = new InterferingTableStore(app.Services.GetRequiredService<ITableStore>(), async () => byB = await slots.ReleaseAsync(b, default));
        var byA = await ActivatorUtilities.CreateInstance<PipelineSlots>(app.Services, hook).ReleaseAsync(a, default);

        Assert.Equal(new[] { w, x }.Order(StringComparer.Ordinal), byA.Concat(byB).Order(StringComparer.Ordinal));
        Assert.True(await slots.TryAcquireAsync(w, default));
        Assert.True(await slots.TryAcquireAsync(x, default));
    }

    [Fact]
    public async Task Release_DiedAfterClaimingItsWaiter_TheWaiterIsHandedTheNextSlot()
    {
        var (a, w) = (await CreateUpload(), await CreateUpload());
        Assert.True(await Slots.TryAcquireAsync(a, default));
        Assert.False(await Slots.TryAcquireAsync(w, default));

        // a's release claims w, then dies before handing it the slot (the second replace of a slots row).
        var dying = ActivatorUtilities.CreateInstance<PipelineSlots>(_app.Services, new InterferingTableStore(_app.Services.GetRequiredService<ITableStore>(), null, failReplace: 2));
        await Assert.ThrowsAsync<StorageUnavailableException>(() => dying.ReleaseAsync(a, default));

        // Its activity runs again later: the dead release's claim has lapsed, and w still gets the slot.
        _time.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal([w], await Slots.ReleaseAsync(a, default));
        Assert.True(await Slots.TryAcquireAsync(w, default));
    }

    [Fact]
    public async Task Revoke_FreesAGrantNobodyCouldBeTold()
    {
        var (a, b, c) = (await CreateUpload(), await CreateUpload(), await CreateUpload());
        Assert.True(await Slots.TryAcquireAsync(a, default));
        Assert.False(await Slots.TryAcquireAsync(b, default));
        Assert.Equal([b], await Slots.ReleaseAsync(a, default));

        await Slots.RevokeAsync(b, default);
        Assert.True(await Slots.TryAcquireAsync(c, default));
    }

    /// <summary>
    /// The app's table store, running <paramref name="interlude"/> once, just after the first read of the slots table, and
    /// failing the <paramref name="failReplace"/>-th replace of a slots row (0: none), as an instance dying mid-release would.
    /// </summary>
    private sealed class InterferingTableStore(ITableStore inner, Func<Task>? interlude, int failReplace = 0) : ITableStore
    {
        private Func<Task>? _interlude = interlude;
        private int _replaces;

        public async Task<TableRow?> GetAsync(string table, string partitionKey, string rowKey, CancellationToken cancellationToken)
        {
            var row = await inner.GetAsync(table, partitionKey, rowKey, cancellationToken);
            await InterludeAsync(table);
            return row;
        }

        public async IAsyncEnumerable<TableRow> QueryAsync(string table, string? filter, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
        {
            var rows = new List<TableRow>();
            await foreach (var row in inner.QueryAsync(table, filter, cancellationToken))
            {
                rows.Add(row);
            }

            await InterludeAsync(table);
            foreach (var row in rows)
            {
                yield return row;
            }
        }

        private async Task InterludeAsync(string table)
        {
            if (table == PipelineSlots.Table && Interlocked.Exchange(ref _interlude, null) is { } run)
            {
                await run();
            }
        }

        public Task<string> InsertAsync(string table, TableRow row, CancellationToken cancellationToken) => inner.InsertAsync(table, row, cancellationToken);

        public Task<string> ReplaceAsync(string table, TableRow row, CancellationToken cancellationToken) =>
            table == PipelineSlots.Table && Interlocked.Increment(ref _replaces) == failReplace
                ? throw new StorageUnavailableException("the instance died here")
                : inner.ReplaceAsync(table, row, cancellationToken);

        public Task<string> UpsertAsync(string table, TableRow row, CancellationToken cancellationToken) => inner.UpsertAsync(table, row, cancellationToken);

        public Task DeleteAsync(string table, string partitionKey, string rowKey, string? eTag, CancellationToken cancellationToken) =>
            inner.DeleteAsync(table, partitionKey, rowKey, eTag, cancellationToken);

        public Task UpsertBatchAsync(string table, IReadOnlyList<TableRow> rows, CancellationToken cancellationToken) => inner.UpsertBatchAsync(table, rows, cancellationToken);

        public Task InsertBatchAsync(string table, IReadOnlyList<TableRow> rows, CancellationToken cancellationToken) => inner.InsertBatchAsync(table, rows, cancellationToken);

        public Task<TablePage> QueryPageAsync(string table, string? filter, int take, string? continuationToken, CancellationToken cancellationToken) =>
            inner.QueryPageAsync(table, filter, take, continuationToken, cancellationToken);

    }

    private Task<string> CreateUpload() => CreateUpload(_app);

    private static async Task<string> CreateUpload(WebApplicationFactory<Program> app)
    {
        var client = app.CreateClient().As("slots");
        var response = await client.PostAsJsonAsync("/api/uploads", new { fileName = "a.mp4", contentType = "video/mp4", sizeBytes = 4 });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("videoId").GetString()!;
    }

    private async Task<VideoEntry> Entry(string videoId) =>
        (await _app.Services.GetRequiredService<VideoRepository>().GetEntryAsync(videoId, default))!;
}
