using System.Reflection;
using Azure.Storage.Queues.Models;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Serverless.Functions;

namespace Serverless.LocalHost.Functions;

public enum LocalFunctionKind
{
    Http,
    Queue,
    Timer,
    Orchestration,
    Activity,
}

/// <summary>One <c>[Function]</c> method of the function app, as the local host dispatches it.</summary>
/// <param name="Trigger">The trigger parameter (the one with the trigger attribute).</param>
public sealed record LocalFunction(string Name, LocalFunctionKind Kind, MethodInfo Method, ParameterInfo Trigger)
{
    public string EntryPoint => $"{Method.DeclaringType!.FullName}.{Method.Name}";

    public HttpTriggerAttribute? Http => Trigger.GetCustomAttribute<HttpTriggerAttribute>();

    public QueueTriggerAttribute? Queue => Trigger.GetCustomAttribute<QueueTriggerAttribute>();

    public TimerTriggerAttribute? Timer => Trigger.GetCustomAttribute<TimerTriggerAttribute>();

    /// <summary>The binding type name Functions gives the trigger (as in functions.metadata).</summary>
    public string TriggerType => Kind switch
    {
        LocalFunctionKind.Http => "httpTrigger",
        LocalFunctionKind.Queue => "queueTrigger",
        LocalFunctionKind.Timer => "timerTrigger",
        LocalFunctionKind.Orchestration => "orchestrationTrigger",
        _ => "activityTrigger",
    };
}

/// <summary>
/// Every <c>[Function]</c> method of the function app, found the way the worker SDK's generator finds them, with its
/// trigger. Start-up fails, naming the function, when one has a trigger or a parameter this host cannot bind: a function
/// the local host cannot run would otherwise only fail in Azure, or only here.
/// </summary>
public sealed class FunctionIndex
{
    /// <summary>Parameter types the local host binds besides the trigger and route values.</summary>
    private static readonly Type[] ContextTypes = [typeof(FunctionContext), typeof(CancellationToken)];

    public FunctionIndex()
        : this(typeof(ServerlessApp).Assembly)
    {
    }

    public FunctionIndex(Assembly assembly)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        var functions = new List<LocalFunction>();
        var problems = new List<string>();
        foreach (var type in assembly.GetTypes())
        {
            foreach (var method in type.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly))
            {
                if (method.GetCustomAttribute<FunctionAttribute>() is not { } attribute)
                {
                    continue;
                }

                if (Describe(attribute.Name, method, problems) is { } function)
                {
                    functions.Add(function);
                }
            }
        }

        problems.AddRange(functions.GroupBy(f => f.Name, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1).Select(g => $"'{g.Key}' is declared {g.Count()} times"));
        problems.AddRange(RouteProblems(functions.Where(f => f.Kind == LocalFunctionKind.Http).ToList()));
        if (problems.Count > 0)
        {
            throw new InvalidOperationException("The local host cannot run every function of the app: " + string.Join("; ", problems) + ".");
        }

        Functions = [.. functions.OrderBy(f => f.Name, StringComparer.Ordinal)];
    }

    public IReadOnlyList<LocalFunction> Functions { get; }

    public IEnumerable<LocalFunction> OfKind(LocalFunctionKind kind) => Functions.Where(f => f.Kind == kind);

    internal static LocalFunction? Describe(string name, MethodInfo method, List<string> problems)
    {
        // One read of the parameters, compared by position: another thread reading a method's parameters for the first time
        // at the same moment can make two reads return distinct ParameterInfo objects for the same parameter.
        var parameters = method.GetParameters();
        var triggers = parameters
            .Select(p => (Parameter: p, Kind: KindOf(p)))
            .Where(t => t.Kind is not null)
            .ToList();
        if (triggers.Count != 1)
        {
            problems.Add($"'{name}' has {triggers.Count} trigger parameters, not one");
            return null;
        }

        var (trigger, kind) = (triggers[0].Parameter, triggers[0].Kind!.Value);
        var routeValues = kind == LocalFunctionKind.Http ? RouteParameters(trigger.GetCustomAttribute<HttpTriggerAttribute>()!.Route) : [];
        foreach (var parameter in parameters.Where(p => p.Position != trigger.Position))
        {
            var bindable = ContextTypes.Contains(parameter.ParameterType)
                || (parameter.GetCustomAttribute<DurableClientAttribute>() is not null && parameter.ParameterType == typeof(DurableTaskClient))
                || (routeValues.Contains(parameter.Name!, StringComparer.OrdinalIgnoreCase) && parameter.ParameterType == typeof(string));
            if (!bindable)
            {
                problems.Add($"'{name}': the local host cannot bind parameter '{parameter.Name}' ({parameter.ParameterType.Name})");
            }
        }

        var triggerType = trigger.ParameterType;
        var triggerBindable = kind switch
        {
            LocalFunctionKind.Http => triggerType == typeof(HttpRequest),
            LocalFunctionKind.Queue => triggerType == typeof(QueueMessage) || triggerType == typeof(string),
            LocalFunctionKind.Timer => triggerType == typeof(TimerInfo),
            LocalFunctionKind.Orchestration => triggerType == typeof(TaskOrchestrationContext),
            _ => true, // an activity's input is deserialized into its parameter type
        };
        if (!triggerBindable)
        {
            problems.Add($"'{name}': the local host cannot bind a {kind} trigger to {triggerType.Name}");
        }

        if (kind == LocalFunctionKind.Orchestration && (!method.IsStatic || parameters.Length != 1))
        {
            problems.Add($"'{name}': an orchestrator function here is static and takes only its TaskOrchestrationContext");
        }

        var returns = method.ReturnType;
        var result = returns.IsGenericType && returns.GetGenericTypeDefinition() == typeof(Task<>) ? returns.GetGenericArguments()[0] : returns;
        if (kind == LocalFunctionKind.Http && result != typeof(IResult))
        {
            problems.Add($"'{name}': an HTTP function returns IResult or Task<IResult> here, not {returns.Name}");
        }

        return new LocalFunction(name, kind, method, trigger);
    }

    /// <summary>
    /// The Functions host's route checks (ScriptHost.ValidateHttpFunction and HttpRoutesConflict): a route (the function's
    /// name when none is given) beginning with <c>admin</c> or <c>runtime</c> is reserved for the host's own endpoints, and two
    /// functions may not share a route with a method in common. The host puts such a function in error; here the start fails.
    /// </summary>
    internal static IEnumerable<string> RouteProblems(IReadOnlyList<LocalFunction> http)
    {
        foreach (var function in http)
        {
            var route = RouteOf(function).ToLowerInvariant();
            if (route.StartsWith("admin", StringComparison.Ordinal) || route.StartsWith("runtime", StringComparison.Ordinal))
            {
                yield return $"'{function.Name}': the route '{RouteOf(function)}' conflicts with the Functions host's built-in routes (admin…, runtime…): the host puts the function in error";
            }
        }

        for (var i = 0; i < http.Count; i++)
        {
            for (var j = i + 1; j < http.Count; j++)
            {
                if (string.Equals(RouteOf(http[i]), RouteOf(http[j]), StringComparison.OrdinalIgnoreCase) && MethodsIntersect(http[i].Http!.Methods, http[j].Http!.Methods))
                {
                    yield return $"'{http[j].Name}': its route '{RouteOf(http[j])}' conflicts with the route of '{http[i].Name}'";
                }
            }
        }
    }

    private static string RouteOf(LocalFunction function) => (function.Http!.Route is { Length: > 0 } route ? route : function.Name).Trim('/');

    private static bool MethodsIntersect(string[]? a, string[]? b) =>
        a is not { Length: > 0 } || b is not { Length: > 0 } || a.Intersect(b, StringComparer.OrdinalIgnoreCase).Any();

    private static LocalFunctionKind? KindOf(ParameterInfo parameter) =>
        parameter.GetCustomAttribute<HttpTriggerAttribute>() is not null ? LocalFunctionKind.Http
        : parameter.GetCustomAttribute<QueueTriggerAttribute>() is not null ? LocalFunctionKind.Queue
        : parameter.GetCustomAttribute<TimerTriggerAttribute>() is not null ? LocalFunctionKind.Timer
        : parameter.GetCustomAttribute<OrchestrationTriggerAttribute>() is not null ? LocalFunctionKind.Orchestration
        : parameter.GetCustomAttribute<ActivityTriggerAttribute>() is not null ? LocalFunctionKind.Activity
        : null;

    /// <summary>The names of a route template's parameters (<c>videos/{videoId}/x</c> → <c>videoId</c>; constraints and <c>?</c> dropped).</summary>
    internal static IReadOnlyList<string> RouteParameters(string? route) =>
        route is null
            ? []
            : [.. Microsoft.AspNetCore.Routing.Patterns.RoutePatternFactory.Parse(route).Parameters.Select(p => p.Name)];
}
