using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.WindowsAzure.Storage;
using Microsoft.WindowsAzure.Storage.Blob;

namespace Serverless.Storage;

internal sealed class AzureBlobStore(AzureStorageClients clients) : IBlobStore
{
    private CloudBlockBlob Blob(string container, string name) =>
        clients.Blobs.GetContainerReference(container).GetBlockBlobReference(name);

    public Task UploadAsync(string container, string name, Stream content, BlobWriteOptions? options, CancellationToken cancellationToken)
    {
        var blob = Prepare(container, name, options);
        return StorageErrors.Guard(
            () => blob.UploadFromStreamAsync(content, Condition(options), null, null, cancellationToken),
            $"upload {container}/{name}");
    }

    public Task UploadFileAsync(string container, string name, string path, BlobWriteOptions? options, CancellationToken cancellationToken)
    {
        var blob = Prepare(container, name, options);
        return StorageErrors.Guard(
            () => blob.UploadFromFileAsync(path, Condition(options), null, null, cancellationToken),
            $"upload {container}/{name}");
    }

    public Task<Stream> OpenReadAsync(string container, string name, CancellationToken cancellationToken) =>
        StorageErrors.Guard(() => Blob(container, name).OpenReadAsync(null, null, null, cancellationToken), $"read {container}/{name}");

    public Task DownloadToFileAsync(string container, string name, string path, CancellationToken cancellationToken) =>
        StorageErrors.Guard(
            () => Blob(container, name).DownloadToFileAsync(path, FileMode.Create, null, null, null, cancellationToken),
            $"download {container}/{name}");

    public async Task<string?> ReadTextAsync(string container, string name, CancellationToken cancellationToken)
    {
        try
        {
            return await StorageErrors.Guard(
                () => Blob(container, name).DownloadTextAsync(Encoding.UTF8, null, null, null, cancellationToken),
                $"read {container}/{name}").ConfigureAwait(false);
        }
        catch (StorageNotFoundException)
        {
            return null;
        }
    }

    public async Task<BlobItemInfo?> GetInfoAsync(string container, string name, CancellationToken cancellationToken)
    {
        var blob = Blob(container, name);
        try
        {
            await StorageErrors.Guard(() => blob.FetchAttributesAsync(null, null, null, cancellationToken), $"stat {container}/{name}")
                .ConfigureAwait(false);
        }
        catch (StorageNotFoundException)
        {
            return null;
        }

        return ToInfo(container, blob);
    }

    public async IAsyncEnumerable<BlobItemInfo> ListAsync(string container, string? prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var reference = clients.Blobs.GetContainerReference(container);
        BlobContinuationToken? token = null;
        do
        {
            var segment = await StorageErrors.Guard(
                () => reference.ListBlobsSegmentedAsync(prefix, true, BlobListingDetails.Metadata, 1000, token, null, null, cancellationToken),
                $"list {container}/{prefix}").ConfigureAwait(false);
            foreach (var item in segment.Results.OfType<CloudBlob>())
            {
                yield return ToInfo(container, item);
            }

            token = segment.ContinuationToken;
        }
        while (token is not null);
    }

    public Task<bool> DeleteAsync(string container, string name, CancellationToken cancellationToken) =>
        StorageErrors.Guard(
            () => Blob(container, name).DeleteIfExistsAsync(DeleteSnapshotsOption.IncludeSnapshots, null, null, null, cancellationToken),
            $"delete {container}/{name}");

    public async Task<int> DeletePrefixAsync(string container, string prefix, CancellationToken cancellationToken)
    {
        var names = new List<string>();
        await foreach (var item in ListAsync(container, prefix, cancellationToken).ConfigureAwait(false))
        {
            names.Add(item.Name);
        }

        var deleted = 0;
        foreach (var name in names)
        {
            if (await DeleteAsync(container, name, cancellationToken).ConfigureAwait(false))
            {
                deleted++;
            }
        }

        return deleted;
    }

    public Uri GetBlobUri(string container, string name) => Blob(container, name).Uri;

    public Uri GetSasUri(string container, string name, BlobSasPermissions permissions, DateTimeOffset expiresOn, DateTimeOffset? startsOn = null)
    {
        if (permissions == BlobSasPermissions.None)
        {
            throw new ArgumentException("A SAS needs at least one permission.", nameof(permissions));
        }

        var blob = Blob(container, name);
        var policy = new SharedAccessBlobPolicy
        {
            Permissions = ToSdk(permissions),
            SharedAccessExpiryTime = expiresOn,
            SharedAccessStartTime = startsOn,
        };
        var protocol = clients.IsDevelopmentStorage ? SharedAccessProtocol.HttpsOrHttp : SharedAccessProtocol.HttpsOnly;
        var sas = blob.GetSharedAccessSignature(policy, null, null, protocol, null);
        return new Uri(blob.Uri.AbsoluteUri + sas);
    }

    public async Task<IBlobLease?> TryAcquireLeaseAsync(string container, string name, TimeSpan duration, CancellationToken cancellationToken)
    {
        var blob = Blob(container, name);
        try
        {
            await blob.UploadFromByteArrayAsync([], 0, 0, AccessCondition.GenerateIfNotExistsCondition(), null, null, cancellationToken)
                .ConfigureAwait(false);
        }
        catch (Microsoft.WindowsAzure.Storage.StorageException ex) when (ex.RequestInformation?.HttpStatusCode is 409 or 412)
        {
            // The lease blob exists already (possibly leased): fine.
        }
        catch (Microsoft.WindowsAzure.Storage.StorageException ex)
        {
            throw StorageErrors.Map(ex, $"create lease blob {container}/{name}");
        }

        try
        {
            var id = await blob.AcquireLeaseAsync(duration, null, null, null, null, cancellationToken).ConfigureAwait(false);
            return new Lease(blob, id);
        }
        catch (Microsoft.WindowsAzure.Storage.StorageException ex) when (ex.RequestInformation?.HttpStatusCode == 409)
        {
            return null;
        }
        catch (Microsoft.WindowsAzure.Storage.StorageException ex)
        {
            throw StorageErrors.Map(ex, $"lease {container}/{name}");
        }
    }

    private CloudBlockBlob Prepare(string container, string name, BlobWriteOptions? options)
    {
        var blob = Blob(container, name);
        if (options?.ContentType is { } type)
        {
            blob.Properties.ContentType = type;
        }

        if (options?.CacheControl is { } cache)
        {
            blob.Properties.CacheControl = cache;
        }

        if (options?.Metadata is { } metadata)
        {
            foreach (var (key, value) in metadata)
            {
                blob.Metadata[key] = value;
            }
        }

        return blob;
    }

    private static AccessCondition? Condition(BlobWriteOptions? options) =>
        options?.IfNotExists == true ? AccessCondition.GenerateIfNotExistsCondition() : null;

    private static BlobItemInfo ToInfo(string container, CloudBlob blob) => new(
        container,
        blob.Name,
        blob.Properties.Length,
        blob.Properties.ContentType,
        blob.Properties.LastModified,
        blob.Properties.ETag,
        new Dictionary<string, string>(blob.Metadata, StringComparer.OrdinalIgnoreCase));

    private static SharedAccessBlobPermissions ToSdk(BlobSasPermissions permissions)
    {
        var result = SharedAccessBlobPermissions.None;
        if (permissions.HasFlag(BlobSasPermissions.Read))
        {
            result |= SharedAccessBlobPermissions.Read;
        }

        if (permissions.HasFlag(BlobSasPermissions.Write))
        {
            result |= SharedAccessBlobPermissions.Write;
        }

        if (permissions.HasFlag(BlobSasPermissions.Create))
        {
            result |= SharedAccessBlobPermissions.Create;
        }

        if (permissions.HasFlag(BlobSasPermissions.Delete))
        {
            result |= SharedAccessBlobPermissions.Delete;
        }

        return result;
    }

    private sealed class Lease(CloudBlockBlob blob, string leaseId) : IBlobLease
    {
        public string LeaseId => leaseId;

        public Task RenewAsync(CancellationToken cancellationToken) =>
            StorageErrors.Guard(
                () => blob.RenewLeaseAsync(AccessCondition.GenerateLeaseCondition(leaseId), null, null, cancellationToken),
                $"renew lease {blob.Name}");

        public async ValueTask DisposeAsync()
        {
            try
            {
                await blob.ReleaseLeaseAsync(AccessCondition.GenerateLeaseCondition(leaseId)).ConfigureAwait(false);
            }
            catch (Microsoft.WindowsAzure.Storage.StorageException)
            {
                // Lost or expired already: the lease lapses on its own.
            }
        }
    }
}
