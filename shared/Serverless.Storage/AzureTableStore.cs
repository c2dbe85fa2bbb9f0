using System.Runtime.CompilerServices;
using Microsoft.WindowsAzure.Storage.Table;

namespace Serverless.Storage;

internal sealed class AzureTableStore(AzureStorageClients clients) : ITableStore
{
    private CloudTable Table(string name) => clients.Tables.GetTableReference(name);

    public async Task<TableRow?> GetAsync(string table, string partitionKey, string rowKey, CancellationToken cancellationToken)
    {
        var result = await StorageErrors.Guard(
            () => Table(table).ExecuteAsync(TableOperation.Retrieve(partitionKey, rowKey), null, null, cancellationToken),
            $"get {table}/{partitionKey}/{rowKey}").ConfigureAwait(false);
        return result.Result is DynamicTableEntity entity ? ToRow(entity) : null;
    }

    public async Task<string> InsertAsync(string table, TableRow row, CancellationToken cancellationToken)
    {
        var result = await StorageErrors.Guard(
            () => Table(table).ExecuteAsync(TableOperation.Insert(ToEntity(row)), null, null, cancellationToken),
            $"insert {table}/{row.PartitionKey}/{row.RowKey}").ConfigureAwait(false);
        return result.Etag;
    }

    public async Task<string> ReplaceAsync(string table, TableRow row, CancellationToken cancellationToken)
    {
        var entity = ToEntity(row);
        entity.ETag = string.IsNullOrEmpty(row.ETag) ? "*" : row.ETag;
        var result = await StorageErrors.Guard(
            () => Table(table).ExecuteAsync(TableOperation.Replace(entity), null, null, cancellationToken),
            $"replace {table}/{row.PartitionKey}/{row.RowKey}").ConfigureAwait(false);
        return result.Etag;
    }

    public async Task<string> UpsertAsync(string table, TableRow row, CancellationToken cancellationToken)
    {
        var result = await StorageErrors.Guard(
            () => Table(table).ExecuteAsync(TableOperation.InsertOrReplace(ToEntity(row)), null, null, cancellationToken),
            $"upsert {table}/{row.PartitionKey}/{row.RowKey}").ConfigureAwait(false);
        return result.Etag;
    }

    public async Task DeleteAsync(string table, string partitionKey, string rowKey, string? eTag, CancellationToken cancellationToken)
    {
        var entity = new DynamicTableEntity(partitionKey, rowKey) { ETag = string.IsNullOrEmpty(eTag) ? "*" : eTag };
        try
        {
            await StorageErrors.Guard(
                () => Table(table).ExecuteAsync(TableOperation.Delete(entity), null, null, cancellationToken),
                $"delete {table}/{partitionKey}/{rowKey}").ConfigureAwait(false);
        }
        catch (StorageNotFoundException)
        {
            // Already gone.
        }
    }

    public Task UpsertBatchAsync(string table, IReadOnlyList<TableRow> rows, CancellationToken cancellationToken) =>
        Batch(table, rows, TableOperation.InsertOrReplace, cancellationToken);

    public Task InsertBatchAsync(string table, IReadOnlyList<TableRow> rows, CancellationToken cancellationToken) =>
        Batch(table, rows, TableOperation.Insert, cancellationToken);

    public async Task<TablePage> QueryPageAsync(string table, string? filter, int take, string? continuationToken, CancellationToken cancellationToken)
    {
        var query = new TableQuery<DynamicTableEntity>().Take(Math.Clamp(take, 1, 1000));
        if (!string.IsNullOrEmpty(filter))
        {
            query = query.Where(filter);
        }

        var token = ContinuationTokens.Decode(continuationToken);
        var segment = await StorageErrors.Guard(
            () => Table(table).ExecuteQuerySegmentedAsync(query, token, null, null, cancellationToken),
            $"query {table}").ConfigureAwait(false);
        return new TablePage(segment.Results.Select(ToRow).ToList(), ContinuationTokens.Encode(segment.ContinuationToken));
    }

    public async IAsyncEnumerable<TableRow> QueryAsync(string table, string? filter, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var query = new TableQuery<DynamicTableEntity>();
        if (!string.IsNullOrEmpty(filter))
        {
            query = query.Where(filter);
        }

        TableContinuationToken? token = null;
        do
        {
            var segment = await StorageErrors.Guard(
                () => Table(table).ExecuteQuerySegmentedAsync(query, token, null, null, cancellationToken),
                $"query {table}").ConfigureAwait(false);
            foreach (var entity in segment.Results)
            {
                yield return ToRow(entity);
            }

            token = segment.ContinuationToken;
        }
        while (token is not null);
    }

    private async Task Batch(string table, IReadOnlyList<TableRow> rows, Func<ITableEntity, TableOperation> op, CancellationToken cancellationToken)
    {
        if (rows.Count == 0)
        {
            return;
        }

        if (rows.Count > 100 || rows.Select(r => r.PartitionKey).Distinct(StringComparer.Ordinal).Count() > 1)
        {
            throw new ArgumentException("A table batch holds at most 100 rows of one partition.", nameof(rows));
        }

        var batch = new TableBatchOperation();
        foreach (var row in rows)
        {
            batch.Add(op(ToEntity(row)));
        }

        await StorageErrors.Guard(
            () => Table(table).ExecuteBatchAsync(batch, null, null, cancellationToken),
            $"batch {table}/{rows[0].PartitionKey}").ConfigureAwait(false);
    }

    private static TableRow ToRow(DynamicTableEntity entity)
    {
        var properties = new Dictionary<string, object?>(entity.Properties.Count, StringComparer.Ordinal);
        foreach (var (name, value) in entity.Properties)
        {
            properties[name] = value.PropertyAsObject;
        }

        return new TableRow(entity.PartitionKey, entity.RowKey, properties, entity.ETag, entity.Timestamp);
    }

    private static DynamicTableEntity ToEntity(TableRow row)
    {
        var entity = new DynamicTableEntity(row.PartitionKey, row.RowKey) { ETag = row.ETag ?? "*" };
        foreach (var (name, value) in row.Properties)
        {
            var property = value switch
            {
                null => null,
                string s => new EntityProperty(s),
                long l => new EntityProperty(l),
                int i => new EntityProperty(i),
                double d => new EntityProperty(d),
                bool b => new EntityProperty(b),
                DateTimeOffset dto => new EntityProperty(dto),
                DateTime dt => new EntityProperty(new DateTimeOffset(dt.ToUniversalTime())),
                Guid g => new EntityProperty(g),
                byte[] bytes => new EntityProperty(bytes),
                _ => throw new ArgumentException($"Table property '{name}' has unsupported type {value.GetType().Name}.", nameof(row)),
            };
            if (property is not null)
            {
                entity.Properties[name] = property;
            }
        }

        return entity;
    }
}

/// <summary>Opaque, URL-safe continuation tokens for table pages.</summary>
internal static class ContinuationTokens
{
    public static string? Encode(TableContinuationToken? token)
    {
        if (token is null)
        {
            return null;
        }

        var raw = $"{token.NextPartitionKey}\n{token.NextRowKey}\n{token.NextTableName}";
        return Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(raw)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    public static TableContinuationToken? Decode(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }

        try
        {
            var padded = value.Replace('-', '+').Replace('_', '/');
            padded = padded.PadRight(padded.Length + ((4 - (padded.Length % 4)) % 4), '=');
            var parts = System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(padded)).Split('\n');
            if (parts.Length != 3)
            {
                throw new FormatException();
            }

            return new TableContinuationToken
            {
                NextPartitionKey = parts[0],
                NextRowKey = parts[1],
                NextTableName = string.IsNullOrEmpty(parts[2]) ? null : parts[2],
                TargetLocation = Microsoft.WindowsAzure.Storage.StorageLocation.Primary,
            };
        }
        catch (FormatException ex)
        {
            throw new ArgumentException("The continuation token is not valid.", nameof(value), ex);
        }
    }
}
