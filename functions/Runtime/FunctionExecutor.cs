using Serverless.Functions;

namespace Serverless.Functions.Runtime;

/// <summary>Runs a function's handler in its own DI scope. The single path both the Functions host and the local runtime take.</summary>
public sealed partial class FunctionExecutor(IServiceScopeFactory scopes, ILogger<FunctionExecutor> logger)
{
    public async Task RunQueueAsync(QueueTrigger trigger, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var handler = scope.ServiceProvider.GetRequiredKeyedService<IQueueFunction>(trigger.FunctionName);
        LogInvoking(trigger.FunctionName, trigger.MessageId, trigger.DequeueCount);
        await handler.RunAsync(trigger, cancellationToken).ConfigureAwait(false);
    }

    public async Task RunTimerAsync(TimerTrigger trigger, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var handler = scope.ServiceProvider.GetRequiredKeyedService<ITimerFunction>(trigger.FunctionName);
        LogInvoking(trigger.FunctionName, null, 0);
        await handler.RunAsync(trigger, cancellationToken).ConfigureAwait(false);
    }

    [LoggerMessage(EventId = 100, Level = LogLevel.Debug, Message = "Invoking {Function} (message {MessageId}, delivery {DequeueCount})")]
    private partial void LogInvoking(string function, string? messageId, int dequeueCount);
}
