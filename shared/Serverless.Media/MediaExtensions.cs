using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Hosting;

namespace Serverless.Media;

public static class MediaExtensions
{
    /// <summary>Registers the Media area's services, options, storage resources and functions.</summary>
    public static IHostApplicationBuilder AddMedia(this IHostApplicationBuilder builder) => builder;

    /// <summary>Maps the Media area's HTTP routes.</summary>
    public static IEndpointRouteBuilder MapMediaApi(this IEndpointRouteBuilder endpoints) => endpoints;
}
