using Microsoft.Extensions.Options;
using Serverless.Functions;
using Serverless.Storage;

namespace Serverless.LocalHost.Runtime;

/// <summary>
/// Event Grid's part on a developer machine: watches each <see cref="BlobCreatedSubscription"/>'s container and raises an
/// Event Grid (EventGridSchema) <c>Microsoft.Storage.BlobCreated</c> event into its queue for every new blob, once across
/// every process sharing the storage (a claim row in <see cref="WatchTable"/> first). It runs inside the local host, and
/// alone (<c>Serverless.LocalHost --event-grid</c>) beside the Functions host, which has no Event Grid locally either: one
/// mechanism wherever the app runs on Azurite.
/// </summary>
internal sealed partial class UploadsWatcher(
    IBlobStore blobs,
    IQueueStore queues,
    ITableStore tables,
    IEnumerable<BlobCreatedSubscription> subscriptions,
    IOptions<LocalRuntimeOptions> options,
    TimeProvider time,
    ILogger<UploadsWatcher> logger) : BackgroundService
{
    /// <summary>Blobs the watcher has already announced.</summary>
    public const string WatchTable = "LocalRuntimeUploads";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.Enabled)
        {
            return;
        }

        var watching = subscriptions.Distinct().ToList();
        LogStarted(watching.Count);
        await Task.WhenAll(watching.Select(s => RunWatcherAsync(s, stoppingToken))).ConfigureAwait(false);
    }

    private async Task RunWatcherAsync(BlobCreatedSubscription subscription, CancellationToken stoppingToken)
    {
        var interval = TimeSpan.FromSeconds(options.Value.UploadWatchIntervalSeconds);
        var announced = new HashSet<string>(StringComparer.Ordinal);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await foreach (var blob in blobs.ListAsync(subscription.Container, null, stoppingToken).ConfigureAwait(false))
                {
                    if (blob.Length == 0 && blob.ContentType is null)
                    {
                        continue;
                    }

                    var key = $"{blob.Name}@{blob.ETag}";
                    if (announced.Contains(key))
                    {
                        continue;
                    }

                    var rowKey = WatchRowKey(blob);
                    try
                    {
                        // Claim first, so instances sharing the storage announce each blob once. A crash between the
                        // claim and the send loses this event; the pipeline's sweep starts uploads whose event was lost.
                        await tables.InsertAsync(
                            WatchTable,
                            new TableRow(subscription.Container, rowKey, new Dictionary<string, object?> { ["Blob"] = blob.Name, ["ETag"] = blob.ETag }),
                            stoppingToken).ConfigureAwait(false);
                        var evt = BlobCreatedEvents.Create(blobs.GetBlobUri(subscription.Container, blob.Name), subscription.Container, blob, time.GetUtcNow());
                        await queues.EnqueueAsync(subscription.Queue, evt, null, stoppingToken).ConfigureAwait(false);
                        LogAnnounced(subscription.Container, blob.Name);
                    }
                    catch (StorageConflictException)
                    {
                        // Another instance announced it.
                    }

                    announced.Add(key);
                }

                await Task.Delay(interval, time, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (StorageException ex)
            {
                LogQueueUnavailable(subscription.Container, ex.Message);
                await Task.Delay(TimeSpan.FromSeconds(2), time, stoppingToken).ConfigureAwait(false);
            }
        }
    }

    internal static string WatchRowKey(BlobItemInfo blob)
    {
        var bytes = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes($"{blob.Name}\n{blob.ETag}"));
        return Convert.ToHexString(bytes);
    }

    [LoggerMessage(EventId = 129, Level = LogLevel.Information, Message = "Uploads watcher started: {Watchers} containers")]
    private partial void LogStarted(int watchers);

    [LoggerMessage(EventId = 122, Level = LogLevel.Warning, Message = "Storage unavailable for {Resource}: {Reason}")]
    private partial void LogQueueUnavailable(string resource, string reason);

    [LoggerMessage(EventId = 127, Level = LogLevel.Information, Message = "BlobCreated raised for {Container}/{Blob}")]
    private partial void LogAnnounced(string container, string blob);
}

/// <summary>Creates the declared containers, queues and tables before the watcher starts (in the <c>--event-grid</c> process).</summary>
internal sealed class ProvisionOnStart(IStorageProvisioner provisioner) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => provisioner.EnsureCreatedAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
