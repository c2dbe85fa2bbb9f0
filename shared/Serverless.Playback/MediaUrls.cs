using Microsoft.Extensions.Options;
using Serverless.Storage;

namespace Serverless.Playback;

/// <summary>
/// The read URLs of media handed to players (segments, posters): storage SAS URLs, on the media host when one is configured
/// (<see cref="PlaybackOptions.MediaBaseUrl"/>: a CDN or Front Door custom domain whose origin is the blob endpoint, so
/// the path and the SAS query pass through unchanged). A mini-program's <c>&lt;video&gt;</c> then loads from an ICP-filed
/// domain of the operator's, never from the storage account's own host.
/// </summary>
internal sealed class MediaUrls(IBlobSasSigner signer, IOptions<PlaybackOptions> options)
{
    private readonly Uri? _base = string.IsNullOrEmpty(options.Value.MediaBaseUrl) ? null : new Uri(options.Value.MediaBaseUrl.TrimEnd('/') + "/");

    public Uri Read(string container, string name, DateTimeOffset expiresOn) =>
        Rebase(signer.GetSasUri(container, name, BlobSasPermissions.Read, expiresOn), _base);

    /// <summary>The same path and query on <paramref name="mediaBase"/> (whose own path, if any, comes first).</summary>
    public static Uri Rebase(Uri storageUri, Uri? mediaBase) =>
        mediaBase is null ? storageUri : new Uri(mediaBase, storageUri.PathAndQuery.TrimStart('/'));
}
