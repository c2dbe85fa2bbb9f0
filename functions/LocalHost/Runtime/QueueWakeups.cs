using System.Collections.Concurrent;
using Serverless.Storage;

namespace Serverless.LocalHost.Runtime;

/// <summary>
/// Wakes an idle local queue listener as soon as this process enqueues onto its queue, so a pipeline's next step
/// starts at once instead of after the listener's backed-off poll (up to host.json's maxPollingInterval).
/// Messages from other instances are still found by polling.
/// </summary>
internal sealed class QueueWakeups : IQueueObserver
{
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _signals = new(StringComparer.Ordinal);

    public void OnEnqueued(string queue, TimeSpan? initialVisibilityDelay)
    {
        if (initialVisibilityDelay is { } delay && delay > TimeSpan.Zero)
        {
            return; // Not visible yet: polling finds it when it is.
        }

        try
        {
            Signal(queue).Release();
        }
        catch (SemaphoreFullException)
        {
            // A wake-up is already pending.
        }
    }

    /// <summary>Waits for <paramref name="timeout"/> or until something is enqueued on <paramref name="queue"/>.</summary>
    public Task WaitAsync(string queue, TimeSpan timeout, CancellationToken cancellationToken) =>
        Signal(queue).WaitAsync(timeout, cancellationToken);

    private SemaphoreSlim Signal(string queue) => _signals.GetOrAdd(queue, _ => new SemaphoreSlim(0, 1));
}
