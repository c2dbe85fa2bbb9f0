using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Serverless.Functions;
using Serverless.Storage;
using Serverless.Templates.Library;
using Serverless.Templates.Recommendations;
using Serverless.Templates.Sync;

namespace Serverless.Templates;

public static class TemplatesExtensions
{
    /// <summary>HTTP functions of the area; each has a <c>functions/&lt;Name&gt;/function.json</c>.</summary>
    public static readonly string[] HttpFunctions =
    [
        "TemplateManifest", "TemplateRecommendations", "TemplateTimeline",
        "AdminTemplates", "AdminTemplatePublish", "AdminTemplateUnpublish", "AdminTemplateAssets",
    ];

    /// <summary>Registers the Templates area's services, options, storage resources and functions.</summary>
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
        builder.Services.AddHostedService<OnlineLibraryRefresher>();
        foreach (var name in HttpFunctions)
        {
            builder.Services.AddHttpFunction(name);
        }

        return builder;
    }

    /// <summary>Maps the Templates area's HTTP routes.</summary>
    public static IEndpointRouteBuilder MapTemplatesApi(this IEndpointRouteBuilder endpoints) => TemplatesApi.Map(endpoints);
}
