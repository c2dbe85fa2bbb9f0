using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using Serverless.Recommendations.Feedback;
using Serverless.Storage;

namespace Serverless.Recommendations.Events;

/// <summary>
/// Events in two tables, written together and idempotently (upserts keyed by the event id):
/// <list type="bullet">
/// <item><c>RecEvents</c>: partition = the UTC hour of <c>occurredAt</c> (<c>yyyyMMddHH</c>), row = <c>user|eventId</c>.
/// Training scans a time window as a partition-key range.</item>
/// <item><c>RecUserEvents</c>: partition = the user, row = <c>(DateTime.MaxValue − occurredAt) ticks|eventId</c>, so a
/// user's most recent events are the first rows of their partition.</item>
/// </list>
/// A retried batch rewrites the same rows: nothing is counted twice. Batches arriving together share storage
/// transactions (<see cref="TableUpsertCoalescer"/>): all of them land in the same hour partition of <c>RecEvents</c>.
/// </summary>
internal sealed class EventStore(ITableStore tables, TableUpsertCoalescer writer)
{
    public const string ByTimeTable = "RecEvents";
    public const string ByUserTable = "RecUserEvents";

    /// <summary>Writes the two tables concurrently (each row an idempotent upsert, so a retry after a partial failure is safe).</summary>
    public async Task WriteAsync(string userId, IReadOnlyList<AcceptedEvent> events, DateTimeOffset receivedAt, CancellationToken cancellationToken)
    {
        var userKey = KeyEncoding.Encode(userId);
        var byTime = events.Select(e => Row(Bucket(e.OccurredAt), userKey + "|" + e.EventId, userId, e, receivedAt)).ToList();
        var byUser = events.Select(e => Row(userKey, RecentKey(e.OccurredAt) + "|" + e.EventId, userId, e, receivedAt)).ToList();
        await Task.WhenAll(writer.UpsertAsync(ByTimeTable, byTime, cancellationToken), writer.UpsertAsync(ByUserTable, byUser, cancellationToken)).ConfigureAwait(false);
    }

    /// <summary>Every event whose hour bucket lies in [from, to].</summary>
    public async IAsyncEnumerable<StoredEvent> ScanAsync(DateTimeOffset from, DateTimeOffset to, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var filter = TableFilter.And(
            TableFilter.Compare("PartitionKey", "ge", Bucket(from)),
            TableFilter.Compare("PartitionKey", "le", Bucket(to)));
        await foreach (var row in tables.QueryAsync(ByTimeTable, filter, cancellationToken).ConfigureAwait(false))
        {
            if (Parse(row) is { } stored)
            {
                yield return stored;
            }
        }
    }

    /// <summary>The user's most recent events, newest first.</summary>
    public async Task<IReadOnlyList<StoredEvent>> RecentAsync(string userId, int take, CancellationToken cancellationToken)
    {
        var page = await tables.QueryPageAsync(ByUserTable, TableFilter.PartitionEquals(KeyEncoding.Encode(userId)), take, null, cancellationToken).ConfigureAwait(false);
        return [.. page.Rows.Select(Parse).OfType<StoredEvent>()];
    }

    /// <summary>Table dates come back as <see cref="DateTime"/> (UTC) from the storage client, or as <see cref="DateTimeOffset"/>.</summary>
    private static DateTimeOffset? Time(TableRow row, string name) => row.Properties.TryGetValue(name, out var value) ? value switch
    {
        DateTimeOffset dto => dto,
        DateTime dt => new DateTimeOffset(DateTime.SpecifyKind(dt, DateTimeKind.Utc)),
        _ => null,
    } : null;

    public static string Bucket(DateTimeOffset at) => at.UtcDateTime.ToString("yyyyMMddHH", CultureInfo.InvariantCulture);

    private static string RecentKey(DateTimeOffset at) =>
        (DateTime.MaxValue.Ticks - at.UtcTicks).ToString("D19", CultureInfo.InvariantCulture);

    private static TableRow Row(string partition, string rowKey, string userId, AcceptedEvent e, DateTimeOffset receivedAt)
    {
        var properties = new Dictionary<string, object?>
        {
            ["UserId"] = userId,
            ["EventId"] = e.EventId,
            ["Type"] = EventTypes.Name(e.Type),
            ["OccurredAt"] = e.OccurredAt,
            ["ReceivedAt"] = receivedAt,
            ["UnknownVideo"] = e.UnknownVideo,
        };
        if (e.VideoId is not null)
        {
            properties["VideoId"] = e.VideoId;
        }

        if (e.TemplateId is not null)
        {
            properties["TemplateId"] = e.TemplateId;
        }

        if (e.WatchedSeconds is { } watched)
        {
            properties["WatchedSeconds"] = watched;
        }

        return new TableRow(partition, rowKey, properties);
    }

    private static StoredEvent? Parse(TableRow row)
    {
        if (row.GetString("UserId") is not { } user || row.GetString("EventId") is not { } id
            || !EventTypes.TryParse(row.GetString("Type"), out var type) || Time(row, "OccurredAt") is not { } at)
        {
            return null;
        }

        return new StoredEvent(user, id, type, row.GetString("VideoId"), row.GetString("TemplateId"), row.GetDouble("WatchedSeconds"), at);
    }
}

/// <summary>Makes any id safe as a table key: characters outside [A-Za-z0-9-_.@] become <c>~XX</c> (UTF-8 bytes, hex).</summary>
internal static class KeyEncoding
{
    public static string Encode(string value)
    {
        if (value.All(IsSafe))
        {
            return value;
        }

        var builder = new StringBuilder(value.Length + 8);
        Span<byte> bytes = stackalloc byte[4];
        foreach (var rune in value.EnumerateRunes())
        {
            if (rune.IsAscii && IsSafe((char)rune.Value))
            {
                builder.Append((char)rune.Value);
                continue;
            }

            var n = rune.EncodeToUtf8(bytes);
            foreach (var b in bytes[..n])
            {
                builder.Append('~').Append(b.ToString("X2", CultureInfo.InvariantCulture));
            }
        }

        return builder.ToString();
    }

    private static bool IsSafe(char c) => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '@';
}
