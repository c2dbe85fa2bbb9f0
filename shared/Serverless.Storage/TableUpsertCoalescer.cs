using System.Collections.Concurrent;

namespace Serverless.Storage;

/// <summary>
/// Group commit for idempotent upserts: callers writing rows of the same table partition at the same time share
/// entity-group transactions (up to 100 rows each) instead of sending one each, so a burst of small writes costs storage
/// a few transactions rather than one per caller. Nobody waits for a timer: a caller finding nothing in flight for its
/// partition is sent at once; callers arriving while a transaction is in flight are sent together right after it.
/// A caller's task completes when every transaction holding its rows is committed, or fails with the first error
/// among them (its rows may then be partly stored; upserts make the retry safe). Rows with the same keys never share a
/// transaction (storage refuses that); they go in order, one transaction after the other.
/// </summary>
public sealed class TableUpsertCoalescer(ITableStore tables)
{
    /// <summary>Most rows in one entity-group transaction.</summary>
    public const int MaxBatch = 100;

    private readonly ConcurrentDictionary<(string Table, string Partition), Lane> _lanes = new();

    /// <summary>
    /// Upserts <paramref name="rows"/> (any partitions, any number) through the shared transactions of their partitions,
    /// one partition after another (rows spread over many partitions stay a bounded load on storage).
    /// </summary>
    public async Task UpsertAsync(string table, IReadOnlyList<TableRow> rows, CancellationToken cancellationToken)
    {
        foreach (var partition in rows.GroupBy(r => r.PartitionKey, StringComparer.Ordinal))
        {
            foreach (var chunk in partition.Chunk(MaxBatch))
            {
                await Enqueue(table, partition.Key, chunk).WaitAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private Task Enqueue(string table, string partition, TableRow[] rows)
    {
        var pending = new Pending(rows, StorageCallScope.IsInteractive);
        var key = (table, partition);
        var lane = _lanes.GetOrAdd(key, _ => new Lane());
        bool start;
        lock (lane)
        {
            lane.Queue.Enqueue(pending);
            start = !lane.Busy;
            lane.Busy = true;
        }

        if (start)
        {
            // The drain outlives this caller: it must not run inside the caller's context (its request's activity,
            // logging scopes); each transaction sets the one thing that matters, the retry budget, itself.
            using (ExecutionContext.SuppressFlow())
            {
                _ = Task.Run(() => DrainAsync(table, key, lane));
            }
        }

        return pending.Done.Task;
    }

    /// <summary>Sends the lane's queued rows, a transaction at a time, until the queue is empty.</summary>
    private async Task DrainAsync(string table, (string Table, string Partition) key, Lane lane)
    {
        while (true)
        {
            var group = new List<Pending>();
            var rows = new List<TableRow>();
            lock (lane)
            {
                var keys = new HashSet<string>(StringComparer.Ordinal);
                while (lane.Queue.TryPeek(out var next)
                    && rows.Count + next.Rows.Length <= MaxBatch
                    && next.Rows.All(r => !keys.Contains(r.RowKey)))
                {
                    lane.Queue.Dequeue();
                    group.Add(next);
                    rows.AddRange(next.Rows);
                    keys.UnionWith(next.Rows.Select(r => r.RowKey));
                }

                if (group.Count == 0)
                {
                    // Idle: forget the lane (a caller that already holds it starts a new drain on it, which is as correct).
                    lane.Busy = false;
                    _lanes.TryRemove(KeyValuePair.Create(key, lane));
                    return;
                }
            }

            // Callers serving an HTTP request fail fast in an outage (StorageCallScope); a transaction carrying any of
            // their rows does too.
            using var interactive = group.Exists(p => p.Interactive) ? StorageCallScope.BeginInteractive() : null;
            try
            {
                // Not cancelled by any one caller: the transaction carries other callers' rows too.
                await tables.UpsertBatchAsync(table, rows, CancellationToken.None).ConfigureAwait(false);
                group.ForEach(p => p.Done.TrySetResult());
            }
            catch (Exception ex)
            {
                group.ForEach(p => p.Done.TrySetException(ex));
            }
        }
    }

    private sealed class Lane
    {
        public Queue<Pending> Queue { get; } = new();

        public bool Busy { get; set; }
    }

    private sealed class Pending(TableRow[] rows, bool interactive)
    {
        public TableRow[] Rows { get; } = rows;

        public bool Interactive { get; } = interactive;

        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
