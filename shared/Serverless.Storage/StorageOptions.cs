using System.ComponentModel.DataAnnotations;

namespace Serverless.Storage;

/// <summary>Storage connection. Bound from the top-level setting <c>AzureWebJobsStorage</c>, as the Functions host reads it.</summary>
public sealed class StorageOptions
{
    public const string ConnectionSettingName = "AzureWebJobsStorage";

    /// <summary>An Azure Storage connection string; <c>UseDevelopmentStorage=true</c> for Azurite on its default ports.</summary>
    [Required(ErrorMessage = "The setting 'AzureWebJobsStorage' (the storage connection string) is missing.")]
    public string ConnectionString { get; set; } = string.Empty;

    /// <summary>Per-attempt server timeout of a storage request. Default 30 s.</summary>
    [Range(1, 600)]
    public int RequestTimeoutSeconds { get; set; } = 30;

    /// <summary>Total budget of one storage operation including the SDK's retries. Default 60 s.</summary>
    [Range(1, 1800)]
    public int OperationTimeoutSeconds { get; set; } = 60;

    /// <summary>Retries of a transient failure inside one storage operation (exponential backoff). Default 3.</summary>
    [Range(0, 10)]
    public int MaxRetries { get; set; } = 3;

    /// <summary>
    /// Retries of a transient failure inside one storage operation made for an HTTP request (200 ms apart), so a
    /// storage outage answers 503 quickly while background work keeps <see cref="MaxRetries"/>. Default 1.
    /// </summary>
    [Range(0, 10)]
    public int InteractiveMaxRetries { get; set; } = 1;
}

/// <summary>A container, queue or table some area of the app uses; created at start-up locally and declared in Bicep for Azure.</summary>
public sealed record StorageResource(StorageResourceKind Kind, string Name);

public enum StorageResourceKind
{
    Container,
    Queue,
    Table,
}
