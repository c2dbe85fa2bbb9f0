using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Hosting;

namespace Serverless.Pipeline;

public static class PipelineExtensions
{
    /// <summary>Registers the Pipeline area's services, options, storage resources and functions.</summary>
    public static IHostApplicationBuilder AddPipeline(this IHostApplicationBuilder builder) => builder;

    /// <summary>Maps the Pipeline area's HTTP routes.</summary>
    public static IEndpointRouteBuilder MapPipelineApi(this IEndpointRouteBuilder endpoints) => endpoints;
}
