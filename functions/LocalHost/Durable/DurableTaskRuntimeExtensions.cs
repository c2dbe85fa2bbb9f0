using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using DurableTask.AzureStorage;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Options;
using Serverless.Functions;
using Serverless.Storage;

namespace Serverless.LocalHost.Durable;

public static class DurableTaskRuntimeExtensions
{
    /// <summary>
    /// The Durable task hub of host.json (<see cref="DurableHubSettings"/>, registered by the app) on the app's storage
    /// connection (key or identity, as <c>AzureWebJobsStorage</c> says), its worker (<see cref="DurableTaskRuntime"/>) and the
    /// <see cref="DurableTaskClient"/> that <c>[DurableClient]</c> parameters receive.
    /// </summary>
    public static IHostApplicationBuilder AddDurableTaskRuntime(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddSingleton<DataConverter>(_ => DurableTaskRuntime.CreateDataConverter());
        services.AddSingleton(sp =>
        {
            var storage = sp.GetRequiredService<IOptions<StorageOptions>>().Value;
            var connection = StorageConnection.Resolve(storage);

            // The provider builds its own clients; they get the app's transport where one is registered (a test's
            // certificate trust, say), so the hub reaches exactly the account the app's own clients reach.
            var transport = sp.GetService<HttpPipelineTransport>();
            T Options<T>(T options)
                where T : ClientOptions
            {
                if (transport is not null)
                {
                    options.Transport = transport;
                }

                return options;
            }

            StorageAccountClientProvider provider;
            if (connection.ToSharedKeyConnectionString() is { } connectionString)
            {
                provider = new StorageAccountClientProvider(
                    StorageServiceClientProvider.ForBlob(connectionString, Options(new BlobClientOptions())),
                    StorageServiceClientProvider.ForQueue(connectionString, Options(new QueueClientOptions())),
                    StorageServiceClientProvider.ForTable(connectionString, Options(new TableClientOptions())));
            }
            else
            {
                var credential = sp.GetService<TokenCredential>() ?? StorageConnection.CreateCredential(storage);
                provider = new StorageAccountClientProvider(
                    StorageServiceClientProvider.ForBlob(connection.BlobEndpoint, credential, Options(new BlobClientOptions())),
                    StorageServiceClientProvider.ForQueue(connection.QueueEndpoint, credential, Options(new QueueClientOptions())),
                    StorageServiceClientProvider.ForTable(connection.TableEndpoint, credential, Options(new TableClientOptions())));
            }

            var loggers = sp.GetRequiredService<ILoggerFactory>();
            return new AzureStorageOrchestrationService(DurableTaskRuntime.CreateSettings(sp.GetRequiredService<DurableHubSettings>(), provider, loggers));
        });
        services.AddSingleton<DurableTaskClient>(sp => new TaskHubDurableClient(
            sp.GetRequiredService<DurableHubSettings>().HubName,
            sp.GetRequiredService<AzureStorageOrchestrationService>(),
            sp.GetRequiredService<DataConverter>(),
            sp.GetRequiredService<ILoggerFactory>()));
        services.AddSingleton<DurableTaskRuntime>();
        services.AddHostedService(sp => sp.GetRequiredService<DurableTaskRuntime>());
        return builder;
    }
}
