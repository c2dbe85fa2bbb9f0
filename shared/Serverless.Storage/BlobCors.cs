using Microsoft.WindowsAzure.Storage.Shared.Protocol;

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
    public bool IsDevelopmentStorage => clients.IsDevelopmentStorage;

    public Task AllowBrowserOriginsAsync(IReadOnlyList<string> origins, CancellationToken cancellationToken) =>
        StorageErrors.Guard(
            async () =>
            {
                var properties = await clients.Blobs.GetServicePropertiesAsync(null, null, cancellationToken).ConfigureAwait(false);
                if (properties.Cors.CorsRules.Any(r => r.AllowedOrigins.SequenceEqual(origins, StringComparer.Ordinal)))
                {
                    return;
                }

                properties.Cors.CorsRules.Add(new CorsRule
                {
                    AllowedOrigins = origins.ToList(),
                    AllowedMethods = CorsHttpMethods.Get | CorsHttpMethods.Head | CorsHttpMethods.Put | CorsHttpMethods.Options,
                    AllowedHeaders = ["*"],
                    ExposedHeaders = ["*"],
                    MaxAgeInSeconds = 3600,
                });
                await clients.Blobs.SetServicePropertiesAsync(properties, null, null, cancellationToken).ConfigureAwait(false);
            },
            "set blob service CORS rules");
}
