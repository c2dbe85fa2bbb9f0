using Microsoft.Extensions.DependencyInjection;
using Serverless.Functions.Edge;
using Serverless.IntegrationTests.Infrastructure;
using Serverless.LocalHost.Functions;

namespace Serverless.IntegrationTests.Identity;

/// <summary>
/// The edge middleware's checks (authentication, authorization, limits) run on the invocation's HttpContext. An HTTP
/// function invoked without one must not run unchecked: the middleware refuses it. Other triggers have none and pass.
/// </summary>
public sealed class EdgeFailClosedTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>
{
    [Fact]
    public async Task HttpTriggerWithoutHttpContext_Refused_FunctionNeverRuns_OtherTriggersPass()
    {
        await using var app = new FunctionsAppFactory(azurite.ConnectionString, new Dictionary<string, string?> { ["LocalRuntime:Enabled"] = "false" });
        _ = app.Server;
        var functions = app.Services.GetRequiredService<FunctionIndex>();
        var middleware = ActivatorUtilities.CreateInstance<EdgeMiddleware>(app.Services);
        using var scope = app.Services.CreateScope();
        var operatorRoute = functions.OfKind(LocalFunctionKind.Http).First(f => f.Name == "ReprocessVideo");
        var queue = functions.OfKind(LocalFunctionKind.Queue).First();
        var ran = new List<string>();

        var refused = await Record.ExceptionAsync(() => middleware.Invoke(Context(operatorRoute, scope.ServiceProvider), c =>
        {
            ran.Add(c.FunctionDefinition.Name);
            return Task.CompletedTask;
        }));
        await middleware.Invoke(Context(queue, scope.ServiceProvider), c =>
        {
            ran.Add(c.FunctionDefinition.Name);
            return Task.CompletedTask;
        });

        Assert.IsType<InvalidOperationException>(refused);
        Assert.Equal([queue.Name], ran);
    }

    /// <summary>An invocation as a host would make it, with no HttpContext in its items.</summary>
    private static LocalFunctionContext Context(LocalFunction function, IServiceProvider services) =>
        new(new LocalFunctionDefinition(function), services, new Dictionary<string, object?>(), default);
}
