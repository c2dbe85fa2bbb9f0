using Serverless.Storage;

namespace Serverless.Templates.Library;

/// <summary>Where the template library lives in Azure Storage (declared in Bicep with the same names).</summary>
public static class TemplateStorage
{
    /// <summary>Blobs: <c>staging/{id}/{revision}-{hash}.json</c> (a saved template) and <c>online/{id}/{revision}-{hash}.json</c> (a published document).</summary>
    public const string Container = "templates";

    /// <summary>Rows: partition <c>staging</c> and <c>online</c> (one row per template id) and <c>library/head</c> (the library version).</summary>
    public const string LibraryTable = "Templates";

    /// <summary>Content hashes of resource URLs (shaders, sticker images, music), one row per URL.</summary>
    public const string AssetTable = "TemplateAssets";

    /// <summary>Template impressions and uses (per user and per hour), read by fatigue and exposure caps.</summary>
    public const string ActivityTable = "TemplateActivity";

    internal const string StagingPartition = "staging";
    internal const string OnlinePartition = "online";
    internal const string LibraryPartition = "library";
    internal const string HeadRow = "head";

    public static StorageResource[] Resources { get; } =
    [
        new(StorageResourceKind.Container, Container),
        new(StorageResourceKind.Table, LibraryTable),
        new(StorageResourceKind.Table, AssetTable),
        new(StorageResourceKind.Table, ActivityTable),
    ];
}
