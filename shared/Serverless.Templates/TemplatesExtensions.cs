using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Hosting;

namespace Serverless.Templates;

public static class TemplatesExtensions
{
    /// <summary>Registers the Templates area's services, options, storage resources and functions.</summary>
    public static IHostApplicationBuilder AddTemplates(this IHostApplicationBuilder builder) => builder;

    /// <summary>Maps the Templates area's HTTP routes.</summary>
    public static IEndpointRouteBuilder MapTemplatesApi(this IEndpointRouteBuilder endpoints) => endpoints;
}
