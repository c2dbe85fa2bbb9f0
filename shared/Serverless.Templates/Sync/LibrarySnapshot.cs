using System.Collections.Concurrent;
using System.Globalization;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Serverless.Templates.Library;
using Serverless.Templates.Protocol;

namespace Serverless.Templates.Sync;

/// <summary>A published template held in memory, with its JSON pre-serialized for manifests.</summary>
public sealed record OnlineTemplate(
    MotionTemplate Template,
    ReadOnlyMemory<byte> Json,
    IReadOnlyList<TemplateAsset> Resources,
    string Blob,
    long ChangedVersion,
    DateTimeOffset FirstPublishedAt)
{
    /// <summary>A published document as clients sync it: the template with its effective image-count range written out,
    /// so a client filtering templates by its number of images needs no defaults of its own.</summary>
    public static OnlineTemplate FromPublished(PublishedDocument document, string blob, long changedVersion, DateTimeOffset firstPublishedAt)
    {
        ArgumentNullException.ThrowIfNull(document);
        var template = document.Template.WithEffectiveImageCounts();
        return new OnlineTemplate(template, TemplateJson.SerializeToUtf8Bytes(template), document.Resources, blob, changedVersion, firstPublishedAt);
    }
}

/// <summary>One manifest body, ready to send: its JSON, a gzip copy made on first demand, and a strong ETag.</summary>
public sealed class ManifestBody(byte[] json, string etag)
{
    private byte[]? _gzip;

    public byte[] Json { get; } = json;

    public string ETag { get; } = etag;

    /// <summary>The gzip representation has its own strong ETag (RFC 9110 §8.8.3).</summary>
    public string GzipETag { get; } = etag[..^1] + "-gz\"";

    public byte[] Gzip => _gzip ??= Compress(Json);

    private static byte[] Compress(byte[] json)
    {
        using var output = new MemoryStream(json.Length / 4 + 64);
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(json);
        }

        return output.ToArray();
    }
}

/// <summary>
/// The online library at one library version, immutable. Manifests are built from pre-serialized templates and
/// cached per <c>since</c>, so a poll costs a dictionary lookup and no storage I/O.
/// </summary>
public sealed class LibrarySnapshot
{
    private const int MaxCachedBodies = 256;

    private readonly OnlineTemplate[] _byChange;
    private readonly (string Id, long ChangedVersion)[] _removed;
    private readonly ConcurrentDictionary<long, ManifestBody> _bodies = new();
    private readonly long _lastChange;
    private ManifestBody? _full;

    public LibrarySnapshot(long version, IReadOnlyDictionary<string, OnlineTemplate> templates, IEnumerable<(string Id, long ChangedVersion)> removed)
    {
        Version = version;
        Templates = templates;
        _byChange = [.. templates.Values.OrderBy(t => t.ChangedVersion).ThenBy(t => t.Template.Id, StringComparer.Ordinal)];
        _removed = [.. removed.OrderBy(r => r.ChangedVersion).ThenBy(r => r.Id, StringComparer.Ordinal)];
        _lastChange = Math.Max(_byChange.Length > 0 ? _byChange[^1].ChangedVersion : 0, _removed.Length > 0 ? _removed[^1].ChangedVersion : 0);
        Fingerprint = ComputeFingerprint(version, _byChange, _removed);
    }

    public static LibrarySnapshot Empty { get; } = new(0, new Dictionary<string, OnlineTemplate>(), []);

    /// <summary>The library version clients pass back as <c>since</c>.</summary>
    public long Version { get; }

    /// <summary>Online templates by id (removed ones excluded).</summary>
    public IReadOnlyDictionary<string, OnlineTemplate> Templates { get; }

    /// <summary>Templates withdrawn from online, with the version that withdrew them.</summary>
    public IReadOnlyList<(string Id, long ChangedVersion)> Removed => _removed;

    /// <summary>Identifies the snapshot's content; part of every manifest ETag.</summary>
    public string Fingerprint { get; }

    /// <summary>The manifest for a client at <paramref name="since"/> (null: a new client, or one to resync).</summary>
    public ManifestBody GetManifest(long? since)
    {
        if (since is null || since > Version)
        {
            return _full ??= Build(null);
        }

        // Every since at or past the last change has the same (empty) body.
        var key = Math.Min(since.Value, _lastChange);
        if (_bodies.TryGetValue(key, out var body))
        {
            return body;
        }

        body = Build(key);
        return _bodies.Count < MaxCachedBodies ? _bodies.GetOrAdd(key, body) : body;
    }

    private ManifestBody Build(long? since)
    {
        var full = since is null;
        var upserts = full ? _byChange : _byChange.Where(t => t.ChangedVersion > since).ToArray();
        using var stream = new MemoryStream(64 + upserts.Sum(t => t.Json.Length + 1));
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            writer.WriteNumber("version", Version);
            writer.WriteBoolean("full", full);
            writer.WriteStartArray("upserts");
            foreach (var template in upserts)
            {
                writer.WriteRawValue(template.Json.Span, skipInputValidation: true);
            }

            writer.WriteEndArray();
            writer.WriteStartArray("removed");
            if (!full)
            {
                foreach (var (id, changed) in _removed)
                {
                    if (changed > since)
                    {
                        writer.WriteStringValue(id);
                    }
                }
            }

            writer.WriteEndArray();
            writer.WriteStartArray("resources");
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var asset in upserts.SelectMany(t => t.Resources))
            {
                if (seen.Add(asset.Url))
                {
                    JsonSerializer.Serialize(writer, asset, TemplateJson.Options);
                }
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        var etag = "\"" + Fingerprint + "." + (full ? "full" : since!.Value.ToString(CultureInfo.InvariantCulture)) + "\"";
        return new ManifestBody(stream.ToArray(), etag);
    }

    private static string ComputeFingerprint(long version, OnlineTemplate[] templates, (string Id, long ChangedVersion)[] removed)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes(version.ToString(CultureInfo.InvariantCulture)));
        foreach (var t in templates.OrderBy(t => t.Template.Id, StringComparer.Ordinal))
        {
            hash.AppendData(Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"|{t.Template.Id}:{t.Blob}:{t.ChangedVersion}")));
        }

        foreach (var (id, changed) in removed.OrderBy(r => r.Id, StringComparer.Ordinal))
        {
            hash.AppendData(Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"|-{id}:{changed}")));
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset())[..20];
    }
}
