using Serverless.Storage;

namespace Serverless.UnitTests.Storage;

public sealed class TableUpsertCoalescerTests
{
    private readonly GatedTables _tables = new();

    [Fact]
    public async Task NothingInFlight_SentAtOnce()
    {
        var coalescer = new TableUpsertCoalescer(_tables);
        _tables.Open();

        await coalescer.UpsertAsync("T", Rows("p", "a", 3), default);

        Assert.Equal(["p:a0,a1,a2"], _tables.Sent);
    }

    [Fact]
    public async Task CallersArrivingDuringATransaction_ShareTheNextOne()
    {
        var coalescer = new TableUpsertCoalescer(_tables);
        var first = coalescer.UpsertAsync("T", Rows("p", "a", 2), default);
        await _tables.WaitForCallsAsync(1);

        var second = coalescer.UpsertAsync("T", Rows("p", "b", 2), default);
        var third = coalescer.UpsertAsync("T", Rows("p", "c", 2), default);
        Assert.False(second.IsCompleted);
        _tables.Open();
        await Task.WhenAll(first, second, third);

        Assert.Equal(["p:a0,a1", "p:b0,b1,c0,c1"], _tables.Sent);
    }

    [Fact]
    public async Task NoTransactionExceedsOneHundredRows_AndACallerCompletesWithItsLastOne()
    {
        var coalescer = new TableUpsertCoalescer(_tables);
        var first = coalescer.UpsertAsync("T", Rows("p", "a", 1), default);
        await _tables.WaitForCallsAsync(1);
        var callers = Enumerable.Range(0, 5).Select(i => coalescer.UpsertAsync("T", Rows("p", $"c{i}-", 30), default)).ToList();
        var big = coalescer.UpsertAsync("T", Rows("p", "big", 150), default);

        _tables.Open();
        await Task.WhenAll(callers.Append(first).Append(big));

        Assert.All(_tables.Batches, b => Assert.InRange(b.Count, 1, TableUpsertCoalescer.MaxBatch));
        Assert.Equal(1 + 150 + 150, _tables.Batches.Sum(b => b.Count));
        Assert.Equal(_tables.Batches.Sum(b => b.Count), _tables.Batches.SelectMany(b => b).Select(r => r.RowKey).Distinct().Count());
        Assert.Equal([1, 90, 60, 100, 50], _tables.Batches.Select(b => b.Count));
    }

    [Fact]
    public async Task SameRowKeys_NeverInOneTransaction()
    {
        // A client resending a batch while its first send is still queued: storage refuses a transaction naming a row twice.
        var coalescer = new TableUpsertCoalescer(_tables);
        var first = coalescer.UpsertAsync("T", Rows("p", "x", 1), default);
        await _tables.WaitForCallsAsync(1);
        var original = coalescer.UpsertAsync("T", Rows("p", "a", 2), default);
        var resent = coalescer.UpsertAsync("T", Rows("p", "a", 2), default);

        _tables.Open();
        await Task.WhenAll(first, original, resent);

        Assert.Equal(["p:x0", "p:a0,a1", "p:a0,a1"], _tables.Sent);
    }

    [Fact]
    public async Task FailedTransaction_FailsItsCallersOnly()
    {
        var coalescer = new TableUpsertCoalescer(_tables);
        var first = coalescer.UpsertAsync("T", Rows("p", "a", 1), default);
        await _tables.WaitForCallsAsync(1);
        var second = coalescer.UpsertAsync("T", Rows("p", "b", 1), default);
        var third = coalescer.UpsertAsync("T", Rows("p", "c", 1), default);
        _tables.FailNext = new StorageUnavailableException("storage is down", new IOException("refused"));

        _tables.Open();

        await first;
        await Assert.ThrowsAsync<StorageUnavailableException>(() => second);
        await Assert.ThrowsAsync<StorageUnavailableException>(() => third);
        await coalescer.UpsertAsync("T", Rows("p", "d", 1), default);
        Assert.Equal("p:d0", _tables.Sent[^1]);
    }

    [Fact]
    public async Task Partitions_AreSeparateTransactions_OneAfterAnotherPerCaller()
    {
        var coalescer = new TableUpsertCoalescer(_tables);
        _tables.Open();

        await coalescer.UpsertAsync("T", [.. Rows("h1", "a", 2), .. Rows("h2", "a", 1)], default);

        Assert.Equal(["h1:a0,a1", "h2:a0"], _tables.Sent);
    }

    [Fact]
    public async Task CallerCancelled_OthersStillCommitted()
    {
        var coalescer = new TableUpsertCoalescer(_tables);
        var first = coalescer.UpsertAsync("T", Rows("p", "a", 1), default);
        await _tables.WaitForCallsAsync(1);
        using var cancel = new CancellationTokenSource();
        var cancelled = coalescer.UpsertAsync("T", Rows("p", "b", 1), cancel.Token);
        var other = coalescer.UpsertAsync("T", Rows("p", "c", 1), default);

        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        _tables.Open();
        await Task.WhenAll(first, other);

        Assert.Equal(["p:a0", "p:b0,c0"], _tables.Sent);
    }

    private static List<TableRow> Rows(string partition, string prefix, int count) =>
        [.. Enumerable.Range(0, count).Select(i => new TableRow(partition, prefix + i, new Dictionary<string, object?>()))];

    /// <summary>Records every batch; holds them all until <see cref="Open"/>.</summary>
    private sealed class GatedTables : ITableStore
    {
        private readonly TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly SemaphoreSlim _calls = new(0);

        public List<IReadOnlyList<TableRow>> Batches { get; } = [];

        public List<string> Sent => [.. Batches.Select(b => b[0].PartitionKey + ":" + string.Join(",", b.Select(r => r.RowKey)))];

        public Exception? FailNext { get; set; }

        public void Open() => _open.TrySetResult();

        public async Task WaitForCallsAsync(int count)
        {
            for (var i = 0; i < count; i++)
            {
                Assert.True(await _calls.WaitAsync(TimeSpan.FromSeconds(10)), "no batch was sent");
            }
        }

        public async Task UpsertBatchAsync(string table, IReadOnlyList<TableRow> rows, CancellationToken cancellationToken)
        {
            lock (Batches)
            {
                Batches.Add([.. rows]);
            }

            _calls.Release();
            await _open.Task;
            if (FailNext is { } failure && rows[0].RowKey != "a0")
            {
                FailNext = null;
                throw failure;
            }
        }

        public Task<TableRow?> GetAsync(string table, string partitionKey, string rowKey, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<string> InsertAsync(string table, TableRow row, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<string> ReplaceAsync(string table, TableRow row, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<string> UpsertAsync(string table, TableRow row, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task DeleteAsync(string table, string partitionKey, string rowKey, string? eTag, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task InsertBatchAsync(string table, IReadOnlyList<TableRow> rows, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<TablePage> QueryPageAsync(string table, string? filter, int take, string? continuationToken, CancellationToken cancellationToken) => throw new NotSupportedException();

        public IAsyncEnumerable<TableRow> QueryAsync(string table, string? filter, CancellationToken cancellationToken) => throw new NotSupportedException();
    }
}
