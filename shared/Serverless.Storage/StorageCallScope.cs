using Microsoft.WindowsAzure.Storage;
using Microsoft.WindowsAzure.Storage.RetryPolicies;

namespace Serverless.Storage;

/// <summary>
/// Marks storage calls made on behalf of a waiting caller (an HTTP request). Inside the scope a storage operation
/// retries at most <see cref="StorageOptions.InteractiveMaxRetries"/> times, quickly, so a storage outage surfaces as a
/// <see cref="StorageUnavailableException"/> (503) in well under a second instead of after the SDK's full backoff
/// (three retries of at least 3 s each). Background work (queue handlers, timers) keeps the full retry budget.
/// </summary>
public static class StorageCallScope
{
    private static readonly AsyncLocal<bool> Interactive = new();

    /// <summary>Whether the current async flow serves a waiting caller.</summary>
    public static bool IsInteractive => Interactive.Value;

    /// <summary>Marks the current async flow as interactive until disposed.</summary>
    public static IDisposable BeginInteractive()
    {
        var previous = Interactive.Value;
        Interactive.Value = true;
        return new Restore(previous);
    }

    private sealed class Restore(bool previous) : IDisposable
    {
        public void Dispose() => Interactive.Value = previous;
    }
}

/// <summary>
/// The SDK's retry policy, chosen per operation: <see cref="StorageCallScope.IsInteractive"/> at the operation's start
/// selects a few quick retries, otherwise the exponential backoff of the background budget.
/// </summary>
internal sealed class ScopedRetryPolicy(IRetryPolicy background, int interactiveRetries, TimeSpan interactiveDelay) : IRetryPolicy
{
    public IRetryPolicy CreateInstance() =>
        StorageCallScope.IsInteractive ? new Quick(interactiveRetries, interactiveDelay) : background.CreateInstance();

    public bool ShouldRetry(int currentRetryCount, int statusCode, Exception lastException, out TimeSpan retryInterval, OperationContext operationContext) =>
        CreateInstance().ShouldRetry(currentRetryCount, statusCode, lastException, out retryInterval, operationContext);

    private sealed class Quick(int retries, TimeSpan delay) : IRetryPolicy
    {
        public IRetryPolicy CreateInstance() => new Quick(retries, delay);

        public bool ShouldRetry(int currentRetryCount, int statusCode, Exception lastException, out TimeSpan retryInterval, OperationContext operationContext)
        {
            retryInterval = delay;
            var transient = statusCode is < 400 or 408 or 429 or (>= 500 and not 501 and not 505);
            return transient && currentRetryCount < retries;
        }
    }
}
