using System.Runtime.CompilerServices;
using System.Text;
using Azure;
using Azure.Data.Tables;

namespace Serverless.Storage;

internal sealed class AzureTableStore(AzureStorageClients clients) : ITableStore
{
    private TableClient Table(string name) => clients.Tables.GetTableClient(name);

    public Task<TableRow?> GetAsync(string table, string partitionKey, string rowKey, CancellationToken cancellationToken) =>
        clients.Run(
            StorageService.Table,
            $"get {table}/{partitionKey}/{rowKey}",
            async ct =>
            {
                var response = await Table(table).GetEntityIfExistsAsync<TableEntity>(partitionKey, rowKey, cancellationToken: ct).ConfigureAwait(false);
                return response.HasValue ? ToRow(response.Value!) : null;
            },
            cancellationToken);

    public Task<string> InsertAsync(string table, TableRow row, CancellationToken cancellationToken) =>
        clients.Run(
            StorageService.Table,
            $"insert {table}/{row.PartitionKey}/{row.RowKey}",
            async ct => ETagOf(await Table(table).AddEntityAsync(ToEntity(row), ct).ConfigureAwait(false)),
            cancellationToken);

    public Task<string> ReplaceAsync(string table, TableRow row, CancellationToken cancellationToken) =>
        clients.Run(
            StorageService.Table,
            $"replace {table}/{row.PartitionKey}/{row.RowKey}",
            async ct => ETagOf(await Table(table).UpdateEntityAsync(ToEntity(row), IfMatch(row.ETag), TableUpdateMode.Replace, ct).ConfigureAwait(false)),
            cancellationToken);

    public Task<string> UpsertAsync(string table, TableRow row, CancellationToken cancellationToken) =>
        clients.Run(
            StorageService.Table,
            $"upsert {table}/{row.PartitionKey}/{row.RowKey}",
            async ct => ETagOf(await Table(table).UpsertEntityAsync(ToEntity(row), TableUpdateMode.Replace, ct).ConfigureAwait(false)),
            cancellationToken);

    public async Task DeleteAsync(string table, string partitionKey, string rowKey, string? eTag, CancellationToken cancellationToken)
    {
        try
        {
            await clients.Run(
                StorageService.Table,
                $"delete {table}/{partitionKey}/{rowKey}",
                ct => Table(table).DeleteEntityAsync(partitionKey, rowKey, IfMatch(eTag), ct),
                cancellationToken).ConfigureAwait(false);
        }
        catch (StorageNotFoundException)
        {
            // Already gone.
        }
    }

    public Task UpsertBatchAsync(string table, IReadOnlyList<TableRow> rows, CancellationToken cancellationToken) =>
        Batch(table, rows, TableTransactionActionType.UpsertReplace, cancellationToken);

    public Task InsertBatchAsync(string table, IReadOnlyList<TableRow> rows, CancellationToken cancellationToken) =>
        Batch(table, rows, TableTransactionActionType.Add, cancellationToken);

    public Task<TablePage> QueryPageAsync(string table, string? filter, int take, string? continuationToken, CancellationToken cancellationToken)
    {
        var token = ContinuationTokens.Decode(continuationToken);
        var size = Math.Clamp(take, 1, 1000);
        return clients.Run(
            StorageService.Table,
            $"query {table}",
            async ct =>
            {
                var pages = Table(table).QueryAsync<TableEntity>(NullIfEmpty(filter), size, cancellationToken: ct).AsPages(token, size);
                await foreach (var page in pages.ConfigureAwait(false))
                {
                    return new TablePage(page.Values.Select(ToRow).ToList(), ContinuationTokens.Encode(page.ContinuationToken));
                }

                return new TablePage([], null);
            },
            cancellationToken);
    }

    public async IAsyncEnumerable<TableRow> QueryAsync(string table, string? filter, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string? token = null;
        do
        {
            var page = await QueryPageAsync(table, filter, 1000, token, cancellationToken).ConfigureAwait(false);
            foreach (var row in page.Rows)
            {
                yield return row;
            }

            token = page.ContinuationToken;
        }
        while (token is not null);
    }

    private Task Batch(string table, IReadOnlyList<TableRow> rows, TableTransactionActionType type, CancellationToken cancellationToken)
    {
        if (rows.Count == 0)
        {
            return Task.CompletedTask;
        }

        if (rows.Count > 100 || rows.Select(r => r.PartitionKey).Distinct(StringComparer.Ordinal).Count() > 1)
        {
            throw new ArgumentException("A table batch holds at most 100 rows of one partition.", nameof(rows));
        }

        var actions = rows.Select(r => new TableTransactionAction(type, ToEntity(r))).ToList();
        return clients.Run(
            StorageService.Table,
            $"batch {table}/{rows[0].PartitionKey}",
            ct => Table(table).SubmitTransactionAsync(actions, ct),
            cancellationToken);
    }

    private static string? NullIfEmpty(string? filter) => string.IsNullOrEmpty(filter) ? null : filter;

    private static ETag IfMatch(string? eTag) => string.IsNullOrEmpty(eTag) || eTag == "*" ? ETag.All : new ETag(eTag);

    private static string ETagOf(Response response) => response.Headers.ETag?.ToString() ?? string.Empty;

    private static TableRow ToRow(TableEntity entity)
    {
        var properties = new Dictionary<string, object?>(entity.Count, StringComparer.Ordinal);
        foreach (var (name, value) in entity)
        {
            if (name is "PartitionKey" or "RowKey" or "Timestamp" or "odata.etag")
            {
                continue;
            }

            properties[name] = value is BinaryData binary ? binary.ToArray() : value;
        }

        return new TableRow(entity.PartitionKey, entity.RowKey, properties, entity.ETag.ToString(), entity.Timestamp);
    }

    private static TableEntity ToEntity(TableRow row)
    {
        var entity = new TableEntity(row.PartitionKey, row.RowKey);
        foreach (var (name, value) in row.Properties)
        {
            object? stored = value switch
            {
                null => null,
                string or long or int or double or bool or DateTimeOffset or Guid or byte[] => value,
                DateTime dt => new DateTimeOffset(dt.Kind == DateTimeKind.Unspecified ? DateTime.SpecifyKind(dt, DateTimeKind.Utc) : dt.ToUniversalTime()),
                _ => throw new ArgumentException($"Table property '{name}' has unsupported type {value.GetType().Name}.", nameof(row)),
            };
            if (stored is not null)
            {
                entity[name] = stored;
            }
        }

        return entity;
    }
}

/// <summary>Opaque, URL-safe continuation tokens for table pages (the SDK's token, base64url-encoded).</summary>
internal static class ContinuationTokens
{
    private const string Prefix = "t1:";

    public static string? Encode(string? token) =>
        string.IsNullOrEmpty(token)
            ? null
            : Convert.ToBase64String(Encoding.UTF8.GetBytes(Prefix + token)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static string? Decode(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }

        try
        {
            var padded = value.Replace('-', '+').Replace('_', '/');
            padded = padded.PadRight(padded.Length + ((4 - (padded.Length % 4)) % 4), '=');
            var text = Encoding.UTF8.GetString(Convert.FromBase64String(padded));
            return text.StartsWith(Prefix, StringComparison.Ordinal) && text.Length > Prefix.Length ? text[Prefix.Length..] : throw new FormatException();
        }
        catch (FormatException ex)
        {
            throw new ArgumentException("The continuation token is not valid.", nameof(value), ex);
        }
    }
}
