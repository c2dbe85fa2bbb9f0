using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Serverless.Functions;
using Serverless.Http;
using Serverless.Identity;
using Serverless.Recommendations.Catalog;
using Serverless.Recommendations.Events;
using Serverless.Recommendations.Feedback;
using Serverless.Recommendations.Ranking;
using Serverless.Recommendations.Serving;
using Serverless.Recommendations.Training;
using Serverless.Storage;

namespace Serverless.Recommendations;

public static class RecommendationsExtensions
{
    /// <summary>
    /// Registers the Recommendations area: events API, feedback weighting, training (timer + operator endpoint), serving
    /// with hot reload. Reads the pipeline's catalog through <see cref="IVideoDirectory"/>.
    /// </summary>
    public static IHostApplicationBuilder AddRecommendations(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        Bind<EventsOptions>(services, EventsOptions.SectionName);
        Bind<FeedbackOptions>(services, FeedbackOptions.SectionName);
        Bind<TrainingOptions>(services, TrainingOptions.SectionName);
        Bind<ServingOptions>(services, ServingOptions.SectionName);
        Bind<RankerOptions>(services, RankerOptions.SectionName);
        services.TryAddSingleton(TimeProvider.System);
        services.AddMemoryCache();
        services.AddStorageResources(
            new StorageResource(StorageResourceKind.Table, EventStore.ByTimeTable),
            new StorageResource(StorageResourceKind.Table, EventStore.ByUserTable),
            new StorageResource(StorageResourceKind.Container, ModelRepository.Container));
        services.AddSingleton<VideoDirectoryAccessor>();
        services.TryAddSingleton<IVideoDirectory, CatalogVideoDirectory>();
        services.AddSingleton<EventStore>();
        services.AddSingleton<IEventIngestion, EventIngestion>();
        services.AddSingleton<ModelRepository>();
        services.AddSingleton<ModelHolder>();
        services.AddSingleton<ModelReloader>();
        services.AddHostedService(sp => sp.GetRequiredService<ModelReloader>());
        services.AddSingleton<CatalogCache>();
        services.TryAddSingleton<IUserHistorySource, TableUserHistory>();
        services.AddSingleton<IRecommendationService, RecommendationService>();
        services.AddSingleton<IRecommenderTrainer, RecommenderTrainer>();
        services.AddSingleton<RecommendationRequests>();
        return builder;
    }

    private static void Bind<T>(IServiceCollection services, string section)
        where T : class =>
        services.AddOptions<T>().BindConfiguration(section).ValidateDataAnnotations().ValidateOnStart();
}
