using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Serverless.Storage;

namespace Serverless.Videos;

/// <summary>A video's catalog row and pipeline state together, with the ETag they were read at.</summary>
public sealed record VideoEntry(VideoRecord Video, PipelineState? State, string ContentType, long DeclaredBytes, string ETag);

/// <summary>
/// The <c>Videos</c> table: one row per video (PartitionKey = video id) holding the catalog record and the
/// checkpointed pipeline state, updated with ETag optimistic concurrency; and the <c>ReadyVideos</c> index
/// (newest first) for listing.
/// </summary>
internal sealed class VideoRepository(ITableStore tables, TimeProvider time, IEnumerable<IVideoChangeObserver> observers) : IVideoCatalog
{
    private readonly IVideoChangeObserver[] _observers = [.. observers];

    public const string Table = "Videos";
    public const string ReadyIndexTable = "ReadyVideos";
    private const string RowKey = "video";
    private const string ReadyPartition = "ready";

    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public async Task<VideoRecord?> GetAsync(string videoId, CancellationToken cancellationToken) =>
        (await GetEntryAsync(videoId, cancellationToken).ConfigureAwait(false))?.Video;

    public async Task<VideoEntry?> GetEntryAsync(string videoId, CancellationToken cancellationToken)
    {
        if (!VideoIds.IsValid(videoId))
        {
            return null;
        }

        var row = await tables.GetAsync(Table, videoId, RowKey, cancellationToken).ConfigureAwait(false);
        return row is null ? null : FromRow(row);
    }

    public async Task<VideoEntry> CreateAsync(string videoId, string ownerId, string fileName, string contentType, long declaredBytes, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var video = new VideoRecord(videoId, ownerId, VideoStatus.Uploading, "Uploading", 0, null, null, null, [], null, fileName, now, now, null);
        var row = ToRow(video, null, contentType, declaredBytes, null);
        try
        {
            var etag = await tables.InsertAsync(Table, row, cancellationToken).ConfigureAwait(false);
            return new VideoEntry(video, null, contentType, declaredBytes, etag);
        }
        finally
        {
            Changed(videoId);
        }
    }

    /// <summary>Writes the entry if nobody changed it since it was read; throws <see cref="StoragePreconditionFailedException"/> otherwise.</summary>
    public async Task<VideoEntry> SaveAsync(VideoEntry entry, CancellationToken cancellationToken)
    {
        var video = entry.Video with { UpdatedAt = time.GetUtcNow() };
        try
        {
            var etag = await tables.ReplaceAsync(Table, ToRow(video, entry.State, entry.ContentType, entry.DeclaredBytes, entry.ETag), cancellationToken)
                .ConfigureAwait(false);
            return entry with { Video = video, ETag = etag };
        }
        finally
        {
            Changed(video.VideoId);
        }
    }

    private void Changed(string videoId)
    {
        foreach (var observer in _observers)
        {
            observer.OnVideoChanged(videoId);
        }
    }

    /// <summary>Read-modify-write with ETag retries: <paramref name="change"/> returns null to leave the row alone.</summary>
    public async Task<VideoEntry?> UpdateAsync(string videoId, Func<VideoEntry, VideoEntry?> change, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var entry = await GetEntryAsync(videoId, cancellationToken).ConfigureAwait(false);
            if (entry is null)
            {
                return null;
            }

            var changed = change(entry);
            if (changed is null)
            {
                return entry;
            }

            try
            {
                return await SaveAsync(changed, cancellationToken).ConfigureAwait(false);
            }
            catch (StoragePreconditionFailedException) when (attempt < 10)
            {
                // Someone else wrote first: decide again on the fresh row.
            }
        }
    }

    public Task AddToReadyIndexAsync(VideoRecord video, CancellationToken cancellationToken) =>
        tables.UpsertAsync(
            ReadyIndexTable,
            new TableRow(ReadyPartition, ReadyKey(video), new Dictionary<string, object?>
            {
                ["VideoId"] = video.VideoId,
                ["OwnerId"] = video.OwnerId,
                ["CreatedAt"] = video.CreatedAt,
                ["ReadyAt"] = video.ReadyAt ?? video.CreatedAt,
                ["DurationSeconds"] = video.DurationSeconds ?? 0,
            }),
            cancellationToken);

    public Task RemoveFromReadyIndexAsync(VideoRecord video, CancellationToken cancellationToken) =>
        tables.DeleteAsync(ReadyIndexTable, ReadyPartition, ReadyKey(video), null, cancellationToken);

    public async Task<VideoPage> ListReadyAsync(int count, string? cursor, CancellationToken cancellationToken)
    {
        var page = await tables.QueryPageAsync(ReadyIndexTable, TableFilter.PartitionEquals(ReadyPartition), count, cursor, cancellationToken)
            .ConfigureAwait(false);
        var videos = await Task.WhenAll(page.Rows.Select(r => GetAsync(r.GetString("VideoId") ?? string.Empty, cancellationToken))).ConfigureAwait(false);
        return new VideoPage(videos.Where(v => v is { Status: VideoStatus.Ready }).Select(v => v!).ToList(), page.ContinuationToken);
    }

    public async IAsyncEnumerable<ReadyVideoSummary> EnumerateReadyAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var row in tables.QueryAsync(ReadyIndexTable, TableFilter.PartitionEquals(ReadyPartition), cancellationToken).ConfigureAwait(false))
        {
            if (row.GetString("VideoId") is { } id)
            {
                var created = row.GetDateTimeOffset("CreatedAt") ?? row.Timestamp ?? DateTimeOffset.MinValue;
                yield return new ReadyVideoSummary(id, row.GetString("OwnerId") ?? string.Empty, created, row.GetDateTimeOffset("ReadyAt") ?? created, row.GetDouble("DurationSeconds") ?? 0);
            }
        }
    }

    /// <summary>Videos in <paramref name="status"/>, a page at a time (a filtered scan of the catalog: fine for the operators' queues).</summary>
    public async Task<VideoPage> ListByStatusAsync(VideoStatus status, int count, string? cursor, CancellationToken cancellationToken)
    {
        var page = await tables.QueryPageAsync(Table, TableFilter.Equal("Status", status.ToString()), count, cursor, cancellationToken).ConfigureAwait(false);
        return new VideoPage(page.Rows.Select(r => FromRow(r).Video).ToList(), page.ContinuationToken);
    }

    /// <summary>Videos in <paramref name="status"/> whose row has not changed since <paramref name="before"/>.</summary>
    public async IAsyncEnumerable<VideoEntry> ListStaleAsync(VideoStatus status, DateTimeOffset before, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var filter = TableFilter.And(
            TableFilter.Equal("Status", status.ToString()),
            TableFilter.Compare("UpdatedAt", "lt", before));
        await foreach (var row in tables.QueryAsync(Table, filter, cancellationToken).ConfigureAwait(false))
        {
            yield return FromRow(row);
        }
    }

    /// <summary>Videos Failed as bad input before <paramref name="before"/> whose upload is still to be deleted.</summary>
    public async IAsyncEnumerable<VideoEntry> ListBadInputAsync(DateTimeOffset before, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var filter = TableFilter.And(
            TableFilter.Equal("Status", VideoStatus.Failed.ToString()),
            TableFilter.Compare("BadInputAt", "lt", before));
        await foreach (var row in tables.QueryAsync(Table, filter, cancellationToken).ConfigureAwait(false))
        {
            yield return FromRow(row);
        }
    }

    private static string ReadyKey(VideoRecord video) =>
        (DateTimeOffset.MaxValue.UtcTicks - (video.ReadyAt ?? video.CreatedAt).UtcTicks).ToString("D19", CultureInfo.InvariantCulture) + "_" + video.VideoId;

    private static TableRow ToRow(VideoRecord video, PipelineState? state, string contentType, long declaredBytes, string? etag) => new(
        video.VideoId,
        RowKey,
        new Dictionary<string, object?>
        {
            ["OwnerId"] = video.OwnerId,
            ["Status"] = video.Status.ToString(),
            ["Stage"] = video.Stage,
            ["Progress"] = video.Progress,
            ["DurationSeconds"] = video.DurationSeconds,
            ["Width"] = video.Width,
            ["Height"] = video.Height,
            ["Renditions"] = JsonSerializer.Serialize(video.Renditions, Json),
            ["Error"] = video.Error,
            ["FileName"] = video.FileName,
            ["ContentType"] = contentType,
            ["DeclaredBytes"] = declaredBytes,
            ["CreatedAt"] = video.CreatedAt,
            ["UpdatedAt"] = video.UpdatedAt,
            ["ReadyAt"] = video.ReadyAt,
            ["PlayableAt"] = video.PlayableAt,
            ["PlayableByOwnerOnly"] = video.PlayableByOwnerOnly,
            ["BadInputAt"] = video.BadInputAt,
            ["SourceDeletedAt"] = video.SourceDeletedAt,
            ["State"] = state is null ? null : JsonSerializer.Serialize(state, Json),
        },
        etag);

    private static VideoEntry FromRow(TableRow row)
    {
        var renditions = row.GetString("Renditions") is { Length: > 0 } r
            ? JsonSerializer.Deserialize<List<VideoRendition>>(r, Json) ?? []
            : [];
        var video = new VideoRecord(
            row.PartitionKey,
            row.GetString("OwnerId") ?? string.Empty,
            Enum.TryParse<VideoStatus>(row.GetString("Status"), out var status) ? status : VideoStatus.Failed,
            row.GetString("Stage") ?? string.Empty,
            row.GetDouble("Progress") ?? 0,
            row.GetDouble("DurationSeconds"),
            (int?)row.GetInt64("Width"),
            (int?)row.GetInt64("Height"),
            renditions,
            row.GetString("Error"),
            row.GetString("FileName") ?? string.Empty,
            row.GetDateTimeOffset("CreatedAt") ?? DateTimeOffset.MinValue,
            row.GetDateTimeOffset("UpdatedAt") ?? DateTimeOffset.MinValue,
            row.GetDateTimeOffset("ReadyAt"))
        {
            PlayableAt = row.GetDateTimeOffset("PlayableAt"),
            PlayableByOwnerOnly = row.GetBoolean("PlayableByOwnerOnly") ?? false,
            BadInputAt = row.GetDateTimeOffset("BadInputAt"),
            SourceDeletedAt = row.GetDateTimeOffset("SourceDeletedAt"),
        };
        var state = row.GetString("State") is { Length: > 0 } s ? JsonSerializer.Deserialize<PipelineState>(s, Json) : null;
        return new VideoEntry(video, state, row.GetString("ContentType") ?? string.Empty, row.GetInt64("DeclaredBytes") ?? 0, row.ETag ?? "*");
    }
}

/// <summary>Video ids: 32 lowercase hex characters (a version-7 GUID, so ids sort by creation time).</summary>
public static class VideoIds
{
    public static string New() => Guid.CreateVersion7().ToString("N");

    public static bool IsValid(string? id) => id is { Length: 32 } && id.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f');
}
