using System.ComponentModel.DataAnnotations;

namespace Serverless.Storage;

/// <summary>
/// Storage connection and client behaviour. The connection is read the way the Functions host reads its own
/// <c>AzureWebJobsStorage</c>: a connection string (Azurite locally, the account key), or an identity-based connection
/// (<c>AzureWebJobsStorage__accountName</c>, optionally <c>__credential</c>/<c>__clientId</c> and the three
/// <c>__…ServiceUri</c> settings) in Azure, where shared-key access is off. The rest comes from the <c>Storage</c> section;
/// the connection's properties are set only from <c>AzureWebJobsStorage</c> (never from <c>Storage__…</c>).
/// </summary>
public sealed class StorageOptions
{
    public const string ConnectionSettingName = "AzureWebJobsStorage";

    /// <summary>An Azure Storage connection string; <c>UseDevelopmentStorage=true</c> for Azurite on its default ports. Wins over the identity-based settings.</summary>
    public string? ConnectionString { get; set; }

    /// <summary><c>AzureWebJobsStorage__accountName</c>: the account reached with a token credential (no key).</summary>
    public string? AccountName { get; internal set; }

    /// <summary><c>AzureWebJobsStorage__blobServiceUri</c>: the blob endpoint, when not the public cloud's default for <see cref="AccountName"/>.</summary>
    public Uri? BlobServiceUri { get; internal set; }

    /// <summary><c>AzureWebJobsStorage__queueServiceUri</c>.</summary>
    public Uri? QueueServiceUri { get; internal set; }

    /// <summary><c>AzureWebJobsStorage__tableServiceUri</c>.</summary>
    public Uri? TableServiceUri { get; internal set; }

    /// <summary><c>AzureWebJobsStorage__credential</c>: <c>managedidentity</c> in Azure; empty for the developer's own credential (Azure CLI, Visual Studio, environment).</summary>
    public string? Credential { get; internal set; }

    /// <summary><c>AzureWebJobsStorage__clientId</c>: the client id of a user-assigned managed identity; empty for the system-assigned one.</summary>
    public string? ClientId { get; internal set; }

    /// <summary>Per-attempt network timeout of a storage request. Default 30 s.</summary>
    [Range(1, 600)]
    public int RequestTimeoutSeconds { get; set; } = 30;

    /// <summary>Total budget of one storage operation including its retries. Default 60 s.</summary>
    [Range(1, 1800)]
    public int OperationTimeoutSeconds { get; set; } = 60;

    /// <summary>Retries of a transient failure inside one storage operation (exponential backoff from 0.5 s). Default 3.</summary>
    [Range(0, 10)]
    public int MaxRetries { get; set; } = 3;

    /// <summary>
    /// Retries of a transient failure inside one storage operation made for an HTTP request (200 ms apart), so a
    /// storage outage answers 503 quickly while background work keeps <see cref="MaxRetries"/>. Default 1.
    /// </summary>
    [Range(0, 10)]
    public int InteractiveMaxRetries { get; set; } = 1;

    /// <summary>
    /// Identity-based connections only: lifetime of the user-delegation key every SAS is signed with. It is fetched at
    /// start-up and renewed in the background when half of it is left, so the longest SAS the app signs (the 2-hour
    /// source URL for ffmpeg) must be shorter than half of it. Default 24 h (the service allows 7 days).
    /// </summary>
    [Range(6, 168)]
    public int UserDelegationKeyHours { get; set; } = 24;
}

/// <summary>A container, queue or table some area of the app uses; created at start-up locally and declared in Bicep for Azure.</summary>
public sealed record StorageResource(StorageResourceKind Kind, string Name);

public enum StorageResourceKind
{
    Container,
    Queue,
    Table,
}
