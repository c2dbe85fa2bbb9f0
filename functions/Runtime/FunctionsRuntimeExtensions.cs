using Microsoft.AspNetCore.Diagnostics;
using Serverless.Functions;
using Serverless.Functions.Runtime.Durable;
using Serverless.Http;
using Serverless.Storage;

namespace Serverless.Functions.Runtime;

public static class FunctionsRuntimeExtensions
{
    /// <summary>Set by the Functions host when it starts the executable as a custom handler.</summary>
    public const string CustomHandlerPortVariable = "FUNCTIONS_CUSTOMHANDLER_PORT";

    /// <summary>A constant-response liveness endpoint, <c>GET /api/health</c>.</summary>
    public const string HealthFunction = "Health";

    /// <summary>
    /// Configuration (local.settings.json when no host), listening address, the function catalog from function.json,
    /// problem+json errors, and — when no Functions host is present — the local runtime (queues, timers, upload watcher).
    /// </summary>
    public static WebApplicationBuilder AddFunctionsRuntime(this WebApplicationBuilder builder)
    {
        var hostPort = Environment.GetEnvironmentVariable(CustomHandlerPortVariable);
        var hosted = !string.IsNullOrEmpty(hostPort);
        if (!hosted && LocalSettings.Find(builder.Environment.ContentRootPath) is { } settingsPath)
        {
            // Below environment variables and the command line, as Core Tools layers them.
            var sources = builder.Configuration.Sources;
            var envIndex = sources.ToList().FindIndex(s =>
                s is Microsoft.Extensions.Configuration.EnvironmentVariables.EnvironmentVariablesConfigurationSource { Prefix: null or "" });
            sources.Insert(
                envIndex < 0 ? sources.Count : envIndex,
                new Microsoft.Extensions.Configuration.Memory.MemoryConfigurationSource { InitialData = LocalSettings.Read(settingsPath) });
        }

        if (hosted)
        {
            builder.WebHost.UseUrls($"http://127.0.0.1:{hostPort}");
        }

        builder.Services.AddProblemDetails();
        builder.Services.AddSingleton(new RuntimeMode(hosted));
        builder.Services.AddSingleton<FunctionCatalog>();
        builder.Services.AddOptions<LocalRuntimeOptions>()
            .BindConfiguration(LocalRuntimeOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddHttpFunction(HealthFunction);
        builder.Services.AddSingleton<FunctionExecutor>();
        builder.Services.AddSingleton<CustomHandlerInvoker>();
        builder.Services.AddStorageResources(
            new StorageResource(StorageResourceKind.Container, LocalRuntime.HostContainer),
            new StorageResource(StorageResourceKind.Table, LocalRuntime.WatchTable));
        builder.Services.AddHostedService<StorageStartup>();
        builder.AddDurableTaskRuntime();
        if (!hosted)
        {
            builder.Services.AddSingleton<QueueWakeups>();
            builder.Services.AddSingleton<IQueueObserver>(sp => sp.GetRequiredService<QueueWakeups>());
            builder.Services.AddHostedService<LocalRuntime>();
        }

        return builder;
    }

    /// <summary>
    /// Maps unhandled failures to problem+json: storage outages to 503 with Retry-After, never a stack trace; storage calls
    /// of <c>/api</c> requests fail fast (<see cref="StorageCallScope"/>).
    /// </summary>
    public static WebApplication UseFunctionsRuntime(this WebApplication app)
    {
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            StatusCodeSelector = ex => ex switch
            {
                StorageUnavailableException => StatusCodes.Status503ServiceUnavailable,
                BadHttpRequestException bad => bad.StatusCode,
                OperationCanceledException => 499,
                _ => StatusCodes.Status500InternalServerError,
            },
            ExceptionHandler = async context =>
            {
                var error = context.Features.Get<IExceptionHandlerFeature>()?.Error;
                var (status, type, title) = error switch
                {
                    StorageUnavailableException => (503, "storage-unavailable", "Storage is unavailable; retry shortly."),
                    BadHttpRequestException bad => (bad.StatusCode, "bad-request", bad.Message),
                    _ => (500, "internal", "An unexpected error occurred."),
                };
                if (status == 503)
                {
                    context.Response.Headers.RetryAfter = "5";
                }

                context.Response.StatusCode = status;
                await Problems.Create(status, type, title).ExecuteAsync(context);
            },
        });
        app.UseStatusCodePages();

        // A caller is waiting on /api/...: storage calls fail fast (503) instead of spending the background retry budget.
        app.Use(async (context, next) =>
        {
            if (!context.Request.Path.StartsWithSegments("/api", StringComparison.OrdinalIgnoreCase))
            {
                await next(context).ConfigureAwait(false);
                return;
            }

            using var scope = StorageCallScope.BeginInteractive();
            await next(context).ConfigureAwait(false);
        });
        return app;
    }

    /// <summary>The custom-handler invocation endpoints: <c>POST /{FunctionName}</c> for queue and timer functions.</summary>
    public static WebApplication MapFunctionInvocations(this WebApplication app)
    {
        app.MapGet("/api/health", () => TypedResults.Ok(new { status = "ok" })).WithName(HealthFunction).WithTags("Health");
        var catalog = app.Services.GetRequiredService<FunctionCatalog>();
        foreach (var function in catalog.Functions.Where(f => f.Kind != Serverless.Functions.FunctionKind.Http))
        {
            app.MapPost("/" + function.Name, (HttpContext context, CustomHandlerInvoker invoker, CancellationToken ct) =>
                invoker.InvokeAsync(function, context, ct)).ExcludeFromDescription();
        }

        return app;
    }
}

/// <summary>Whether a Functions host drives this process (custom handler) or the local runtime does.</summary>
public sealed record RuntimeMode(bool HostedByFunctions);
