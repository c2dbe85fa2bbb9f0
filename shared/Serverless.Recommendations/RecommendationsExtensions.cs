using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Hosting;

namespace Serverless.Recommendations;

public static class RecommendationsExtensions
{
    /// <summary>Registers the Recommendations area's services, options, storage resources and functions.</summary>
    public static IHostApplicationBuilder AddRecommendations(this IHostApplicationBuilder builder) => builder;

    /// <summary>Maps the Recommendations area's HTTP routes.</summary>
    public static IEndpointRouteBuilder MapRecommendationsApi(this IEndpointRouteBuilder endpoints) => endpoints;
}
