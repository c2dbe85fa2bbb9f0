using Azure.Core.Serialization;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Middleware;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Serverless.Functions.Edge;
using Serverless.Functions.Web;
using Serverless.Identity;
using Serverless.Media;
using Serverless.Pipeline;
using Serverless.Playback;
using Serverless.Recommendations;
using Serverless.Rendering;
using Serverless.Review;
using Serverless.Storage;
using Serverless.Templates;
using Serverless.Videos;

namespace Serverless.Functions;

/// <summary>
/// The app's composition, shared by the isolated worker (<c>Program.cs</c>) and the local host, so both run the same
/// services and the same worker middleware in the same order.
/// </summary>
public static class ServerlessApp
{
    /// <summary>The worker middleware every invocation passes through, outermost first.</summary>
    public static IReadOnlyList<Type> Middleware { get; } = [typeof(EdgeMiddleware)];

    /// <summary>The areas' services, options and storage resources, the edge, and the Durable task hub's name.</summary>
    public static IHostApplicationBuilder AddServerlessApp(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);

        // First: the settings the host reads in trigger attributes are set, and the containers, queues and tables exist
        // before any other background service starts.
        builder.Services.AddHostedService<BindingSettingsCheck>();
        builder.Services.AddHostedService<StorageStartup>();
        builder.AddStorage();
        builder.AddIdentity();
        builder.AddMedia();
        builder.AddVideos();
        builder.AddContentReview();
        builder.AddPipeline();
        builder.AddPlayback();
        builder.AddTemplates();
        builder.AddRendering();
        builder.AddRecommendations();

        var services = builder.Services;
        services.AddOptions<WebOptions>().BindConfiguration(WebOptions.SectionName);
        services.AddSingleton<FunctionEdgeRules>();
        foreach (var type in Middleware)
        {
            services.AddSingleton(type);
        }

        // Orchestration and activity inputs and outputs in the same JSON under both hosts (the Durable extension
        // serializes them with the worker's serializer).
        services.Configure<WorkerOptions>(o => o.Serializer = new JsonObjectSerializer(VideoPipeline.Json));

        // Pipeline slots are kept per task hub (apps on one storage account with different hubs never share them).
        services.Replace(ServiceDescriptor.Singleton(sp => new PipelineScope(sp.GetRequiredService<DurableHubSettings>().HubName)));
        services.TryAddSingleton(sp => DurableHubSettings.Read(
            Path.Combine(AppContext.BaseDirectory, "host.json"), sp.GetRequiredService<IConfiguration>()));
        return builder;
    }

    /// <summary>Adds <see cref="Middleware"/> to the worker's pipeline, in order.</summary>
    public static IFunctionsWorkerApplicationBuilder UseServerlessMiddleware(this IFunctionsWorkerApplicationBuilder worker)
    {
        ArgumentNullException.ThrowIfNull(worker);
        foreach (var type in Middleware)
        {
            worker.UseMiddleware((context, next) =>
                ((IFunctionsWorkerMiddleware)context.InstanceServices.GetRequiredService(type)).Invoke(context, _ => next()));
        }

        return worker;
    }
}
