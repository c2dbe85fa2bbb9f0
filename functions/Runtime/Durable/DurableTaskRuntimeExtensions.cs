using Azure.Core;
using DurableTask.AzureStorage;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Options;
using Serverless.Storage;

namespace Serverless.Functions.Runtime.Durable;

public static class DurableTaskRuntimeExtensions
{
    /// <summary>
    /// The Durable task hub on the app's storage connection (key or identity, as <c>AzureWebJobsStorage</c> says), its
    /// worker (<see cref="DurableTaskRuntime"/>) and the <see cref="DurableTaskClient"/> the functions start orchestrations with.
    /// </summary>
    public static IHostApplicationBuilder AddDurableTaskRuntime(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddSingleton(sp => DurableHubSettings.Read(
            Path.Combine(sp.GetRequiredService<FunctionCatalog>().Root, "host.json"), sp.GetRequiredService<IConfiguration>()));
        services.AddSingleton<DataConverter>(_ => DurableTaskRuntime.CreateDataConverter());
        services.AddSingleton(sp =>
        {
            var storage = sp.GetRequiredService<IOptions<StorageOptions>>().Value;
            var connection = StorageConnection.Resolve(storage);
            var provider = connection.ToSharedKeyConnectionString() is { } connectionString
                ? new StorageAccountClientProvider(connectionString)
                : new StorageAccountClientProvider(
                    connection.BlobEndpoint,
                    connection.QueueEndpoint,
                    connection.TableEndpoint,
                    sp.GetService<TokenCredential>() ?? StorageConnection.CreateCredential(storage));
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
