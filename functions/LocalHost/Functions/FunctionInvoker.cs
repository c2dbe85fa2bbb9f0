using System.Collections.Concurrent;
using System.Reflection;
using System.Runtime.ExceptionServices;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Middleware;
using Microsoft.DurableTask.Client;
using Serverless.Functions;

namespace Serverless.LocalHost.Functions;

/// <summary>What one invocation brings: the trigger's value, and for HTTP the request's context and route values.</summary>
internal sealed record FunctionInput(object? Trigger, HttpContext? Http = null, IReadOnlyDictionary<string, object?>? BindingData = null);

/// <summary>
/// Invokes a <c>[Function]</c> method the way the isolated worker does: a <see cref="FunctionContext"/> for the
/// invocation, the app's worker middleware (<see cref="ServerlessApp.Middleware"/>, in order) around it, the function
/// class created from the invocation's services, and its parameters bound — the trigger, route values by name,
/// <see cref="FunctionContext"/>, the invocation's <see cref="CancellationToken"/>, and <c>[DurableClient]</c>.
/// </summary>
internal sealed class FunctionInvoker(IServiceProvider root, FunctionIndex index, IServiceScopeFactory scopes, DurableTaskClient durable)
{
    private readonly IFunctionsWorkerMiddleware[] _middleware =
        [.. ServerlessApp.Middleware.Select(type => (IFunctionsWorkerMiddleware)root.GetRequiredService(type))];

    private readonly ConcurrentDictionary<string, LocalFunctionDefinition> _definitions = new(StringComparer.Ordinal);

    /// <summary>Runs the named non-HTTP function once, in a scope of its own, with <paramref name="trigger"/> as its trigger value.</summary>
    public async Task<object?> InvokeAsync(string functionName, object? trigger, CancellationToken cancellationToken)
    {
        var function = index.Functions.SingleOrDefault(f => f.Name == functionName && f.Kind != LocalFunctionKind.Http)
            ?? throw new ArgumentException($"No non-HTTP function '{functionName}'.", nameof(functionName));
        await using var scope = scopes.CreateAsyncScope();
        return await InvokeAsync(function, scope.ServiceProvider, new FunctionInput(trigger), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Runs the function in <paramref name="services"/> (the request's scope, or one the caller made) and returns what it returned.</summary>
    public async Task<object?> InvokeAsync(LocalFunction function, IServiceProvider services, FunctionInput input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(function);
        ArgumentNullException.ThrowIfNull(input);
        var definition = _definitions.GetOrAdd(function.Name, static (_, f) => new LocalFunctionDefinition(f), function);
        var context = new LocalFunctionContext(definition, services, input.BindingData ?? new Dictionary<string, object?>(), cancellationToken);
        if (input.Http is { } http)
        {
            context.Items[LocalFunctionContext.HttpContextKey] = http;
        }

        object? result = null;
        FunctionExecutionDelegate pipeline = async ctx => result = await CallAsync(function, (LocalFunctionContext)ctx, input).ConfigureAwait(false);
        for (var i = _middleware.Length - 1; i >= 0; i--)
        {
            var middleware = _middleware[i];
            var next = pipeline;
            pipeline = ctx => middleware.Invoke(ctx, next);
        }

        await pipeline(context).ConfigureAwait(false);
        return result;
    }

    private async Task<object?> CallAsync(LocalFunction function, LocalFunctionContext context, FunctionInput input)
    {
        var method = function.Method;
        var instance = method.IsStatic ? null : ActivatorUtilities.CreateInstance(context.InstanceServices, method.DeclaringType!);
        try
        {
            var parameters = method.GetParameters();
            var arguments = new object?[parameters.Length];
            for (var i = 0; i < parameters.Length; i++)
            {
                arguments[i] = Bind(parameters[i], function, context, input);
            }

            object? returned;
            try
            {
                returned = method.Invoke(instance, arguments);
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

            await task.ConfigureAwait(false);
            return method.ReturnType.IsGenericType ? method.ReturnType.GetProperty(nameof(Task<object>.Result))!.GetValue(task) : null;
        }
        finally
        {
            switch (instance)
            {
                case IAsyncDisposable asyncDisposable:
                    await asyncDisposable.DisposeAsync().ConfigureAwait(false);
                    break;
                case IDisposable disposable:
                    disposable.Dispose();
                    break;
            }
        }
    }

    private object? Bind(ParameterInfo parameter, LocalFunction function, LocalFunctionContext context, FunctionInput input)
    {
        if (parameter.Position == function.Trigger.Position)
        {
            return input.Trigger;
        }

        if (parameter.ParameterType == typeof(FunctionContext))
        {
            return context;
        }

        if (parameter.ParameterType == typeof(CancellationToken))
        {
            return context.CancellationToken;
        }

        if (parameter.ParameterType == typeof(DurableTaskClient))
        {
            return durable;
        }

        // A route value, by name (FunctionIndex allows nothing else).
        return input.Http?.Request.RouteValues.TryGetValue(parameter.Name!, out var value) == true ? value?.ToString() : null;
    }
}
