namespace Serverless.Storage;

/// <summary>What a blob is, as far as the domain cares.</summary>
public sealed record BlobItemInfo(
    string Container,
    string Name,
    long Length,
    string? ContentType,
    DateTimeOffset? LastModified,
    string? ETag,
    IReadOnlyDictionary<string, string> Metadata);

/// <summary>How a blob is written.</summary>
/// <param name="IfNotExists">Fail with <see cref="StorageConflictException"/> when the blob already exists.</param>
public sealed record BlobWriteOptions(
    string? ContentType = null,
    string? CacheControl = null,
    IReadOnlyDictionary<string, string>? Metadata = null,
    bool IfNotExists = false);

/// <summary>Permissions of a SAS on one blob.</summary>
[Flags]
public enum BlobSasPermissions
{
    None = 0,
    Read = 1,
    Write = 2,
    Create = 4,
    Delete = 8,
}

/// <summary>An exclusive blob lease, renewed by its holder and released on dispose.</summary>
public interface IBlobLease : IAsyncDisposable
{
    string LeaseId { get; }

    Task RenewAsync(CancellationToken cancellationToken);
}

/// <summary>Blob storage, reached only through this interface (ARCHITECTURE.md §5).</summary>
public interface IBlobStore
{
    Task UploadAsync(string container, string name, Stream content, BlobWriteOptions? options, CancellationToken cancellationToken);

    Task UploadFileAsync(string container, string name, string path, BlobWriteOptions? options, CancellationToken cancellationToken);

    /// <summary>Opens a blob for streaming reads. Throws <see cref="StorageNotFoundException"/> when it does not exist.</summary>
    Task<Stream> OpenReadAsync(string container, string name, CancellationToken cancellationToken);

    Task DownloadToFileAsync(string container, string name, string path, CancellationToken cancellationToken);

    /// <summary>Reads a small blob as UTF-8 text, or null when it does not exist.</summary>
    Task<string?> ReadTextAsync(string container, string name, CancellationToken cancellationToken);

    Task<BlobItemInfo?> GetInfoAsync(string container, string name, CancellationToken cancellationToken);

    IAsyncEnumerable<BlobItemInfo> ListAsync(string container, string? prefix, CancellationToken cancellationToken);

    Task<bool> DeleteAsync(string container, string name, CancellationToken cancellationToken);

    Task<int> DeletePrefixAsync(string container, string prefix, CancellationToken cancellationToken);

    /// <summary>The blob's plain (unsigned) address; clients reach blobs only through <see cref="IBlobSasSigner"/> URLs.</summary>
    Uri GetBlobUri(string container, string name);

    /// <summary>Tries to take an exclusive lease on a blob (created empty if missing); null when another holder has it.</summary>
    Task<IBlobLease?> TryAcquireLeaseAsync(string container, string name, TimeSpan duration, CancellationToken cancellationToken);

    /// <summary>
    /// Stages one uncommitted block of a block blob. Storage checks <paramref name="md5"/> against the bytes it received and
    /// refuses a mismatch (a <see cref="StorageException"/> with status 400). Staging the same id again replaces the block.
    /// </summary>
    Task StageBlockAsync(string container, string name, string blockId, ReadOnlyMemory<byte> content, byte[] md5, CancellationToken cancellationToken);

    /// <summary>The ids of the blob's uncommitted blocks (none when the blob has no staged blocks).</summary>
    Task<IReadOnlyList<string>> ListUncommittedBlocksAsync(string container, string name, CancellationToken cancellationToken);

    /// <summary>
    /// Commits the staged blocks, in this order, as the blob's content. With <see cref="BlobWriteOptions.IfNotExists"/> a
    /// blob that exists already is refused (<see cref="StorageConflictException"/> or <see cref="StoragePreconditionFailedException"/>).
    /// </summary>
    Task CommitBlocksAsync(string container, string name, IReadOnlyList<string> blockIds, BlobWriteOptions? options, CancellationToken cancellationToken);
}

/// <summary>A received queue message. <see cref="PopReceipt"/> changes whenever its visibility is updated.</summary>
public sealed record QueueMessage(string Id, string PopReceipt, string Body, int DequeueCount, DateTimeOffset? InsertedOn);

/// <summary>Storage queues. Bodies are base64-encoded on the wire, as the Functions host and Event Grid expect.</summary>
public interface IQueueStore
{
    Task EnqueueAsync(string queue, string body, TimeSpan? initialVisibilityDelay, CancellationToken cancellationToken);

    Task<IReadOnlyList<QueueMessage>> ReceiveAsync(string queue, int maxMessages, TimeSpan visibilityTimeout, CancellationToken cancellationToken);

    Task DeleteAsync(string queue, QueueMessage message, CancellationToken cancellationToken);

    /// <summary>Hides the message for <paramref name="visibilityTimeout"/> more; returns it with its new pop receipt.</summary>
    Task<QueueMessage> UpdateVisibilityAsync(string queue, QueueMessage message, TimeSpan visibilityTimeout, CancellationToken cancellationToken);

    Task<IReadOnlyList<QueueMessage>> PeekAsync(string queue, int maxMessages, CancellationToken cancellationToken);

    Task<int> GetApproximateCountAsync(string queue, CancellationToken cancellationToken);
}

/// <summary>Told of every message this process enqueues (the local runtime wakes its listeners with it instead of waiting out a poll).</summary>
public interface IQueueObserver
{
    void OnEnqueued(string queue, TimeSpan? initialVisibilityDelay);
}

/// <summary>A table row: keys, typed properties (string, long, int, double, bool, DateTimeOffset, Guid, byte[]) and its ETag.</summary>
public sealed record TableRow(
    string PartitionKey,
    string RowKey,
    IReadOnlyDictionary<string, object?> Properties,
    string? ETag = null,
    DateTimeOffset? Timestamp = null)
{
    public string? GetString(string name) => Properties.TryGetValue(name, out var v) ? v as string : null;

    public long? GetInt64(string name) => Properties.TryGetValue(name, out var v) ? v switch
    {
        long l => l,
        int i => i,
        _ => null,
    } : null;

    public double? GetDouble(string name) => Properties.TryGetValue(name, out var v) ? v switch
    {
        double d => d,
        long l => l,
        int i => i,
        _ => null,
    } : null;

    public bool? GetBoolean(string name) => Properties.TryGetValue(name, out var v) ? v as bool? : null;

    /// <summary>A date property; the service returns them as UTC <see cref="DateTime"/> values.</summary>
    public DateTimeOffset? GetDateTimeOffset(string name) => Properties.TryGetValue(name, out var v) ? v switch
    {
        DateTimeOffset dto => dto,
        DateTime dt => new DateTimeOffset(DateTime.SpecifyKind(dt, dt.Kind == DateTimeKind.Unspecified ? DateTimeKind.Utc : dt.Kind)).ToUniversalTime(),
        _ => null,
    } : null;
}

/// <summary>One page of a table query.</summary>
public sealed record TablePage(IReadOnlyList<TableRow> Rows, string? ContinuationToken);

/// <summary>Azure Tables. Writes return the new ETag.</summary>
public interface ITableStore
{
    Task<TableRow?> GetAsync(string table, string partitionKey, string rowKey, CancellationToken cancellationToken);

    /// <summary>Inserts; throws <see cref="StorageConflictException"/> when the row exists.</summary>
    Task<string> InsertAsync(string table, TableRow row, CancellationToken cancellationToken);

    /// <summary>Replaces the row if its ETag still matches (<see cref="TableRow.ETag"/>, or "*" to force); throws <see cref="StoragePreconditionFailedException"/> otherwise.</summary>
    Task<string> ReplaceAsync(string table, TableRow row, CancellationToken cancellationToken);

    Task<string> UpsertAsync(string table, TableRow row, CancellationToken cancellationToken);

    /// <summary>Deletes a row; a missing row is not an error. With an ETag, throws <see cref="StoragePreconditionFailedException"/> on mismatch.</summary>
    Task DeleteAsync(string table, string partitionKey, string rowKey, string? eTag, CancellationToken cancellationToken);

    /// <summary>Inserts or replaces up to 100 rows of one partition atomically.</summary>
    Task UpsertBatchAsync(string table, IReadOnlyList<TableRow> rows, CancellationToken cancellationToken);

    /// <summary>Inserts up to 100 rows of one partition atomically; throws <see cref="StorageConflictException"/> if any exists.</summary>
    Task InsertBatchAsync(string table, IReadOnlyList<TableRow> rows, CancellationToken cancellationToken);

    Task<TablePage> QueryPageAsync(string table, string? filter, int take, string? continuationToken, CancellationToken cancellationToken);

    IAsyncEnumerable<TableRow> QueryAsync(string table, string? filter, CancellationToken cancellationToken);
}

public class StorageException : Exception
{
    public StorageException(string message, int statusCode, Exception? inner = null)
        : base(message, inner) => StatusCode = statusCode;

    public StorageException()
    {
    }

    public StorageException(string message)
        : base(message)
    {
    }

    public StorageException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The HTTP status the service answered, or 0 when it could not be reached.</summary>
    public int StatusCode { get; }
}

public sealed class StorageNotFoundException(string message, Exception? inner = null) : StorageException(message, 404, inner);

public sealed class StorageConflictException(string message, Exception? inner = null) : StorageException(message, 409, inner);

public sealed class StoragePreconditionFailedException(string message, Exception? inner = null) : StorageException(message, 412, inner);

/// <summary>Storage could not be reached or answered with a server error: retry later.</summary>
public sealed class StorageUnavailableException(string message, Exception? inner = null) : StorageException(message, 503, inner);
