using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Serverless.Storage;

public static class StorageServiceCollectionExtensions
{
    /// <summary>
    /// Registers the storage clients, bound from <c>AzureWebJobsStorage</c> (a connection string, or the identity-based
    /// <c>AzureWebJobsStorage__*</c> settings) and the <c>Storage</c> section, and the SAS signer for that kind of connection.
    /// </summary>
    public static IHostApplicationBuilder AddStorage(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<StorageOptions>()
            .Configure<IConfiguration>((o, config) =>
            {
                config.GetSection("Storage").Bind(o);
                var connection = config.GetSection(StorageOptions.ConnectionSettingName);
                o.ConnectionString = connection.Value;
                o.AccountName = NullIfEmpty(connection["accountName"]);
                o.Credential = NullIfEmpty(connection["credential"]);
                o.ClientId = NullIfEmpty(connection["clientId"]);
                o.BlobServiceUri = ServiceUri(connection, "blobServiceUri");
                o.QueueServiceUri = ServiceUri(connection, "queueServiceUri");
                o.TableServiceUri = ServiceUri(connection, "tableServiceUri");
            })
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<StorageOptions>, StorageConnectionValidation>();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.TryAddSingleton<AzureStorageClients>();
        builder.Services.TryAddSingleton<IBlobStore, AzureBlobStore>();
        builder.Services.TryAddSingleton<IBlobCors, AzureBlobCors>();
        builder.Services.TryAddSingleton<IQueueStore, AzureQueueStore>();
        builder.Services.TryAddSingleton<ITableStore, AzureTableStore>();
        builder.Services.TryAddSingleton<TableUpsertCoalescer>();
        builder.Services.TryAddSingleton<IStorageProvisioner, AzureStorageProvisioner>();

        // One signing interface, the implementation chosen by the connection's kind.
        builder.Services.TryAddSingleton<UserDelegationKeys>();
        builder.Services.AddHostedService(sp => new KeylessStartup(sp.GetRequiredService<AzureStorageClients>(), sp));
        builder.Services.TryAddSingleton<IBlobSasSigner>(sp =>
        {
            var clients = sp.GetRequiredService<AzureStorageClients>();
            return clients.Connection.Authentication == StorageAuthentication.SharedKey
                ? new SharedKeyBlobSasSigner(clients)
                : new UserDelegationBlobSasSigner(clients, sp.GetRequiredService<UserDelegationKeys>());
        });
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

    private static string? NullIfEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    /// <summary>An absolute service URI; anything else is kept as a relative one, which <see cref="StorageConnection.Resolve"/> refuses naming the setting.</summary>
    private static Uri? ServiceUri(IConfiguration connection, string key) =>
        NullIfEmpty(connection[key]) is { } text ? (Uri.TryCreate(text, UriKind.RelativeOrAbsolute, out var uri) ? uri : new Uri("invalid", UriKind.Relative)) : null;

    private static string? Validate(StorageOptions options)
    {
        try
        {
            _ = StorageConnection.Resolve(options);
            return null;
        }
        catch (InvalidOperationException ex)
        {
            return ex.Message;
        }
    }

    /// <summary>Fails start-up with the message of <see cref="StorageConnection.Resolve"/>, which names the setting to fix.</summary>
    private sealed class StorageConnectionValidation : IValidateOptions<StorageOptions>
    {
        public ValidateOptionsResult Validate(string? name, StorageOptions options) =>
            StorageServiceCollectionExtensions.Validate(options) is { } error ? ValidateOptionsResult.Fail(error) : ValidateOptionsResult.Success;
    }

    /// <summary>Starts the user-delegation key cache for identity-based connections only (a shared-key connection signs with the key).</summary>
    private sealed class KeylessStartup(AzureStorageClients clients, IServiceProvider services) : IHostedService
    {
        private IHostedService? _keys;

        public Task StartAsync(CancellationToken cancellationToken)
        {
            if (clients.Connection.Authentication != StorageAuthentication.Identity)
            {
                return Task.CompletedTask;
            }

            _keys = services.GetRequiredService<UserDelegationKeys>();
            return _keys.StartAsync(cancellationToken);
        }

        public Task StopAsync(CancellationToken cancellationToken) => _keys?.StopAsync(cancellationToken) ?? Task.CompletedTask;
    }
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

    public Task EnsureAsync(StorageResource resource, CancellationToken cancellationToken) => resource.Kind switch
    {
        StorageResourceKind.Container => clients.Run(
            StorageService.Blob,
            $"create container {resource.Name}",
            ct => clients.Blobs.GetBlobContainerClient(resource.Name).CreateIfNotExistsAsync(Azure.Storage.Blobs.Models.PublicAccessType.None, cancellationToken: ct),
            cancellationToken),
        StorageResourceKind.Queue => clients.Run(
            StorageService.Queue,
            $"create queue {resource.Name}",
            ct => clients.Queues.GetQueueClient(resource.Name).CreateIfNotExistsAsync(cancellationToken: ct),
            cancellationToken),
        _ => clients.Run(
            StorageService.Table,
            $"create table {resource.Name}",
            ct => clients.Tables.CreateTableIfNotExistsAsync(resource.Name, ct),
            cancellationToken),
    };
}
