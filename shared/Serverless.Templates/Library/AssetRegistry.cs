using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Serialization;
using Serverless.Storage;
using Serverless.Templates.Protocol;

namespace Serverless.Templates.Library;

/// <summary>A resource a template references, with the SHA-256 of its content so clients fetch and cache it once.</summary>
public sealed record TemplateAsset(
    [property: JsonPropertyName("url")] string Url,
    [property: JsonPropertyName("sha256")] string Sha256,
    [property: JsonPropertyName("length")] long Length,
    [property: JsonPropertyName("kind")] ResourceKind Kind);

/// <summary>The library's resources: effect shaders, sticker images and music, each a URL with a content hash.</summary>
public interface IAssetRegistry
{
    Task RegisterAsync(TemplateAsset asset, CancellationToken cancellationToken);

    /// <summary>The registered assets among <paramref name="urls"/>, keyed by URL.</summary>
    Task<IReadOnlyDictionary<string, TemplateAsset>> FindAsync(IEnumerable<string> urls, CancellationToken cancellationToken);
}

internal sealed class TableAssetRegistry(ITableStore tables) : IAssetRegistry
{
    public Task RegisterAsync(TemplateAsset asset, CancellationToken cancellationToken) =>
        tables.UpsertAsync(TemplateStorage.AssetTable, new TableRow("asset", Key(asset.Url), new Dictionary<string, object?>
        {
            ["Url"] = asset.Url,
            ["Sha256"] = asset.Sha256,
            ["Length"] = asset.Length,
            ["Kind"] = asset.Kind.ToString(),
        }), cancellationToken);

    public async Task<IReadOnlyDictionary<string, TemplateAsset>> FindAsync(IEnumerable<string> urls, CancellationToken cancellationToken)
    {
        var distinct = urls.Distinct(StringComparer.Ordinal).ToList();
        var rows = await Task.WhenAll(distinct.Select(u => tables.GetAsync(TemplateStorage.AssetTable, "asset", Key(u), cancellationToken))).ConfigureAwait(false);
        var result = new Dictionary<string, TemplateAsset>(StringComparer.Ordinal);
        foreach (var row in rows)
        {
            if (row?.GetString("Url") is { } url && row.GetString("Sha256") is { } sha
                && Enum.TryParse<ResourceKind>(row.GetString("Kind"), out var kind))
            {
                result[url] = new TemplateAsset(url, sha, row.GetInt64("Length") ?? 0, kind);
            }
        }

        return result;
    }

    /// <summary>URLs hold characters table keys forbid; the key is the URL's SHA-256.</summary>
    private static string Key(string url) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(url)));
}
