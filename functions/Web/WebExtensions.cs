using Serverless.Functions;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Options;

namespace Serverless.Functions.Web;

/// <summary>The OpenAPI document of the HTTP API and, locally, the demo page.</summary>
public static class WebExtensions
{
    /// <summary>
    /// Where the OpenAPI document is served: under <c>/api</c>, because under the Functions host only the HTTP functions'
    /// routes are (functions/GetOpenApiDocument/function.json routes it).
    /// </summary>
    public const string OpenApiPath = "/api/openapi/v1.json";

    /// <summary>The document changes only with a deployment: clients and proxies may keep it a few minutes.</summary>
    public const string OpenApiCacheControl = "public, max-age=300";

    public const string DocumentName = "v1";

    /// <summary>The HTTP function that serves the document (functions/GetOpenApiDocument/function.json).</summary>
    public const string OpenApiFunction = "GetOpenApiDocument";

    /// <summary>The demo page's files, relative to the executable (copied there by the build; not published).</summary>
    public static readonly string SiteFolder = Path.Combine("Web", "site");

    public static WebApplicationBuilder AddWeb(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<WebOptions>()
            .BindConfiguration(WebOptions.SectionName)
            .ValidateDataAnnotations()
            .Validate(o => !o.DemoPage || builder.Environment.IsDevelopment(), "Web__DemoPage is on outside the Development environment; refusing to start.")
            .ValidateOnStart();
        builder.Services.AddHostedService<DemoPageStorageCors>();
        builder.Services.AddHttpFunction(OpenApiFunction);
        builder.Services.AddOpenApi(DocumentName, options =>
        {
            options.AddDocumentTransformer<ApiDocumentTransformer>();
            options.AddOperationTransformer<ApiOperationTransformer>();
            options.AddSchemaTransformer<ApiSchemaTransformer>();
        });
        return builder;
    }

    public static WebApplication MapWeb(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<IOptions<WebOptions>>().Value;
        if (options.DemoPage)
        {
            var site = Path.Combine(AppContext.BaseDirectory, SiteFolder);
            if (!Directory.Exists(site))
            {
                throw new InvalidOperationException($"Web__DemoPage is on but the page's files are missing from {site}; build the functions project.");
            }

            var files = new PhysicalFileProvider(site);
            app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = files });
            app.UseStaticFiles(new StaticFileOptions
            {
                FileProvider = files,

                // The page changes with the code; never let a browser keep a stale copy.
                OnPrepareResponse = context => context.Context.Response.Headers.CacheControl = "no-cache",
            });
        }

        if (options.OpenApiDocument)
        {
            app.MapOpenApi(OpenApiPath).AllowAnonymous().AddEndpointFilter(async (context, next) =>
            {
                context.HttpContext.Response.Headers.CacheControl = OpenApiCacheControl;
                return await next(context).ConfigureAwait(false);
            });
        }

        return app;
    }
}
