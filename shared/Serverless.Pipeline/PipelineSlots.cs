using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Serverless.Storage;

namespace Serverless.Pipeline;

/// <summary>
/// Admission to the pipeline: at most <c>Pipeline__MaxConcurrentVideos</c> videos are processed at once across the app's
/// instances; the others wait (durable timers) before their probe. The activities' work-item queue is first in, first out,
/// so without it a burst would queue every video's transcode ahead of the first video's packaging and publish, and all of
/// them would be Ready together at the end; with it, a video once admitted runs to its end while later uploads wait, and
/// the first uploads of a burst are Ready first. A slot is a row of <see cref="Table"/>, claimed with its ETag. One whose
/// holder is no longer in the pipeline (Ready, Failed, Deleted, gone) is free again, so a slot cannot leak.
/// </summary>
internal sealed partial class PipelineSlots(ITableStore tables, VideoRepository videos, IOptions<PipelineOptions> options, PipelineScope scope, ILogger<PipelineSlots> logger)
{
    public const string Table = "PipelineSlots";

    /// <summary>The slots of this app's task hub (apps on other hubs of the same account have their own).</summary>
    private string Partition => scope.Name;

    /// <summary>Claims a slot for the video (or finds the one it holds); false when every slot is held by another video.</summary>
    public async Task<bool> TryAcquireAsync(string videoId, CancellationToken cancellationToken)
    {
        var count = options.Value.MaxConcurrentVideos;
        var rows = new List<(string Key, TableRow? Row)>();
        for (var i = 0; i < count; i++)
        {
            var key = i.ToString("D3", CultureInfo.InvariantCulture);
            var row = await tables.GetAsync(Table, Partition, key, cancellationToken).ConfigureAwait(false);
            if (row?.GetString("Holder") == videoId)
            {
                return true;
            }

            rows.Add((key, row));
        }

        foreach (var (key, row) in rows)
        {
            var holder = row?.GetString("Holder");
            if (holder is { Length: > 0 } && await StillInPipelineAsync(holder, cancellationToken).ConfigureAwait(false))
            {
                continue;
            }

            var claim = new TableRow(Partition, key, new Dictionary<string, object?> { ["Holder"] = videoId }, row?.ETag);
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

                if (holder is { Length: > 0 })
                {
                    LogReclaimed(key, holder, videoId);
                }

                return true;
            }
            catch (Exception ex) when (ex is StorageConflictException or StoragePreconditionFailedException)
            {
                // Another video took it first: try the next one.
            }
        }

        await videos.UpdateAsync(
            videoId,
            e => e.Video.Status == VideoStatus.Uploading && e.Video.Stage != Queued ? e with { Video = e.Video with { Stage = Queued } } : null,
            cancellationToken).ConfigureAwait(false);
        return false;
    }

    /// <summary>The stage a video shows while it waits for a slot.</summary>
    public const string Queued = "Queued";

    /// <summary>Frees the video's slot (idempotent).</summary>
    public async Task ReleaseAsync(string videoId, CancellationToken cancellationToken)
    {
        // Every slot row there is, not only the first MaxConcurrentVideos: the setting may have been lowered meanwhile.
        await foreach (var row in tables.QueryAsync(Table, $"PartitionKey eq '{Partition}'", cancellationToken).ConfigureAwait(false))
        {
            if (row.GetString("Holder") != videoId)
            {
                continue;
            }

            try
            {
                await tables.ReplaceAsync(Table, new TableRow(Partition, row.RowKey, new Dictionary<string, object?> { ["Holder"] = string.Empty }, row.ETag), cancellationToken)
                    .ConfigureAwait(false);
            }
            catch (StoragePreconditionFailedException)
            {
                // Reclaimed by another video already.
            }
        }
    }

    private async Task<bool> StillInPipelineAsync(string videoId, CancellationToken cancellationToken) =>
        await videos.GetAsync(videoId, cancellationToken).ConfigureAwait(false) is { Status: VideoStatus.Processing or VideoStatus.Uploading };

    [LoggerMessage(EventId = 240, Level = LogLevel.Warning, Message = "Pipeline slot {Slot} was held by {Holder}, no longer in the pipeline; taken by {VideoId}")]
    private partial void LogReclaimed(string slot, string holder, string videoId);
}

/// <summary>
/// Which app's pipeline this is: the Durable task hub's name (apps sharing a storage account on separate hubs keep separate
/// slots). Registered by the runtime that hosts the hub.
/// </summary>
public sealed record PipelineScope(string Name);
