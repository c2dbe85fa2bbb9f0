using Azure;
using Azure.Core;
using Azure.Core.Pipeline;

namespace Serverless.Storage;

/// <summary>
/// Marks storage calls made on behalf of a waiting caller (an HTTP request). Inside the scope a storage operation
/// retries at most <see cref="StorageOptions.InteractiveMaxRetries"/> times, quickly, so a storage outage surfaces as a
/// <see cref="StorageUnavailableException"/> (503) in well under a second instead of after the full backoff.
/// Background work (queue handlers, timers) keeps the full retry budget.
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
/// The one retry layer of storage calls: the SDK pipeline's retry policy (Polly is kept for retries of whole domain
/// steps, never stacked on a storage call). Each attempt asks <see cref="StorageCallScope.IsInteractive"/>: an
/// interactive call gets a few quick retries, background work the backoff of the full budget (the same shape as the retired SDK's exponential retry).
/// </summary>
internal sealed class ScopedRetryPolicy : RetryPolicy
{
    private readonly int _background;
    private readonly int _interactive;

    public ScopedRetryPolicy(int backgroundRetries, int interactiveRetries, TimeSpan interactiveDelay)
        : base(Math.Max(backgroundRetries, interactiveRetries), new ScopedDelay(interactiveDelay))
    {
        _background = backgroundRetries;
        _interactive = interactiveRetries;
    }

    protected override bool ShouldRetry(HttpMessage message, Exception? exception) =>
        message.ProcessingContext.RetryNumber < Budget && base.ShouldRetry(message, exception);

    protected override async ValueTask<bool> ShouldRetryAsync(HttpMessage message, Exception? exception) =>
        message.ProcessingContext.RetryNumber < Budget && await base.ShouldRetryAsync(message, exception).ConfigureAwait(false);

    private int Budget => StorageCallScope.IsInteractive ? _interactive : _background;

    /// <summary>
    /// Interactive: a fixed short delay. Background: at least 3 s, growing by 0.5 s × (2^(n-1) − 1) with ±20 % jitter on the
    /// growth (3 s, ~3.5 s, ~4.5 s, …), so a short outage is ridden out instead of spending the budget in a second.
    /// </summary>
    private sealed class ScopedDelay(TimeSpan interactiveDelay) : DelayStrategy(TimeSpan.FromSeconds(30), jitterFactor: 0)
    {
        private static readonly TimeSpan Minimum = TimeSpan.FromSeconds(3);
        private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(500);

        protected override TimeSpan GetNextDelayCore(Response? response, int retryNumber) =>
            StorageCallScope.IsInteractive
                ? interactiveDelay
                : Minimum + (Step * ((Math.Pow(2, Math.Max(0, retryNumber - 1)) - 1) * (0.8 + (Random.Shared.NextDouble() * 0.4))));
    }
}
