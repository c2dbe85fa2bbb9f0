using System.Globalization;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Serverless.Storage;
using Serverless.Videos;

namespace Serverless.Pipeline;

/// <summary>
/// Admission to the pipeline: at most <c>Pipeline__MaxConcurrentVideos</c> videos are processed at once across the app's
/// instances; the others wait before their probe. The activities' work-item queue is first in, first out, so without it a
/// burst would queue every video's transcode ahead of the first video's packaging and publish, and all of them would be
/// Ready together at the end; with it, a video once admitted runs to its end while later uploads wait, and the first
/// uploads of a burst are Ready first.
/// <para>
/// A slot is a row of <see cref="Table"/>, claimed with its ETag. A video asking for one is recorded as a waiter first (a
/// row of its own, with the time it first asked, removed once it holds a slot); one that finds every slot held stays
/// recorded and its orchestration waits for <see cref="GrantedEvent"/>. A
/// video that frees its slot hands it to the longest-waiting video still in the pipeline (the slot row names it as the
/// holder before the event is raised), so a freed slot is taken within one event delivery, and waiting costs no work: no
/// waiter polls. The orchestration still asks again after <see cref="FallbackWait"/>, in case a grant was never delivered.
/// A slot whose holder is no longer in the pipeline (Ready, Failed, Deleted, gone) is free again, so a slot cannot leak.
/// </para>
/// </summary>
internal sealed partial class PipelineSlots(
    ITableStore tables,
    VideoRepository videos,
    IOptions<PipelineOptions> options,
    PipelineScope scope,
    TimeProvider time,
    ILogger<PipelineSlots> logger)
{
    public const string Table = "PipelineSlots";

    /// <summary>The external event a waiting orchestration is raised when a slot was handed to it.</summary>
    public const string GrantedEvent = "SlotGranted";

    /// <summary>How long a waiting orchestration waits for its grant before it asks for a slot again.</summary>
    public static readonly TimeSpan FallbackWait = TimeSpan.FromSeconds(30);

    /// <summary>The stage a video shows while it waits for a slot.</summary>
    public const string Queued = "Queued";

    private const string SlotPrefix = "";
    private const string WaiterPrefix = "wait-";
    private const string Holder = "Holder";
    private const string Since = "Since";
    private const string ClaimedAt = "ClaimedAt";

    /// <summary>How long a release's claim on a waiter holds: a release that died between its claim and its hand-over does not keep the waiter out of line.</summary>
    private static readonly TimeSpan ClaimLifetime = TimeSpan.FromMinutes(1);

    /// <summary>The slots of this app's task hub (apps on other hubs of the same account have their own).</summary>
    private string Partition => scope.Name;

    /// <summary>
    /// Claims a slot for the video (or finds the one it holds or was handed); false when every slot is held by another video,
    /// in which case the video is recorded as waiting.
    /// </summary>
    public async Task<bool> TryAcquireAsync(string videoId, CancellationToken cancellationToken)
    {
        // Recorded as waiting before the slots are read: a holder freeing its slot meanwhile either finds this video among the
        // waiters and hands it the slot, or freed it before the read below, which then finds it free. Recorded after the read,
        // a slot freed in between went to nobody and the video slept until its fallback.
        await RecordWaiterAsync(videoId, cancellationToken).ConfigureAwait(false);
        var count = options.Value.MaxConcurrentVideos;
        var rows = new List<(string Key, TableRow? Row)>();
        for (var i = 0; i < count; i++)
        {
            var key = SlotKey(i);
            var row = await tables.GetAsync(Table, Partition, key, cancellationToken).ConfigureAwait(false);
            if (row?.GetString(Holder) == videoId)
            {
                await StopWaitingAsync(videoId, cancellationToken).ConfigureAwait(false);
                return true;
            }

            rows.Add((key, row));
        }

        foreach (var (key, row) in rows)
        {
            var holder = row?.GetString(Holder);
            if (holder is { Length: > 0 } && await StillInPipelineAsync(holder, cancellationToken).ConfigureAwait(false))
            {
                continue;
            }

            if (await TryClaimAsync(key, row, videoId, cancellationToken).ConfigureAwait(false))
            {
                if (holder is { Length: > 0 })
                {
                    LogReclaimed(key, holder, videoId);
                }

                await StopWaitingAsync(videoId, cancellationToken).ConfigureAwait(false);
                return true;
            }
        }

        await videos.UpdateAsync(
            videoId,
            e => e.Video.Status == VideoStatus.Uploading && e.Video.Stage != Queued ? e with { Video = e.Video with { Stage = Queued } } : null,
            cancellationToken).ConfigureAwait(false);
        return false;
    }

    /// <summary>
    /// Frees the video's slots (idempotent; it may hold two after asking while another was handed to it), handing each to the
    /// longest-waiting video still in the pipeline. Returns the videos handed one (each to be raised <see cref="GrantedEvent"/>).
    /// <para>
    /// A waiter is claimed (its row marked, with its ETag, for <see cref="ClaimLifetime"/>) before a slot is handed to it: two videos freeing their slots at
    /// once both see the same waiters, and without the claim both handed theirs to the first, while the second slept until
    /// its fallback.
    /// </para>
    /// </summary>
    public async Task<IReadOnlyList<string>> ReleaseAsync(string videoId, CancellationToken cancellationToken)
    {
        var held = new List<TableRow>();
        var waiters = new List<TableRow>();

        // Every slot row there is, not only the first MaxConcurrentVideos: the setting may have been lowered meanwhile.
        await foreach (var row in tables.QueryAsync(Table, $"PartitionKey eq '{Partition}'", cancellationToken).ConfigureAwait(false))
        {
            if (row.RowKey.StartsWith(WaiterPrefix, StringComparison.Ordinal))
            {
                if (row.GetDateTimeOffset(ClaimedAt) is not { } claimed || claimed < time.GetUtcNow() - ClaimLifetime)
                {
                    waiters.Add(row);
                }
            }
            else if (row.GetString(Holder) == videoId)
            {
                held.Add(row);
            }
        }

        var granted = new List<string>();
        var queue = new Queue<TableRow>(waiters.OrderBy(w => w.GetDateTimeOffset(Since) ?? DateTimeOffset.MinValue).ThenBy(w => w.RowKey, StringComparer.Ordinal));
        foreach (var row in held)
        {
            // A slot above the current count is not handed on: it goes out of use.
            var next = IsInUse(row.RowKey) ? await ClaimNextWaiterAsync(queue, cancellationToken).ConfigureAwait(false) : null;
            if (await TryReplaceHolderAsync(row, next?.VideoId ?? string.Empty, cancellationToken).ConfigureAwait(false))
            {
                if (next is not null)
                {
                    await StopWaitingAsync(next.Value.VideoId, cancellationToken).ConfigureAwait(false);
                    granted.Add(next.Value.VideoId);
                }
            }
            else if (next is { } unlucky)
            {
                // The slot was reclaimed meanwhile: the claimed waiter keeps its place in the line.
                await UnclaimAsync(unlucky.Row, cancellationToken).ConfigureAwait(false);
            }
        }

        return granted;
    }

    /// <summary>
    /// Frees the video's slots and tells each video one was handed to (<see cref="GrantedEvent"/>). A grant that cannot be
    /// delivered is taken back, and the waiters' fallback finds the free slot.
    /// </summary>
    public async Task ReleaseAndHandOverAsync(string videoId, DurableTaskClient durable, CancellationToken cancellationToken)
    {
        foreach (var next in await ReleaseAsync(videoId, cancellationToken).ConfigureAwait(false))
        {
            try
            {
                await durable.RaiseEventAsync(next, GrantedEvent, true, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogGrantUndelivered(next, ex.Message);
                await RevokeAsync(next, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Takes back a grant whose orchestration could not be told (it no longer exists): the slot is free again.</summary>
    public async Task RevokeAsync(string videoId, CancellationToken cancellationToken)
    {
        await foreach (var row in tables.QueryAsync(Table, $"PartitionKey eq '{Partition}'", cancellationToken).ConfigureAwait(false))
        {
            if (!row.RowKey.StartsWith(WaiterPrefix, StringComparison.Ordinal) && row.GetString(Holder) == videoId)
            {
                await TryReplaceHolderAsync(row, string.Empty, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private static string SlotKey(int index) => SlotPrefix + index.ToString("D3", CultureInfo.InvariantCulture);

    private bool IsInUse(string slotKey) =>
        int.TryParse(slotKey.AsSpan(SlotPrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var index)
        && index < options.Value.MaxConcurrentVideos;

    /// <summary>
    /// Claims the first waiter still waiting to be processed that no other release claimed first; waiters that left the
    /// pipeline meanwhile are dropped.
    /// </summary>
    private async Task<(string VideoId, TableRow Row)?> ClaimNextWaiterAsync(Queue<TableRow> queue, CancellationToken cancellationToken)
    {
        while (queue.TryDequeue(out var row))
        {
            var candidate = row.RowKey[WaiterPrefix.Length..];
            if (!await StillInPipelineAsync(candidate, cancellationToken).ConfigureAwait(false))
            {
                await StopWaitingAsync(candidate, cancellationToken).ConfigureAwait(false);
                continue;
            }

            var claimed = new TableRow(Partition, row.RowKey, new Dictionary<string, object?> { [Since] = row.GetDateTimeOffset(Since), [ClaimedAt] = time.GetUtcNow() }, row.ETag);
            try
            {
                var eTag = await tables.ReplaceAsync(Table, claimed, cancellationToken).ConfigureAwait(false);
                return (candidate, claimed with { ETag = eTag });
            }
            catch (Exception ex) when (ex is StoragePreconditionFailedException or StorageNotFoundException)
            {
                // Another release claimed it (or handed it a slot) first.
            }
        }

        return null;
    }

    private async Task UnclaimAsync(TableRow claimed, CancellationToken cancellationToken)
    {
        try
        {
            await tables.ReplaceAsync(
                Table, new TableRow(Partition, claimed.RowKey, new Dictionary<string, object?> { [Since] = claimed.GetDateTimeOffset(Since) }, claimed.ETag), cancellationToken)
                .ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is StoragePreconditionFailedException or StorageNotFoundException)
        {
            // It stopped waiting meanwhile.
        }
    }

    private async Task<bool> TryClaimAsync(string key, TableRow? row, string videoId, CancellationToken cancellationToken)
    {
        var claim = new TableRow(Partition, key, new Dictionary<string, object?> { [Holder] = videoId }, row?.ETag);
        try
        {
            if (row is null)
            {
                await tables.InsertAsync(Table, claim, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await tables.ReplaceAsync(Table, claim, cancellationToken).ConfigureAwait(false);
            }

            return true;
        }
        catch (Exception ex) when (ex is StorageConflictException or StoragePreconditionFailedException)
        {
            // Another video took it first.
            return false;
        }
    }

    private async Task<bool> TryReplaceHolderAsync(TableRow row, string holder, CancellationToken cancellationToken)
    {
        try
        {
            await tables.ReplaceAsync(Table, new TableRow(Partition, row.RowKey, new Dictionary<string, object?> { [Holder] = holder }, row.ETag), cancellationToken)
                .ConfigureAwait(false);
            return true;
        }
        catch (StoragePreconditionFailedException)
        {
            // Reclaimed by another video already.
            return false;
        }
    }

    private async Task RecordWaiterAsync(string videoId, CancellationToken cancellationToken)
    {
        try
        {
            // The first time it asked is its place in the queue: asking again keeps it.
            var waiter = new TableRow(Partition, WaiterPrefix + videoId, new Dictionary<string, object?> { [Since] = time.GetUtcNow() }, null);
            await tables.InsertAsync(Table, waiter, cancellationToken).ConfigureAwait(false);
        }
        catch (StorageConflictException)
        {
            // Already waiting.
        }
    }

    private Task StopWaitingAsync(string videoId, CancellationToken cancellationToken) =>
        tables.DeleteAsync(Table, Partition, WaiterPrefix + videoId, null, cancellationToken);

    private async Task<bool> StillInPipelineAsync(string videoId, CancellationToken cancellationToken) =>
        await videos.GetAsync(videoId, cancellationToken).ConfigureAwait(false) is { Status: VideoStatus.Processing or VideoStatus.Uploading };

    [LoggerMessage(EventId = 240, Level = LogLevel.Warning, Message = "Pipeline slot {Slot} was held by {Holder}, no longer in the pipeline; taken by {VideoId}")]
    private partial void LogReclaimed(string slot, string holder, string videoId);

    [LoggerMessage(EventId = 241, Level = LogLevel.Warning, Message = "Pipeline slot handed to {VideoId} could not be announced ({Reason}); freed again")]
    private partial void LogGrantUndelivered(string videoId, string reason);
}

/// <summary>
/// Which app's pipeline this is: the Durable task hub's name (apps sharing a storage account on separate hubs keep separate
/// slots). Registered by the runtime that hosts the hub.
/// </summary>
public sealed record PipelineScope(string Name);
