using System.Text.Json;
using Azure.Storage.Queues.Models;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.DependencyInjection;
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

    /// <summary>
    /// A callback on the stopping token that throws (an activity's linked token source disposed as the host stops) failed the
    /// host's stop with ObjectDisposedException in a fresh-clone run, leaving the worker running: the stop goes on.
    /// </summary>
    [Fact]
    public async Task Stop_ACallbackOnTheStoppingTokenThrows_TheWorkerStopsAnyway()
    {
        var app = new FunctionsAppFactory(azurite.ConnectionString);
        _ = app.Server;
        var durable = app.Services.GetRequiredService<DurableTaskRuntime>();
        await Eventually.TrueAsync(() => durable.Registered.Count > 0, TimeSpan.FromSeconds(60), "the Durable worker started");
        var stopping = durable.Stopping;
        stopping.Register(() => throw new ObjectDisposedException(nameof(CancellationTokenSource)));

        await durable.StopAsync(CancellationToken.None);
        await app.DisposeAsync();

        Assert.True(stopping.IsCancellationRequested);
    }

    /// <summary>
    /// Test apps start in parallel, each indexing the app; two threads reading a method's parameters for the first time at
    /// once can be handed distinct ParameterInfo objects for one parameter. Here every read is such a read: the index must
    /// still find each function's trigger among its parameters (it named the trigger itself as unbindable before the fix,
    /// which stopped a test app from starting in a fresh-clone run).
    /// </summary>
    [Fact]
    public void FunctionIndex_ParametersReadAsFreshObjectsEachTime_IndexesEveryFunction()
    {
        var methods = typeof(Serverless.Functions.ServerlessApp).Assembly.GetTypes()
            .SelectMany(t => t.GetMethods(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.Static | System.Reflection.BindingFlags.DeclaredOnly))
            .Where(m => m.GetCustomAttributes(typeof(FunctionAttribute), false).Length > 0)
            .ToList();
        var problems = new List<string>();

        var described = methods
            .Select(m => FunctionIndex.Describe(((FunctionAttribute)m.GetCustomAttributes(typeof(FunctionAttribute), false)[0]).Name, new FreshParametersMethod(m), problems))
            .ToList();

        Assert.Empty(problems);
        Assert.Equal(new FunctionIndex().Functions.Count, described.Count(d => d is not null));
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

/// <summary>A method whose every <see cref="GetParameters"/> call returns new ParameterInfo objects (as a racing first read can).</summary>
internal sealed class FreshParametersMethod(System.Reflection.MethodInfo inner) : System.Reflection.MethodInfo
{
    public override string Name => inner.Name;

    public override Type? DeclaringType => inner.DeclaringType;

    public override Type? ReflectedType => inner.ReflectedType;

    public override Type ReturnType => inner.ReturnType;

    public override System.Reflection.MethodAttributes Attributes => inner.Attributes;

    public override RuntimeMethodHandle MethodHandle => inner.MethodHandle;

    public override System.Reflection.ICustomAttributeProvider ReturnTypeCustomAttributes => inner.ReturnTypeCustomAttributes;

    public override System.Reflection.ParameterInfo[] GetParameters() => [.. inner.GetParameters().Select(p => new FreshParameter(p, this))];

    public override System.Reflection.MethodInfo GetBaseDefinition() => inner.GetBaseDefinition();

    public override object[] GetCustomAttributes(bool inherit) => inner.GetCustomAttributes(inherit);

    public override object[] GetCustomAttributes(Type attributeType, bool inherit) => inner.GetCustomAttributes(attributeType, inherit);

    public override bool IsDefined(Type attributeType, bool inherit) => inner.IsDefined(attributeType, inherit);

    public override System.Reflection.MethodImplAttributes GetMethodImplementationFlags() => inner.GetMethodImplementationFlags();

    public override object? Invoke(object? obj, System.Reflection.BindingFlags invokeAttr, System.Reflection.Binder? binder, object?[]? parameters, System.Globalization.CultureInfo? culture) =>
        inner.Invoke(obj, invokeAttr, binder, parameters, culture);

    private sealed class FreshParameter : System.Reflection.ParameterInfo
    {
        private readonly System.Reflection.ParameterInfo _inner;

        public FreshParameter(System.Reflection.ParameterInfo inner, System.Reflection.MemberInfo member)
        {
            _inner = inner;
            NameImpl = inner.Name;
            ClassImpl = inner.ParameterType;
            PositionImpl = inner.Position;
            AttrsImpl = inner.Attributes;
            MemberImpl = member;
        }

        public override object[] GetCustomAttributes(bool inherit) => _inner.GetCustomAttributes(inherit);

        public override object[] GetCustomAttributes(Type attributeType, bool inherit) => _inner.GetCustomAttributes(attributeType, inherit);

        public override bool IsDefined(Type attributeType, bool inherit) => _inner.IsDefined(attributeType, inherit);
    }
}
