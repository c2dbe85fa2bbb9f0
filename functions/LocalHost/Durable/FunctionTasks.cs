using System.Reflection;
using System.Runtime.ExceptionServices;
using System.Text.Json;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Entities;
using Serverless.LocalHost.Functions;

namespace Serverless.LocalHost.Durable;

/// <summary>
/// An <c>[OrchestrationTrigger]</c> function as a Durable Task orchestrator. The function reads its input with
/// <c>context.GetInput&lt;T&gt;()</c>, as under Durable Functions, so the input is kept as JSON and converted on that call.
/// Called directly, on the orchestration's own scheduler: nothing here may leave it (no ConfigureAwait(false)).
/// </summary>
internal sealed class FunctionOrchestrator(LocalFunction function, DataConverter converter) : ITaskOrchestrator
{
    public Type InputType => typeof(JsonElement?);

    public Type OutputType => ResultType(function.Method);

    public async Task<object?> RunAsync(TaskOrchestrationContext context, object? input)
    {
        var wrapped = new FunctionOrchestrationContext(context, (JsonElement?)input, converter);
        object? returned;
        try
        {
            // FunctionIndex admits only the context as an orchestrator's parameter.
            returned = function.Method.Invoke(null, [wrapped]);
        }
        catch (TargetInvocationException ex) when (ex.InnerException is not null)
        {
            ExceptionDispatchInfo.Capture(ex.InnerException).Throw();
            throw;
        }

        if (returned is not Task task)
        {
            return returned;
        }

        await task;
        return function.Method.ReturnType.IsGenericType ? function.Method.ReturnType.GetProperty(nameof(Task<object>.Result))!.GetValue(task) : null;
    }

    internal static Type ResultType(MethodInfo method) =>
        method.ReturnType.IsGenericType && method.ReturnType.GetGenericTypeDefinition() == typeof(Task<>) ? method.ReturnType.GetGenericArguments()[0]
        : method.ReturnType == typeof(Task) || method.ReturnType == typeof(void) ? typeof(object)
        : method.ReturnType;
}

/// <summary>An <c>[ActivityTrigger]</c> function as a Durable Task activity: its input deserialized into the trigger parameter's type, run through the app's middleware in a scope of its own.</summary>
internal sealed class FunctionActivity(LocalFunction function, FunctionInvoker invoker, IServiceScopeFactory scopes, CancellationToken stopping) : ITaskActivity
{
    public Type InputType => function.Trigger.ParameterType;

    public Type OutputType => FunctionOrchestrator.ResultType(function.Method);

    public async Task<object?> RunAsync(TaskActivityContext context, object? input)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (input is null && function.Trigger.ParameterType.IsValueType is false)
        {
            throw new InvalidOperationException($"{function.Name} was called without an input.");
        }

        await using var scope = scopes.CreateAsyncScope();
        var bindingData = new Dictionary<string, object?> { ["instanceId"] = context.InstanceId };
        return await invoker.InvokeAsync(function, scope.ServiceProvider, new FunctionInput(input, BindingData: bindingData), stopping).ConfigureAwait(false);
    }
}

/// <summary>The orchestration context handed to an orchestrator function: the engine's, with the input converted on <see cref="GetInput{T}"/>.</summary>
internal sealed class FunctionOrchestrationContext(TaskOrchestrationContext inner, JsonElement? input, DataConverter converter) : TaskOrchestrationContext
{
    public override TaskName Name => inner.Name;

    public override string InstanceId => inner.InstanceId;

    public override ParentOrchestrationInstance? Parent => inner.Parent;

    public override DateTime CurrentUtcDateTime => inner.CurrentUtcDateTime;

    public override bool IsReplaying => inner.IsReplaying;

    public override string Version => inner.Version;

    public override IReadOnlyDictionary<string, object?> Properties => inner.Properties;

    public override TaskOrchestrationEntityFeature Entities => inner.Entities;

    public override ILoggerFactory ReplaySafeLoggerFactory => inner.ReplaySafeLoggerFactory;

    protected override ILoggerFactory LoggerFactory => inner.ReplaySafeLoggerFactory;

    public override T? GetInput<T>()
        where T : default =>
        input is { } json ? converter.Deserialize<T>(json.GetRawText()) : default;

    public override Task<TResult> CallActivityAsync<TResult>(TaskName name, object? input = null, TaskOptions? options = null) =>
        inner.CallActivityAsync<TResult>(name, input, options);

    public override Task CreateTimer(DateTime fireAt, CancellationToken cancellationToken) => inner.CreateTimer(fireAt, cancellationToken);

    public override Task<T> WaitForExternalEvent<T>(string eventName, CancellationToken cancellationToken = default) =>
        inner.WaitForExternalEvent<T>(eventName, cancellationToken);

    public override void SendEvent(string instanceId, string eventName, object payload) => inner.SendEvent(instanceId, eventName, payload);

    public override void SetCustomStatus(object? customStatus) => inner.SetCustomStatus(customStatus);

    public override Task<TResult> CallSubOrchestratorAsync<TResult>(TaskName orchestratorName, object? input = null, TaskOptions? options = null) =>
        inner.CallSubOrchestratorAsync<TResult>(orchestratorName, input, options);

    public override void ContinueAsNew(object? newInput = null, bool preserveUnprocessedEvents = true) => inner.ContinueAsNew(newInput, preserveUnprocessedEvents);

    public override Guid NewGuid() => inner.NewGuid();

    public override int CompareVersionTo(string version) => inner.CompareVersionTo(version);
}
