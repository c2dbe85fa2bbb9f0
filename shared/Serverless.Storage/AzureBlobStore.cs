using System.Runtime.CompilerServices;
using System.Text;
using Azure;
using Azure.Storage;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;

namespace Serverless.Storage;

internal sealed class AzureBlobStore(AzureStorageClients clients) : IBlobStore
{
    private BlobClient Blob(string container, string name) => clients.Blobs.GetBlobContainerClient(container).GetBlobClient(name);

    public Task UploadAsync(string container, string name, Stream content, BlobWriteOptions? options, CancellationToken cancellationToken) =>
        clients.Run(
            StorageService.Blob,
            $"upload {container}/{name}",
            ct => Blob(container, name).UploadAsync(content, UploadOptions(options), ct),
            cancellationToken);

    public Task UploadFileAsync(string container, string name, string path, BlobWriteOptions? options, CancellationToken cancellationToken) =>
        clients.Run(
            StorageService.Blob,
            $"upload {container}/{name}",
            ct => Blob(container, name).UploadAsync(path, UploadOptions(options), ct),
            cancellationToken);

    public async Task<Stream> OpenReadAsync(string container, string name, CancellationToken cancellationToken)
    {
        // Not under the operation budget: the stream outlives this call, and each of its reads has the network timeout.
        try
        {
            return await Blob(container, name).OpenReadAsync(new BlobOpenReadOptions(allowModifications: false), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (StorageErrors.Map(ex, StorageService.Blob, $"read {container}/{name}", clients.Connection) is { } mapped)
        {
            throw mapped;
        }
    }

    public Task DownloadToFileAsync(string container, string name, string path, CancellationToken cancellationToken) =>
        clients.Run(
            StorageService.Blob,
            $"download {container}/{name}",
            ct => Blob(container, name).DownloadToAsync(path, ct),
            cancellationToken);

    public async Task<string?> ReadTextAsync(string container, string name, CancellationToken cancellationToken)
    {
        try
        {
            var content = await clients.Run(
                StorageService.Blob,
                $"read {container}/{name}",
                async ct => (await Blob(container, name).DownloadContentAsync(ct).ConfigureAwait(false)).Value.Content,
                cancellationToken).ConfigureAwait(false);
            var bytes = content.ToMemory().Span;
            return Encoding.UTF8.GetString(bytes.StartsWith(Encoding.UTF8.Preamble) ? bytes[Encoding.UTF8.Preamble.Length..] : bytes);
        }
        catch (StorageNotFoundException)
        {
            return null;
        }
    }

    public async Task<BlobItemInfo?> GetInfoAsync(string container, string name, CancellationToken cancellationToken)
    {
        try
        {
            var properties = await clients.Run(
                StorageService.Blob,
                $"stat {container}/{name}",
                async ct => (await Blob(container, name).GetPropertiesAsync(cancellationToken: ct).ConfigureAwait(false)).Value,
                cancellationToken).ConfigureAwait(false);
            return new BlobItemInfo(
                container,
                name,
                properties.ContentLength,
                properties.ContentType,
                properties.LastModified,
                properties.ETag.ToString(),
                new Dictionary<string, string>(properties.Metadata, StringComparer.OrdinalIgnoreCase));
        }
        catch (StorageNotFoundException)
        {
            return null;
        }
    }

    public async IAsyncEnumerable<BlobItemInfo> ListAsync(string container, string? prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var client = clients.Blobs.GetBlobContainerClient(container);
        var options = new GetBlobsOptions { Traits = BlobTraits.Metadata, Prefix = prefix };
        string? continuation = null;
        do
        {
            // One page per call, each under the operation budget.
            var page = await clients.Run(
                StorageService.Blob,
                $"list {container}/{prefix}",
                async ct =>
                {
                    await foreach (var first in client.GetBlobsAsync(options, ct).AsPages(continuation, 1000).ConfigureAwait(false))
                    {
                        return first;
                    }

                    return null;
                },
                cancellationToken).ConfigureAwait(false);
            if (page is null)
            {
                yield break;
            }

            foreach (var item in page.Values)
            {
                yield return new BlobItemInfo(
                    container,
                    item.Name,
                    item.Properties.ContentLength ?? 0,
                    item.Properties.ContentType,
                    item.Properties.LastModified,
                    item.Properties.ETag?.ToString(),
                    new Dictionary<string, string>(item.Metadata ?? new Dictionary<string, string>(), StringComparer.OrdinalIgnoreCase));
            }

            continuation = page.ContinuationToken;
        }
        while (!string.IsNullOrEmpty(continuation));
    }

    public Task<bool> DeleteAsync(string container, string name, CancellationToken cancellationToken) =>
        clients.Run(
            StorageService.Blob,
            $"delete {container}/{name}",
            async ct => (await Blob(container, name).DeleteIfExistsAsync(DeleteSnapshotsOption.IncludeSnapshots, cancellationToken: ct).ConfigureAwait(false)).Value,
            cancellationToken);

    public async Task<int> DeletePrefixAsync(string container, string prefix, CancellationToken cancellationToken)
    {
        var names = new List<string>();
        await foreach (var item in ListAsync(container, prefix, cancellationToken).ConfigureAwait(false))
        {
            names.Add(item.Name);
        }

        var deleted = 0;
        await Parallel.ForEachAsync(
            names,
            new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken },
            async (name, ct) =>
            {
                if (await DeleteAsync(container, name, ct).ConfigureAwait(false))
                {
                    Interlocked.Increment(ref deleted);
                }
            }).ConfigureAwait(false);
        return deleted;
    }

    public Uri GetBlobUri(string container, string name) => Blob(container, name).Uri;

    public async Task<IBlobLease?> TryAcquireLeaseAsync(string container, string name, TimeSpan duration, CancellationToken cancellationToken)
    {
        var blob = Blob(container, name);
        try
        {
            await clients.Run(
                StorageService.Blob,
                $"create lease blob {container}/{name}",
                ct => blob.UploadAsync(BinaryData.Empty, new BlobUploadOptions { Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All } }, ct),
                cancellationToken).ConfigureAwait(false);
        }
        catch (StorageException ex) when (ex.StatusCode is 409 or 412)
        {
            // The lease blob exists already (possibly leased): fine.
        }

        var leases = blob.GetBlobLeaseClient();
        try
        {
            var lease = await clients.Run(
                StorageService.Blob,
                $"lease {container}/{name}",
                async ct => (await leases.AcquireAsync(duration, cancellationToken: ct).ConfigureAwait(false)).Value,
                cancellationToken).ConfigureAwait(false);
            return new Lease(clients, leases, $"{container}/{name}", lease.LeaseId);
        }
        catch (StorageConflictException)
        {
            return null;
        }
    }

    public Task StageBlockAsync(string container, string name, string blockId, ReadOnlyMemory<byte> content, byte[] md5, CancellationToken cancellationToken) =>
        clients.Run(
            StorageService.Blob,
            $"stage block of {container}/{name}",
            async ct =>
            {
                using var stream = new MemoryStream(content.ToArray(), writable: false);
                await Blocks(container, name).StageBlockAsync(
                    blockId,
                    stream,
                    new BlockBlobStageBlockOptions { TransferValidation = new() { ChecksumAlgorithm = StorageChecksumAlgorithm.MD5, PrecalculatedChecksum = md5 } },
                    ct).ConfigureAwait(false);
            },
            cancellationToken);

    public async Task<IReadOnlyList<string>> ListUncommittedBlocksAsync(string container, string name, CancellationToken cancellationToken)
    {
        try
        {
            var list = await clients.Run(
                StorageService.Blob,
                $"list blocks of {container}/{name}",
                async ct => (await Blocks(container, name).GetBlockListAsync(BlockListTypes.Uncommitted, cancellationToken: ct).ConfigureAwait(false)).Value,
                cancellationToken).ConfigureAwait(false);
            return list.UncommittedBlocks.Select(b => b.Name).ToList();
        }
        catch (StorageNotFoundException)
        {
            return [];
        }
    }

    public Task CommitBlocksAsync(string container, string name, IReadOnlyList<string> blockIds, BlobWriteOptions? options, CancellationToken cancellationToken) =>
        clients.Run(
            StorageService.Blob,
            $"commit blocks of {container}/{name}",
            ct => Blocks(container, name).CommitBlockListAsync(
                blockIds,
                new CommitBlockListOptions
                {
                    HttpHeaders = new BlobHttpHeaders { ContentType = options?.ContentType, CacheControl = options?.CacheControl },
                    Metadata = options?.Metadata is { } metadata ? new Dictionary<string, string>(metadata) : null,
                    Conditions = options?.IfNotExists == true ? new BlobRequestConditions { IfNoneMatch = ETag.All } : null,
                },
                ct),
            cancellationToken);

    private BlockBlobClient Blocks(string container, string name) => clients.Blobs.GetBlobContainerClient(container).GetBlockBlobClient(name);

    private static BlobUploadOptions UploadOptions(BlobWriteOptions? options) => new()
    {
        HttpHeaders = new BlobHttpHeaders { ContentType = options?.ContentType, CacheControl = options?.CacheControl },
        Metadata = options?.Metadata is { } metadata ? new Dictionary<string, string>(metadata) : null,
        Conditions = options?.IfNotExists == true ? new BlobRequestConditions { IfNoneMatch = ETag.All } : null,
        TransferOptions = new Azure.Storage.StorageTransferOptions
        {
            InitialTransferSize = 4 * 1024 * 1024,
            MaximumTransferSize = 4 * 1024 * 1024,
            MaximumConcurrency = 2,
        },
    };

    private sealed class Lease(AzureStorageClients clients, BlobLeaseClient leases, string blob, string leaseId) : IBlobLease
    {
        public string LeaseId => leaseId;

        public Task RenewAsync(CancellationToken cancellationToken) =>
            clients.Run(StorageService.Blob, $"renew lease {blob}", ct => leases.RenewAsync(cancellationToken: ct), cancellationToken);

        public async ValueTask DisposeAsync()
        {
            try
            {
                await leases.ReleaseAsync().ConfigureAwait(false);
            }
            catch (RequestFailedException)
            {
                // Lost or expired already: the lease lapses on its own.
            }
        }
    }
}
