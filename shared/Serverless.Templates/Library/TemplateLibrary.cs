using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Logging;
using Serverless.Storage;
using Serverless.Templates.Protocol;

namespace Serverless.Templates.Library;

/// <summary>A template as saved in staging.</summary>
/// <param name="ETag">The HTTP entity tag of this revision (<c>"r{revision}"</c>), for <c>If-Match</c>.</param>
public sealed record StagedTemplate(MotionTemplate Template, long Revision, string ETag, DateTimeOffset UpdatedAt, OnlineStatus? Online);

/// <summary>What online holds for a template.</summary>
public sealed record OnlineStatus(long Revision, long ChangedVersion, bool Removed);

public enum SaveStatus
{
    Created,
    Updated,

    /// <summary>The template exists and the request carried no If-Match: refused so no edit is lost.</summary>
    PreconditionRequired,

    /// <summary>If-Match named another revision, or the template changed meanwhile.</summary>
    PreconditionFailed,
}

public sealed record SaveOutcome(SaveStatus Status, StagedTemplate? Saved);

public enum PublishStatus
{
    Published,

    /// <summary>That revision is already online; the library version did not move.</summary>
    Unchanged,
    NotFound,
    PreconditionFailed,

    /// <summary>The template fails validation (or references resources without a registered hash).</summary>
    Invalid,

    /// <summary>A newer revision is already online.</summary>
    Conflict,
}

public sealed record PublishOutcome(PublishStatus Status, long LibraryVersion, long Revision, IReadOnlyList<TemplateError> Errors);

/// <summary>A published template with the content hashes of everything it references (the online blob).</summary>
public sealed record PublishedDocument(
    [property: JsonPropertyName("template")] MotionTemplate Template,
    [property: JsonPropertyName("resources")] IReadOnlyList<TemplateAsset> Resources);

/// <summary>One online row: what is published for a template, or its tombstone.</summary>
public sealed record OnlineEntry(string Id, long Revision, string Blob, string Sha256, long ChangedVersion, bool Removed, DateTimeOffset FirstPublishedAt);

/// <summary>The online library as stored: the library version and every online row.</summary>
public sealed record OnlineState(long Version, IReadOnlyList<OnlineEntry> Entries);

/// <summary>Staging and online template libraries. Operators edit staging; publishing copies a valid revision to
/// online and bumps the library version, which clients sync from.</summary>
public interface ITemplateLibrary
{
    Task<StagedTemplate?> GetStagingAsync(string id, CancellationToken cancellationToken);

    /// <summary>Saves a valid template to staging as the next revision. <paramref name="ifMatch"/> is required to overwrite.</summary>
    Task<SaveOutcome> SaveStagingAsync(MotionTemplate template, string? ifMatch, CancellationToken cancellationToken);

    /// <summary>Publishes the staging revision (the one named by <paramref name="ifMatch"/>, when given).</summary>
    Task<PublishOutcome> PublishAsync(string id, string? ifMatch, CancellationToken cancellationToken);

    /// <summary>Withdraws a template from online (a tombstone clients sync as removed).</summary>
    Task<PublishOutcome> UnpublishAsync(string id, CancellationToken cancellationToken);

    /// <summary>The library version: one read.</summary>
    Task<long> GetVersionAsync(CancellationToken cancellationToken);

    /// <summary>The library version and the online rows changed after <paramref name="changedAfter"/> (all rows when null).</summary>
    Task<OnlineState> ReadOnlineAsync(long? changedAfter, CancellationToken cancellationToken);

    Task<PublishedDocument> ReadPublishedAsync(string blob, CancellationToken cancellationToken);
}

internal sealed partial class TemplateLibrary(
    ITableStore tables,
    IBlobStore blobs,
    IAssetRegistry assets,
    TimeProvider time,
    ILogger<TemplateLibrary> logger) : ITemplateLibrary
{
    private const int MaxAttempts = 20;

    /// <summary>The attempt's mark on the online row and the head it wrote (see <see cref="CommitAsync"/>).</summary>
    private const string CommitToken = "Commit";

    public async Task<StagedTemplate?> GetStagingAsync(string id, CancellationToken cancellationToken)
    {
        var row = await tables.GetAsync(TemplateStorage.LibraryTable, TemplateStorage.StagingPartition, id, cancellationToken).ConfigureAwait(false);
        if (row is null)
        {
            return null;
        }

        var json = await blobs.ReadTextAsync(TemplateStorage.Container, row.GetString("Blob")!, cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"The staging blob of template '{id}' is missing.");
        var template = JsonSerializer.Deserialize<MotionTemplate>(json, TemplateJson.Options)!;
        var online = await tables.GetAsync(TemplateStorage.LibraryTable, TemplateStorage.OnlinePartition, id, cancellationToken).ConfigureAwait(false);
        return ToStaged(template, row, online);
    }

    public async Task<SaveOutcome> SaveStagingAsync(MotionTemplate template, string? ifMatch, CancellationToken cancellationToken)
    {
        var current = await tables.GetAsync(TemplateStorage.LibraryTable, TemplateStorage.StagingPartition, template.Id, cancellationToken).ConfigureAwait(false);
        if (current is not null && ifMatch is null)
        {
            return new SaveOutcome(SaveStatus.PreconditionRequired, null);
        }

        if (ifMatch is not null && ifMatch != "*" && (current is null || ifMatch != ETagOf(current.GetInt64("Revision") ?? 0)))
        {
            return new SaveOutcome(SaveStatus.PreconditionFailed, null);
        }

        if (ifMatch == "*" && current is null)
        {
            return new SaveOutcome(SaveStatus.PreconditionFailed, null);
        }

        var revision = (current?.GetInt64("Revision") ?? 0) + 1;
        var saved = WithVersion(template, revision);
        var bytes = TemplateJson.SerializeToUtf8Bytes(saved);
        var sha = Convert.ToHexStringLower(SHA256.HashData(bytes));
        var blob = string.Create(CultureInfo.InvariantCulture, $"staging/{template.Id}/{revision}-{sha[..16]}.json");

        // The blob is written first under a name no other revision uses; the row (compare-and-swap on its ETag) makes it visible.
        await blobs.UploadAsync(TemplateStorage.Container, blob, new MemoryStream(bytes), new BlobWriteOptions("application/json"), cancellationToken).ConfigureAwait(false);
        var now = time.GetUtcNow();
        var row = new TableRow(TemplateStorage.StagingPartition, template.Id, new Dictionary<string, object?>
        {
            ["Revision"] = revision,
            ["Blob"] = blob,
            ["Sha256"] = sha,
            ["UpdatedAt"] = now,
        }, current?.ETag);
        try
        {
            var etag = current is null
                ? await tables.InsertAsync(TemplateStorage.LibraryTable, row, cancellationToken).ConfigureAwait(false)
                : await tables.ReplaceAsync(TemplateStorage.LibraryTable, row, cancellationToken).ConfigureAwait(false);
            _ = etag;
        }
        catch (Exception ex) when (ex is StorageConflictException or StoragePreconditionFailedException)
        {
            await blobs.DeleteAsync(TemplateStorage.Container, blob, CancellationToken.None).ConfigureAwait(false);
            return new SaveOutcome(SaveStatus.PreconditionFailed, null);
        }

        LogSaved(template.Id, revision);
        var online = await tables.GetAsync(TemplateStorage.LibraryTable, TemplateStorage.OnlinePartition, template.Id, cancellationToken).ConfigureAwait(false);
        return new SaveOutcome(current is null ? SaveStatus.Created : SaveStatus.Updated, ToStaged(saved, row, online));
    }

    public async Task<PublishOutcome> PublishAsync(string id, string? ifMatch, CancellationToken cancellationToken)
    {
        var staged = await tables.GetAsync(TemplateStorage.LibraryTable, TemplateStorage.StagingPartition, id, cancellationToken).ConfigureAwait(false);
        if (staged is null)
        {
            return new PublishOutcome(PublishStatus.NotFound, 0, 0, []);
        }

        var revision = staged.GetInt64("Revision") ?? 0;
        if (ifMatch is not null && ifMatch != "*" && ifMatch != ETagOf(revision))
        {
            return new PublishOutcome(PublishStatus.PreconditionFailed, 0, revision, []);
        }

        var json = await blobs.ReadTextAsync(TemplateStorage.Container, staged.GetString("Blob")!, cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"The staging blob of template '{id}' is missing.");
        var parsed = TemplateJson.Parse(json);
        var errors = parsed.Template is null ? parsed.Errors : TemplateValidator.Validate(parsed.Template);
        if (errors.Count > 0)
        {
            return new PublishOutcome(PublishStatus.Invalid, 0, revision, errors);
        }

        var template = parsed.Template!;
        var references = TemplateValidator.Resources(template).ToList();
        var known = await assets.FindAsync(references.Select(r => r.Url), cancellationToken).ConfigureAwait(false);
        var missing = references.Where(r => !known.ContainsKey(r.Url))
            .Select(r => new TemplateError(r.Path, "no content hash registered for this URL (PUT /api/operator/template-assets)"))
            .Take(TemplateLimits.MaxReportedErrors)
            .ToList();
        if (missing.Count > 0)
        {
            return new PublishOutcome(PublishStatus.Invalid, 0, revision, missing);
        }

        var resources = references.Select(r => r.Url).Distinct(StringComparer.Ordinal).Select(u => known[u]).ToList();
        var document = JsonSerializer.SerializeToUtf8Bytes(new PublishedDocument(template, resources), TemplateJson.Options);
        var sha = staged.GetString("Sha256")!;
        var blob = string.Create(CultureInfo.InvariantCulture, $"online/{id}/{revision}-{sha[..16]}.json");
        await blobs.UploadAsync(TemplateStorage.Container, blob, new MemoryStream(document), new BlobWriteOptions("application/json"), cancellationToken).ConfigureAwait(false);

        return await CommitAsync(id, revision, online =>
        {
            if (online is not null && !online.Removed && online.Revision > revision)
            {
                return (PublishStatus.Conflict, null);
            }

            if (online is not null && !online.Removed && online.Revision == revision && online.Blob == blob)
            {
                return (PublishStatus.Unchanged, null);
            }

            return (PublishStatus.Published, online => new Dictionary<string, object?>
            {
                ["Revision"] = revision,
                ["Blob"] = blob,
                ["Sha256"] = sha,
                ["Removed"] = false,
                ["FirstPublishedAt"] = online?.FirstPublishedAt ?? time.GetUtcNow(),
            });
        }, cancellationToken).ConfigureAwait(false);
    }

    public Task<PublishOutcome> UnpublishAsync(string id, CancellationToken cancellationToken) =>
        CommitAsync(id, 0, online =>
        {
            if (online is null || online.Removed)
            {
                return (PublishStatus.NotFound, null);
            }

            return (PublishStatus.Published, online => new Dictionary<string, object?>
            {
                ["Revision"] = online!.Revision,
                ["Blob"] = online.Blob,
                ["Sha256"] = online.Sha256,
                ["Removed"] = true,
                ["FirstPublishedAt"] = online.FirstPublishedAt,
            });
        }, cancellationToken);

    public async Task<long> GetVersionAsync(CancellationToken cancellationToken)
    {
        var head = await tables.GetAsync(TemplateStorage.LibraryTable, TemplateStorage.LibraryPartition, TemplateStorage.HeadRow, cancellationToken).ConfigureAwait(false);
        return head?.GetInt64("Version") ?? 0;
    }

    public async Task<OnlineState> ReadOnlineAsync(long? changedAfter, CancellationToken cancellationToken)
    {
        // The version is read first: rows committed after it carry a higher ChangedVersion, so clients see them next time.
        // A change committed after version V was read carries a ChangedVersion above V, so reading rows changed after
        // the previous snapshot's version misses no committed change.
        var version = await GetVersionAsync(cancellationToken).ConfigureAwait(false);
        var entries = new List<OnlineEntry>();
        var filter = changedAfter is { } after
            ? TableFilter.And(TableFilter.PartitionEquals(TemplateStorage.OnlinePartition), TableFilter.Compare("ChangedVersion", "gt", after))
            : TableFilter.PartitionEquals(TemplateStorage.OnlinePartition);
        await foreach (var row in tables.QueryAsync(TemplateStorage.LibraryTable, filter, cancellationToken).ConfigureAwait(false))
        {
            entries.Add(ToEntry(row));
        }

        return new OnlineState(version, entries);
    }

    public async Task<PublishedDocument> ReadPublishedAsync(string blob, CancellationToken cancellationToken)
    {
        var json = await blobs.ReadTextAsync(TemplateStorage.Container, blob, cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"The published template blob '{blob}' is missing.");
        return JsonSerializer.Deserialize<PublishedDocument>(json, TemplateJson.Options)!;
    }

    internal static string ETagOf(long revision) => string.Create(CultureInfo.InvariantCulture, $"\"r{revision}\"");

    /// <summary>
    /// Writes the online row stamped with the next library version, then moves the library head to that version, both
    /// with ETag compare-and-swap; any interleaving retries from the top, so no publish is lost and every committed change
    /// carries a version above any version a client saw before it. Each attempt marks both writes with a token of its own
    /// (<c>Commit</c>): when storage applied a write but its answer was lost (the SDK retried the request and storage
    /// refused the retry, 412 or 409), the next attempt finds its token and knows what happened — its head is in, so the
    /// change is committed at that version; or only its row is, so the row is written again under the next version, never
    /// taken for "already online".
    /// </summary>
    private async Task<PublishOutcome> CommitAsync(
        string id,
        long revision,
        Func<OnlineEntry?, (PublishStatus Status, Func<OnlineEntry?, Dictionary<string, object?>>? Properties)> decide,
        CancellationToken cancellationToken)
    {
        (string Token, long Version, Dictionary<string, object?> Values)? pending = null;
        for (var attempt = 1; attempt <= MaxAttempts; attempt++)
        {
            var head = await tables.GetAsync(TemplateStorage.LibraryTable, TemplateStorage.LibraryPartition, TemplateStorage.HeadRow, cancellationToken).ConfigureAwait(false);
            var version = head?.GetInt64("Version") ?? 0;
            if (pending is { } committed && head?.GetString(CommitToken) == committed.Token)
            {
                return Committed(id, PublishStatus.Published, committed.Version, committed.Values);
            }

            var onlineRow = await tables.GetAsync(TemplateStorage.LibraryTable, TemplateStorage.OnlinePartition, id, cancellationToken).ConfigureAwait(false);
            var online = onlineRow is null ? null : ToEntry(onlineRow);

            // The row may hold this very change, written by an earlier attempt but not committed by the head.
            var (status, properties) = pending is { } ours && onlineRow?.GetString(CommitToken) == ours.Token
                ? (PublishStatus.Published, _ => ours.Values)
                : decide(online);
            if (properties is null)
            {
                return new PublishOutcome(status, version, online?.Revision ?? revision, []);
            }

            var next = version + 1;
            var token = Guid.NewGuid().ToString("N");
            var values = new Dictionary<string, object?>(properties(online))
            {
                ["ChangedVersion"] = next,
                ["PublishedAt"] = time.GetUtcNow(),
                [CommitToken] = token,
            };
            pending = (token, next, values);
            try
            {
                var row = new TableRow(TemplateStorage.OnlinePartition, id, values, onlineRow?.ETag);
                _ = onlineRow is null
                    ? await tables.InsertAsync(TemplateStorage.LibraryTable, row, cancellationToken).ConfigureAwait(false)
                    : await tables.ReplaceAsync(TemplateStorage.LibraryTable, row, cancellationToken).ConfigureAwait(false);
                var headRow = new TableRow(TemplateStorage.LibraryPartition, TemplateStorage.HeadRow, new Dictionary<string, object?> { ["Version"] = next, [CommitToken] = token }, head?.ETag);
                _ = head is null
                    ? await tables.InsertAsync(TemplateStorage.LibraryTable, headRow, cancellationToken).ConfigureAwait(false)
                    : await tables.ReplaceAsync(TemplateStorage.LibraryTable, headRow, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is StorageConflictException or StoragePreconditionFailedException)
            {
                LogCommitRetry(id, attempt);
                await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(5, 20 * attempt)), time, cancellationToken).ConfigureAwait(false);
                continue;
            }

            return Committed(id, status, next, values);
        }

        throw new StorageUnavailableException($"Publishing template '{id}' kept colliding with other publishes; retry.");
    }

    private PublishOutcome Committed(string id, PublishStatus status, long version, Dictionary<string, object?> values)
    {
        var committedRevision = (long)values["Revision"]!;
        LogCommitted(id, committedRevision, version, (bool)values["Removed"]!);
        return new PublishOutcome(status, version, committedRevision, []);
    }

    private static StagedTemplate ToStaged(MotionTemplate template, TableRow row, TableRow? online)
    {
        var revision = row.GetInt64("Revision") ?? 0;
        var status = online is null ? null : new OnlineStatus(online.GetInt64("Revision") ?? 0, online.GetInt64("ChangedVersion") ?? 0, online.GetBoolean("Removed") ?? false);
        return new StagedTemplate(template, revision, ETagOf(revision), row.GetInstant("UpdatedAt") ?? default, status);
    }

    private static OnlineEntry ToEntry(TableRow row) => new(
        row.RowKey,
        row.GetInt64("Revision") ?? 0,
        row.GetString("Blob") ?? string.Empty,
        row.GetString("Sha256") ?? string.Empty,
        row.GetInt64("ChangedVersion") ?? 0,
        row.GetBoolean("Removed") ?? false,
        row.GetInstant("FirstPublishedAt") ?? default);

    private static MotionTemplate WithVersion(MotionTemplate t, long revision) => new()
    {
        Id = t.Id,
        Name = t.Name,
        Version = revision,
        Category = t.Category,
        Family = t.Family,
        Tags = t.Tags,
        AspectRatio = t.AspectRatio,
        Music = t.Music,
        MinImageCount = t.MinImageCount,
        MaxImageCount = t.MaxImageCount,
        Loop = t.Loop,
        ExposureCap = t.ExposureCap,
        Nodes = t.Nodes,
        Tracks = t.Tracks,
    };

    [LoggerMessage(EventId = 5001, Level = LogLevel.Information, Message = "Template {TemplateId} saved to staging as revision {Revision}")]
    private partial void LogSaved(string templateId, long revision);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Information, Message = "Template {TemplateId} revision {Revision} committed online at library version {LibraryVersion} (removed: {Removed})")]
    private partial void LogCommitted(string templateId, long revision, long libraryVersion, bool removed);

    [LoggerMessage(EventId = 5003, Level = LogLevel.Debug, Message = "Template {TemplateId} publish collided with another (attempt {Attempt}); retrying")]
    private partial void LogCommitRetry(string templateId, int attempt);
}
