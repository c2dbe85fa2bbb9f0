using System.Collections;
using System.Collections.Immutable;
using System.Diagnostics;
using System.Reflection;
using Microsoft.Azure.Functions.Worker;

namespace Serverless.LocalHost.Functions;

/// <summary>
/// The <see cref="FunctionContext"/> of one invocation in the local host: the function's definition (its entry point, as
/// the worker gives it, so the app's middleware reads the same attributes), the invocation's services, the trigger's
/// binding data, and — for HTTP — the ASP.NET Core <c>HttpContext</c> where the ASP.NET Core integration puts it.
/// </summary>
internal sealed class LocalFunctionContext : FunctionContext
{
    /// <summary>Where the worker's ASP.NET Core integration keeps the HttpContext (<c>FunctionContext.GetHttpContext()</c> reads it).</summary>
    public const string HttpContextKey = "HttpRequestContext";

    public LocalFunctionContext(
        LocalFunctionDefinition definition,
        IServiceProvider services,
        IReadOnlyDictionary<string, object?> bindingData,
        CancellationToken cancellationToken,
        int retryCount = 0,
        int maxRetryCount = 0)
    {
        FunctionDefinition = definition;
        InstanceServices = services;
        BindingContext = new LocalBindingContext(bindingData);
        RetryContext = new LocalRetryContext(retryCount, maxRetryCount);
        CancellationToken = cancellationToken;
        var activity = Activity.Current;
        TraceContext = new LocalTraceContext(activity?.Id ?? string.Empty, activity?.TraceStateString ?? string.Empty);
    }

    public override string InvocationId { get; } = Guid.NewGuid().ToString();

    public override string FunctionId => FunctionDefinition.Id;

    public override TraceContext TraceContext { get; }

    public override BindingContext BindingContext { get; }

    public override RetryContext RetryContext { get; }

    public override IServiceProvider InstanceServices { get; set; }

    public override FunctionDefinition FunctionDefinition { get; }

    public override IDictionary<object, object> Items { get; set; } = new Dictionary<object, object>();

    public override IInvocationFeatures Features { get; } = new LocalInvocationFeatures();

    public override CancellationToken CancellationToken { get; }

    private sealed class LocalBindingContext(IReadOnlyDictionary<string, object?> data) : BindingContext
    {
        public override IReadOnlyDictionary<string, object?> BindingData { get; } = data;
    }

    private sealed class LocalRetryContext(int retryCount, int maxRetryCount) : RetryContext
    {
        public override int RetryCount { get; } = retryCount;

        public override int MaxRetryCount { get; } = maxRetryCount;
    }

    private sealed class LocalTraceContext(string traceParent, string traceState) : TraceContext
    {
        public override string TraceParent { get; } = traceParent;

        public override string TraceState { get; } = traceState;
    }

    private sealed class LocalInvocationFeatures : IInvocationFeatures
    {
        private readonly Dictionary<Type, object> _features = [];

        public T? Get<T>() => _features.TryGetValue(typeof(T), out var value) ? (T)value : default;

        public void Set<T>(T instance)
        {
            if (instance is null)
            {
                _features.Remove(typeof(T));
            }
            else
            {
                _features[typeof(T)] = instance;
            }
        }

        public IEnumerator<KeyValuePair<Type, object>> GetEnumerator() => _features.GetEnumerator();

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }
}

/// <summary>A function's definition as the worker describes it: name, entry point, assembly, parameters and bindings.</summary>
internal sealed class LocalFunctionDefinition : FunctionDefinition
{
    public LocalFunctionDefinition(LocalFunction function)
    {
        ArgumentNullException.ThrowIfNull(function);
        Name = function.Name;
        Id = function.Name;
        EntryPoint = function.EntryPoint;
        PathToAssembly = function.Method.DeclaringType!.Assembly.Location;
        Parameters = [.. function.Method.GetParameters().Select(p => new FunctionParameter(p.Name!, p.ParameterType))];
        var inputs = ImmutableDictionary.CreateBuilder<string, BindingMetadata>();
        inputs[function.Trigger.Name!] = new LocalBindingMetadata(function.Trigger.Name!, function.TriggerType, BindingDirection.In);
        foreach (var client in function.Method.GetParameters().Where(p => p.GetCustomAttribute<Microsoft.Azure.Functions.Worker.DurableClientAttribute>() is not null))
        {
            inputs[client.Name!] = new LocalBindingMetadata(client.Name!, "durableClient", BindingDirection.In);
        }

        InputBindings = inputs.ToImmutable();
        OutputBindings = function.Kind == LocalFunctionKind.Http
            ? ImmutableDictionary<string, BindingMetadata>.Empty.Add("$return", new LocalBindingMetadata("$return", "http", BindingDirection.Out))
            : ImmutableDictionary<string, BindingMetadata>.Empty;
    }

    public override ImmutableArray<FunctionParameter> Parameters { get; }

    public override string PathToAssembly { get; }

    public override string EntryPoint { get; }

    public override string Id { get; }

    public override string Name { get; }

    public override IImmutableDictionary<string, BindingMetadata> InputBindings { get; }

    public override IImmutableDictionary<string, BindingMetadata> OutputBindings { get; }

    private sealed class LocalBindingMetadata(string name, string type, BindingDirection direction) : BindingMetadata
    {
        public override string Name { get; } = name;

        public override string Type { get; } = type;

        public override BindingDirection Direction { get; } = direction;
    }
}
