using System.Text.Json;
using Azure.Storage.Queues.Models;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.DependencyInjection;
using Serverless.IntegrationTests.Infra;
using Serverless.IntegrationTests.Infrastructure;
using Serverless.LocalHost.Durable;
using Serverless.LocalHost.Functions;
using Serverless.LocalHost.Runtime;

namespace Serverless.IntegrationTests.Runtime;

/// <summary>
/// The local host runs every function the Functions host would: each entry of the built functions.metadata is in the
/// local host's index with the same trigger, and is dispatched — an HTTP route, a queue listener or timer, or an
/// orchestrator or activity of the Durable worker.
/// </summary>
public sealed class LocalHostDispatchTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>
{
    [Fact]
    public void FunctionIndex_EveryFunctionOfTheMetadata_WithItsTrigger()
    {
        var index = new FunctionIndex();

        var metadata = RepoFiles.FunctionMetadata().Select(f => (f.Name, Trigger: TriggerType(f.Json))).ToList();

        Assert.Equal(metadata, index.Functions.Select(f => (f.Name, Trigger: f.TriggerType)));
        Assert.True(metadata.Count > 30, $"only {metadata.Count} functions in functions.metadata");
    }

    [Fact]
    public async Task LocalHost_EveryFunction_IsDispatched()
    {
        await using var app = new FunctionsAppFactory(azurite.ConnectionString);
        _ = app.Server;
        var index = app.Services.GetRequiredService<FunctionIndex>();
        var runtime = app.Services.GetRequiredService<LocalRuntime>();
        var durable = app.Services.GetRequiredService<DurableTaskRuntime>();
        await Eventually.TrueAsync(() => runtime.Listening.Count > 0 && durable.Registered.Count > 0, TimeSpan.FromSeconds(60), "the local runtime and the Durable worker started");
        var routed = app.Services.GetRequiredService<EndpointDataSource>().Endpoints
            .Select(e => e.Metadata.GetMetadata<LocalFunction>()?.Name).OfType<string>().ToHashSet(StringComparer.Ordinal);

        var notDispatched = index.Functions.Where(f => f.Kind switch
        {
            LocalFunctionKind.Http => !routed.Contains(f.Name),
            LocalFunctionKind.Queue or LocalFunctionKind.Timer => !runtime.Listening.Contains(f.Name),
            _ => !durable.Registered.Contains(f.Name),
        }).Select(f => $"{f.Name} ({f.Kind})").ToList();

        Assert.True(notDispatched.Count == 0, "Functions the local host does not run: " + string.Join(", ", notDispatched));
    }

    [Fact]
    public void FunctionIndex_FunctionItCannotBind_RefusesToStartNamingIt()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => new FunctionIndex(typeof(UnbindableFunctions).Assembly));

        Assert.Contains("'Unbindable'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("'reader'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("'TwoTriggers'", ex.Message, StringComparison.Ordinal);
    }

    private static string TriggerType(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.GetProperty("bindings").EnumerateArray()
            .Select(b => b.GetProperty("type").GetString()!)
            .Single(t => t.EndsWith("Trigger", StringComparison.Ordinal));
    }
}

/// <summary>Functions the local host must refuse (scanned only by the test above).</summary>
public sealed class UnbindableFunctions
{
    [Function("Unbindable")]
    public static Task<IResult> Run([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "x")] HttpRequest req, TextReader reader) =>
        Task.FromResult(Results.Ok());

    [Function("TwoTriggers")]
    public static Task Run2([QueueTrigger("a")] QueueMessage message, [TimerTrigger("0 0 * * * *")] TimerInfo timer) => Task.CompletedTask;
}
