using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration.EnvironmentVariables;
using Microsoft.Extensions.Configuration.Memory;
using Microsoft.Extensions.Options;
using Serverless.Http;
using Serverless.Identity;
using Serverless.LocalHost.Durable;
using Serverless.LocalHost.Functions;
using Serverless.LocalHost.Runtime;
using Serverless.LocalHost.Web;
using Serverless.Storage;
using Serverless.Videos;

namespace Serverless.LocalHost;

/// <summary>What the local host does that the Functions host does in Azure.</summary>
public static class LocalHostExtensions
{
    /// <summary>The Functions host's own request body limit (its default, 100 MiB): no function is handed a larger body.</summary>
    public const long HostRequestBodyLimitBytes = HostRequestLimit.Bytes;

    public const string CorsPolicy = "host-cors";

    /// <summary>
    /// Settings as the Functions host gives them (every <c>Values</c> entry of local.settings.json as configuration, below
    /// environment variables and the command line), the function index and invoker, queue and timer triggers, the uploads
    /// watcher, the Durable task hub, CORS (<c>Edge__CorsOrigins</c>), and the demo page.
    /// </summary>
    public static WebApplicationBuilder AddLocalHost(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddLocalSettings();
        var services = builder.Services;
        services.AddProblemDetails();
        services.AddSingleton(_ => HostJson.Read(HostJson.DefaultPath));
        services.AddSingleton<FunctionIndex>();
        services.AddSingleton<FunctionInvoker>();
        services.AddStorageResources(new StorageResource(StorageResourceKind.Container, LocalRuntime.HostContainer));
        services.AddUploadsWatcher();
        builder.AddDurableTaskRuntime();
        services.AddSingleton<QueueWakeups>();
        services.AddSingleton<IQueueObserver>(sp => sp.GetRequiredService<QueueWakeups>());
        services.AddSingleton<LocalRuntime>();
        services.AddHostedService(sp => sp.GetRequiredService<LocalRuntime>());

        services.AddOptions<KestrelServerOptions>().Configure(kestrel =>
        {
            kestrel.Limits.MaxRequestBodySize = HostRequestBodyLimitBytes;
            kestrel.AddServerHeader = false;
        });
        services.AddCors();
        services.AddOptions<Microsoft.AspNetCore.Cors.Infrastructure.CorsOptions>().Configure<IOptions<EdgeOptions>>((cors, edge) =>
            cors.AddPolicy(CorsPolicy, p => p
                .WithOrigins([.. edge.Value.ParseCorsOrigins()])
                .WithMethods("GET", "POST", "PUT", "DELETE")
                .WithHeaders("authorization", "content-type")
                .WithExposedHeaders("location", "retry-after")
                .SetPreflightMaxAge(TimeSpan.FromMinutes(10))));
        builder.AddDemoPage();
        return builder;
    }

    /// <summary>
    /// Event Grid's part alone, for the Functions host on Azurite (<c>Serverless.LocalHost --event-grid</c>): the app's
    /// settings as the local host reads them, its storage connection, and <see cref="UploadsWatcher"/> raising BlobCreated
    /// into the app's upload queue. No functions run in this process.
    /// </summary>
    public static HostApplicationBuilder AddEventGridOnly(this HostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddLocalSettings();
        builder.AddStorage();
        builder.Services.AddUploadEvents();
        builder.Services.AddHostedService<ProvisionOnStart>(); // as the app's StorageStartup does: the queue and tables exist first
        builder.Services.AddUploadsWatcher();
        return builder;
    }

    /// <summary>Every <c>Values</c> entry of local.settings.json as configuration, below environment variables and the command line.</summary>
    private static void AddLocalSettings(this IHostApplicationBuilder builder)
    {
        if (LocalSettings.Find(builder.Environment.ContentRootPath) is { } settingsPath)
        {
            var sources = builder.Configuration.Sources;
            var envIndex = sources.ToList().FindIndex(s => s is EnvironmentVariablesConfigurationSource { Prefix: null or "" });
            sources.Insert(envIndex < 0 ? sources.Count : envIndex, new MemoryConfigurationSource { InitialData = LocalSettings.Read(settingsPath) });
        }
    }

    private static void AddUploadsWatcher(this IServiceCollection services)
    {
        services.AddOptions<LocalRuntimeOptions>()
            .BindConfiguration(LocalRuntimeOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddStorageResources(new StorageResource(StorageResourceKind.Table, UploadsWatcher.WatchTable));
        services.AddHostedService<UploadsWatcher>();
    }

    /// <summary>
    /// The HTTP side of the host: CORS for browser callers, the demo page, and every HTTP function at
    /// <c>/{routePrefix}/{route}</c> for its methods. What no function answers gets problem+json and the security headers.
    /// </summary>
    public static WebApplication UseLocalHost(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var hsts = !app.Environment.IsDevelopment();
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            ExceptionHandler = context =>
            {
                context.Response.StatusCode = StatusCodes.Status500InternalServerError;
                return Problems.Create(StatusCodes.Status500InternalServerError, "internal", "An unexpected error occurred.").WriteAsync(context);
            },
        });
        app.UseStatusCodePages();
        app.UseRouting();
        app.Use((context, next) =>
        {
            // Functions' answers get the headers from the app's own middleware (as in Azure); this covers the rest.
            if (context.GetEndpoint()?.Metadata.GetMetadata<LocalFunction>() is null)
            {
                SecurityHeaders.ApplyOnStarting(context, hsts);
            }

            return next(context);
        });
        if (app.Services.GetRequiredService<IOptions<EdgeOptions>>().Value.ParseCorsOrigins().Count > 0)
        {
            // Operator routes are never called from a browser.
            app.UseWhen(c => !c.Request.Path.StartsWithSegments("/api/operator", StringComparison.OrdinalIgnoreCase), b => b.UseCors(CorsPolicy));
        }

        app.UseDemoPage();
        MapHttpFunctions(app);
        return app;
    }

    private static void MapHttpFunctions(WebApplication app)
    {
        var index = app.Services.GetRequiredService<FunctionIndex>();
        var invoker = app.Services.GetRequiredService<FunctionInvoker>();
        var prefix = app.Services.GetRequiredService<HostJson>().RoutePrefix.Trim('/');
        foreach (var function in index.OfKind(LocalFunctionKind.Http))
        {
            var trigger = function.Http!;
            var route = (trigger.Route ?? function.Name).Trim('/');
            var pattern = "/" + (prefix.Length == 0 ? route : prefix + "/" + route);
            var methods = (trigger.Methods is { Length: > 0 } m ? m : ["get", "post", "put", "delete", "patch", "head", "options"])
                .Select(x => x.ToUpperInvariant()).ToArray();
            app.MapMethods(pattern, methods, async context =>
            {
                if (!HostRequestLimit.Admit(context))
                {
                    return;
                }

                var result = await invoker.InvokeAsync(function, context.RequestServices, new FunctionInput(context.Request, context), context.RequestAborted)
                    .ConfigureAwait(false);
                if (result is IResult answer)
                {
                    await answer.ExecuteAsync(context).ConfigureAwait(false);
                }
            }).WithName(function.Name).WithMetadata(function);
        }
    }
}
