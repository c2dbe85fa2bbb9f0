using Microsoft.Extensions.Options;
using Microsoft.WindowsAzure.Storage;
using Microsoft.WindowsAzure.Storage.Blob;
using Microsoft.WindowsAzure.Storage.Queue;
using Microsoft.WindowsAzure.Storage.RetryPolicies;
using Microsoft.WindowsAzure.Storage.Table;

namespace Serverless.Storage;

/// <summary>The legacy SDK's clients, configured once with timeouts and retries.</summary>
internal sealed class AzureStorageClients
{
    public AzureStorageClients(IOptions<StorageOptions> options)
    {
        var o = options.Value;
        Account = CloudStorageAccount.Parse(o.ConnectionString);
        var retry = new ScopedRetryPolicy(
            new ExponentialRetry(TimeSpan.FromMilliseconds(500), o.MaxRetries),
            o.InteractiveMaxRetries,
            TimeSpan.FromMilliseconds(200));
        var serverTimeout = TimeSpan.FromSeconds(o.RequestTimeoutSeconds);
        var maxTime = TimeSpan.FromSeconds(o.OperationTimeoutSeconds);

        Blobs = Account.CreateCloudBlobClient();
        Blobs.DefaultRequestOptions = new BlobRequestOptions
        {
            RetryPolicy = retry,
            ServerTimeout = serverTimeout,
            MaximumExecutionTime = maxTime,
            ParallelOperationThreadCount = 2,
            SingleBlobUploadThresholdInBytes = 4 * 1024 * 1024,
        };
        Queues = Account.CreateCloudQueueClient();
        Queues.DefaultRequestOptions = new QueueRequestOptions
        {
            RetryPolicy = retry,
            ServerTimeout = serverTimeout,
            MaximumExecutionTime = maxTime,
        };
        Tables = Account.CreateCloudTableClient();
        Tables.DefaultRequestOptions = new TableRequestOptions
        {
            RetryPolicy = retry,
            ServerTimeout = serverTimeout,
            MaximumExecutionTime = maxTime,
            PayloadFormat = TablePayloadFormat.Json,
        };
        IsDevelopmentStorage = Account.BlobEndpoint.IsLoopback
            || o.ConnectionString.Contains("UseDevelopmentStorage=true", StringComparison.OrdinalIgnoreCase);
    }

    public CloudStorageAccount Account { get; }

    public CloudBlobClient Blobs { get; }

    public CloudQueueClient Queues { get; }

    public CloudTableClient Tables { get; }

    /// <summary>Azurite (plain HTTP on loopback): SAS cannot require HTTPS there.</summary>
    public bool IsDevelopmentStorage { get; }
}

/// <summary>Maps the SDK's exceptions to the domain's.</summary>
internal static class StorageErrors
{
    public static async Task<T> Guard<T>(Func<Task<T>> action, string what)
    {
        try
        {
            return await action().ConfigureAwait(false);
        }
        catch (Microsoft.WindowsAzure.Storage.StorageException ex)
        {
            throw Map(ex, what);
        }
    }

    public static async Task Guard(Func<Task> action, string what)
    {
        try
        {
            await action().ConfigureAwait(false);
        }
        catch (Microsoft.WindowsAzure.Storage.StorageException ex)
        {
            throw Map(ex, what);
        }
    }

    public static StorageException Map(Microsoft.WindowsAzure.Storage.StorageException ex, string what)
    {
        var status = ex.RequestInformation?.HttpStatusCode ?? 0;
        var code = ex.RequestInformation?.ErrorCode;
        var message = $"{what}: {status} {code} {ex.RequestInformation?.HttpStatusMessage}".TrimEnd();
        return status switch
        {
            404 => new StorageNotFoundException(message, ex),
            409 => new StorageConflictException(message, ex),
            412 => new StoragePreconditionFailedException(message, ex),
            // 0 and 306 (HttpStatusCode.Unused): no HTTP answer at all. The SDK also reports 306 when its own retry of a
            // table query breaks client-side ("same key has already been added. Key: timeout") after a refused connection.
            0 or 306 or 408 or 429 or >= 500 => new StorageUnavailableException(message, ex),
            _ => new StorageException(message, status, ex),
        };
    }
}
