using Azure.Storage.Blobs.Models;

namespace Serverless.Storage;

/// <summary>
/// The blob service's CORS rules. A browser page (the local demo page with hls.js) fetches segments through their SAS
/// URLs from another origin than the app's, which the blob service answers only when a CORS rule allows it.
/// </summary>
public interface IBlobCors
{
    /// <summary>True for the local emulator (Azurite on loopback), where the app may set its own CORS rules.</summary>
    bool IsDevelopmentStorage { get; }

    /// <summary>Adds a rule letting <paramref name="origins"/> GET, HEAD and PUT blobs (SAS still required); idempotent.</summary>
    Task AllowBrowserOriginsAsync(IReadOnlyList<string> origins, CancellationToken cancellationToken);
}

internal sealed class AzureBlobCors(AzureStorageClients clients) : IBlobCors
{
    public bool IsDevelopmentStorage => clients.Connection.IsLocalEmulator;

    public Task AllowBrowserOriginsAsync(IReadOnlyList<string> origins, CancellationToken cancellationToken) =>
        clients.Run(
            StorageService.Blob,
            "set blob service CORS rules",
            async ct =>
            {
                var properties = (await clients.Blobs.GetPropertiesAsync(ct).ConfigureAwait(false)).Value;
                var wanted = string.Join(',', origins);
                if (properties.Cors.Any(r => string.Equals(r.AllowedOrigins, wanted, StringComparison.Ordinal)))
                {
                    return;
                }

                properties.Cors.Add(new BlobCorsRule
                {
                    AllowedOrigins = wanted,
                    AllowedMethods = "GET,HEAD,PUT,OPTIONS",
                    AllowedHeaders = "*",
                    ExposedHeaders = "*",
                    MaxAgeInSeconds = 3600,
                });
                await clients.Blobs.SetPropertiesAsync(properties, ct).ConfigureAwait(false);
            },
            cancellationToken);
}
