using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Serverless.Storage;

public static class StorageServiceCollectionExtensions
{
    /// <summary>Registers the storage clients, bound from <c>AzureWebJobsStorage</c> and the <c>Storage</c> section.</summary>
    public static IHostApplicationBuilder AddStorage(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<StorageOptions>()
            .Configure<IConfiguration>((o, config) =>
            {
                config.GetSection("Storage").Bind(o);
                o.ConnectionString = config[StorageOptions.ConnectionSettingName] ?? string.Empty;
            })
            .ValidateDataAnnotations()
            .Validate(o => IsParseable(o.ConnectionString), "The setting 'AzureWebJobsStorage' is not a valid storage connection string.")
            .ValidateOnStart();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.TryAddSingleton<AzureStorageClients>();
        builder.Services.TryAddSingleton<IBlobStore, AzureBlobStore>();
        builder.Services.TryAddSingleton<IBlobCors, AzureBlobCors>();
        builder.Services.TryAddSingleton<IQueueStore, AzureQueueStore>();
        builder.Services.TryAddSingleton<ITableStore, AzureTableStore>();
        builder.Services.TryAddSingleton<TableUpsertCoalescer>();
        builder.Services.TryAddSingleton<IStorageProvisioner, AzureStorageProvisioner>();
        return builder;
    }

    /// <summary>Declares containers, queues and tables an area uses; they are created at start-up and must be declared in Bicep.</summary>
    public static IServiceCollection AddStorageResources(this IServiceCollection services, params StorageResource[] resources)
    {
        foreach (var resource in resources)
        {
            services.AddSingleton(resource);
        }

        return services;
    }

    private static bool IsParseable(string connectionString) =>
        !string.IsNullOrWhiteSpace(connectionString)
        && Microsoft.WindowsAzure.Storage.CloudStorageAccount.TryParse(connectionString, out _);
}

/// <summary>Creates the declared containers, queues and tables (all private).</summary>
public interface IStorageProvisioner
{
    /// <summary>Creates every declared resource that is missing.</summary>
    Task EnsureCreatedAsync(CancellationToken cancellationToken);

    /// <summary>Creates one resource if it is missing (e.g. a poison queue).</summary>
    Task EnsureAsync(StorageResource resource, CancellationToken cancellationToken);
}

internal sealed class AzureStorageProvisioner(AzureStorageClients clients, IEnumerable<StorageResource> resources) : IStorageProvisioner
{
    public async Task EnsureCreatedAsync(CancellationToken cancellationToken)
    {
        foreach (var resource in resources.Distinct())
        {
            await EnsureAsync(resource, cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task EnsureAsync(StorageResource resource, CancellationToken cancellationToken)
    {
        {
            switch (resource.Kind)
            {
                case StorageResourceKind.Container:
                    await StorageErrors.Guard(
                        () => clients.Blobs.GetContainerReference(resource.Name).CreateIfNotExistsAsync(
                            Microsoft.WindowsAzure.Storage.Blob.BlobContainerPublicAccessType.Off, null, null, cancellationToken),
                        $"create container {resource.Name}").ConfigureAwait(false);
                    break;
                case StorageResourceKind.Queue:
                    await StorageErrors.Guard(
                        () => clients.Queues.GetQueueReference(resource.Name).CreateIfNotExistsAsync(null, null, cancellationToken),
                        $"create queue {resource.Name}").ConfigureAwait(false);
                    break;
                case StorageResourceKind.Table:
                    await StorageErrors.Guard(
                        () => clients.Tables.GetTableReference(resource.Name).CreateIfNotExistsAsync(null, null, cancellationToken),
                        $"create table {resource.Name}").ConfigureAwait(false);
                    break;
            }
        }
    }
}
