using Microsoft.Extensions.DependencyInjection;

namespace Serverless.Functions;

/// <summary>A queue message handed to a queue-triggered function (by the Functions host or the local runtime).</summary>
/// <param name="Body">The message text, already base64-decoded.</param>
public sealed record QueueTrigger(string FunctionName, string QueueName, string Body, int DequeueCount, string? MessageId, DateTimeOffset? InsertedOn);

/// <summary>A timer firing.</summary>
public sealed record TimerTrigger(string FunctionName, bool IsPastDue, DateTimeOffset? ScheduledFor);

/// <summary>A queue-triggered function. Throwing makes the message visible again for a retry; after
/// <c>maxDequeueCount</c> deliveries it moves to <c>&lt;queue&gt;-poison</c>. Handlers must be idempotent.</summary>
public interface IQueueFunction
{
    Task RunAsync(QueueTrigger trigger, CancellationToken cancellationToken);
}

/// <summary>A timer-triggered function; one instance at a time across the app's instances.</summary>
public interface ITimerFunction
{
    Task RunAsync(TimerTrigger trigger, CancellationToken cancellationToken);
}

/// <summary>Registers the handler for a <c>functions/&lt;Name&gt;/function.json</c>.</summary>
public static class FunctionRegistration
{
    public static IServiceCollection AddQueueFunction<T>(this IServiceCollection services, string functionName)
        where T : class, IQueueFunction
    {
        services.AddKeyedScoped<IQueueFunction, T>(functionName);
        services.AddSingleton(new RegisteredFunction(functionName, FunctionKind.Queue));
        return services;
    }

    public static IServiceCollection AddTimerFunction<T>(this IServiceCollection services, string functionName)
        where T : class, ITimerFunction
    {
        services.AddKeyedScoped<ITimerFunction, T>(functionName);
        services.AddSingleton(new RegisteredFunction(functionName, FunctionKind.Timer));
        return services;
    }

    /// <summary>Declares an HTTP function: its routes are mapped by the area's <c>Map…Api</c>; its function.json proxies them.</summary>
    public static IServiceCollection AddHttpFunction(this IServiceCollection services, string functionName)
    {
        services.AddSingleton(new RegisteredFunction(functionName, FunctionKind.Http));
        return services;
    }
}

public enum FunctionKind
{
    Http,
    Queue,
    Timer,
}

/// <summary>A function the code provides; checked against the function.json files at start-up.</summary>
public sealed record RegisteredFunction(string Name, FunctionKind Kind);

/// <summary>
/// Blobs created in <paramref name="Container"/> raise Event Grid <c>Microsoft.Storage.BlobCreated</c> events into
/// <paramref name="Queue"/>: in Azure through an Event Grid subscription (Bicep), locally through the local runtime's watcher.
/// </summary>
public sealed record BlobCreatedSubscription(string Container, string Queue);
