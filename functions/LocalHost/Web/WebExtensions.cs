using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Options;
using Serverless.Functions.Web;

namespace Serverless.LocalHost.Web;

/// <summary>The local demo page (Development only; never part of the deployment package).</summary>
public static class WebExtensions
{
    /// <summary>The demo page's files, relative to the executable (copied there by the build; not published).</summary>
    public static readonly string SiteFolder = Path.Combine("Web", "site");

    public static WebApplicationBuilder AddDemoPage(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<WebOptions>()
            .Validate(o => !o.DemoPage || builder.Environment.IsDevelopment(), "Web__DemoPage is on outside the Development environment; refusing to start.")
            .ValidateOnStart();
        builder.Services.AddHostedService<DemoPageStorageCors>();
        return builder;
    }

    public static WebApplication UseDemoPage(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var options = app.Services.GetRequiredService<IOptions<WebOptions>>().Value;
        if (!options.DemoPage)
        {
            return app;
        }

        var site = Path.Combine(AppContext.BaseDirectory, SiteFolder);
        if (!Directory.Exists(site))
        {
            throw new InvalidOperationException($"Web__DemoPage is on but the page's files are missing from {site}; build the local host.");
        }

        var files = new PhysicalFileProvider(site);
        app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = files });
        app.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = files,

            // The page changes with the code; never let a browser keep a stale copy.
            OnPrepareResponse = context => context.Context.Response.Headers.CacheControl = "no-cache",
        });
        return app;
    }
}
