using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Serverless.Storage;
using Serverless.Templates.Library;
using Serverless.Templates.Recommendations;
using Serverless.Templates.Sync;

namespace Serverless.Templates;

public static class TemplatesExtensions
{
    /// <summary>Registers the Templates area's services, options, storage resources and background services.</summary>
    public static IHostApplicationBuilder AddTemplates(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<TemplatesOptions>()
            .BindConfiguration(TemplatesOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddOptions<TemplateRecommendationOptions>()
            .BindConfiguration(TemplateRecommendationOptions.SectionName)
            .ValidateDataAnnotations()
            .Validate(o => o.FatigueDemoteAfter <= o.FatigueExcludeAfter,
                "TemplateRecommendations__FatigueDemoteAfter must not exceed TemplateRecommendations__FatigueExcludeAfter.")
            .ValidateOnStart();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddStorageResources(TemplateStorage.Resources);
        builder.Services.AddSingleton<IAssetRegistry, TableAssetRegistry>();
        builder.Services.AddSingleton<IOnlineLibrary, OnlineLibrary>();
        builder.Services.AddSingleton<ITemplateLibrary, TemplateLibrary>();
        builder.Services.AddSingleton<ITemplateActivitySource, TableTemplateActivitySource>();
        builder.Services.AddSingleton<Serverless.Recommendations.Events.IEventObserver, TemplateEventObserver>();
        builder.Services.AddSingleton<ITemplateRecommender, TemplateRecommender>();
        builder.Services.AddSingleton<TemplateRequests>();
        builder.Services.AddHostedService<OnlineLibraryRefresher>();
        return builder;
    }
}
