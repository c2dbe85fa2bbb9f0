using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Options;
using NCrontab;
using Serverless.LocalHost.Functions;
using Serverless.Storage;
using QueueMessage = Serverless.Storage.QueueMessage;

namespace Serverless.LocalHost.Runtime;

/// <summary>
/// Stands in for the Functions host's queue and timer triggers: runs the app's queue- and timer-triggered functions from
/// their trigger attributes — queue listeners with Functions' retry and poison semantics (host.json's
/// <c>extensions.queues</c>), NCRONTAB timers held to one instance by a blob lease. Event Grid's part is
/// <see cref="UploadsWatcher"/>'s.
/// </summary>
internal sealed partial class LocalRuntime(
    FunctionIndex index,
    FunctionInvoker invoker,
    HostJson host,
    IServiceScopeFactory scopes,
    IConfiguration configuration,
    IQueueStore queues,
    IBlobStore blobs,
    IStorageProvisioner provisioner,
    QueueWakeups wakeups,
    IOptions<LocalRuntimeOptions> options,
    TimeProvider time,
    ILogger<LocalRuntime> logger) : BackgroundService
{
    /// <summary>Where timer locks live, as the Functions host keeps them.</summary>
    public const string HostContainer = "azure-webjobs-hosts";

    /// <summary>The queue- and timer-triggered functions this process listens for (empty until it started).</summary>
    public IReadOnlyList<string> Listening { get; private set; } = [];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.Enabled)
        {
            LogDisabled();
            return;
        }

        var loops = new List<Task>();
        foreach (var function in index.OfKind(LocalFunctionKind.Queue))
        {
            var queue = HostJson.Resolve(function.Queue!.QueueName, configuration, function.Name);
            await EnsureQueueAsync(queue, stoppingToken).ConfigureAwait(false);
            for (var i = 0; i < options.Value.Concurrency; i++)
            {
                loops.Add(RunQueueLoopAsync(function, queue, stoppingToken));
            }
        }

        foreach (var function in index.OfKind(LocalFunctionKind.Timer))
        {
            loops.Add(RunTimerLoopAsync(function, HostJson.Resolve(function.Timer!.Schedule, configuration, function.Name), stoppingToken));
        }

        Listening = [.. index.OfKind(LocalFunctionKind.Queue).Concat(index.OfKind(LocalFunctionKind.Timer)).Select(f => f.Name)];
        LogStarted(Listening.Count);
        await Task.WhenAll(loops).ConfigureAwait(false);
    }

    private async Task RunQueueLoopAsync(LocalFunction function, string queue, CancellationToken stoppingToken)
    {
        var settings = host.Queues;
        var minDelay = TimeSpan.FromSeconds(options.Value.MinPollingIntervalSeconds);
        var delay = minDelay;
        var lease = TimeSpan.FromSeconds(options.Value.MessageLeaseSeconds);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var received = await queues.ReceiveAsync(queue, 1, lease, stoppingToken).ConfigureAwait(false);
                if (received.Count == 0)
                {
                    await wakeups.WaitAsync(queue, delay, stoppingToken).ConfigureAwait(false);
                    delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, settings.MaxPollingInterval.Ticks));
                    continue;
                }

                delay = minDelay;
                await ProcessMessageAsync(function, queue, received[0], lease, settings, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (StorageException ex)
            {
                LogQueueUnavailable(queue, ex.Message);
                await Task.Delay(TimeSpan.FromSeconds(2), time, stoppingToken).ConfigureAwait(false);
            }
        }
    }

    private async Task ProcessMessageAsync(LocalFunction function, string queue, QueueMessage message, TimeSpan lease, QueueHostSettings settings, CancellationToken stoppingToken)
    {
        if (message.DequeueCount > settings.MaxDequeueCount)
        {
            // Delivered too often already (e.g. its handlers kept crashing the process): straight to poison.
            await MoveToPoisonAsync(queue, message, stoppingToken).ConfigureAwait(false);
            return;
        }

        using var renewal = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var current = message;
        var keepAlive = Task.Run(
            async () =>
            {
                while (!renewal.IsCancellationRequested)
                {
                    await Task.Delay(lease / 2, time, renewal.Token).ConfigureAwait(false);
                    current = await queues.UpdateVisibilityAsync(queue, current, lease, renewal.Token).ConfigureAwait(false);
                }
            },
            CancellationToken.None);
        Exception? failure = null;
        try
        {
            object trigger = function.Trigger.ParameterType == typeof(string)
                ? message.Body
                : Azure.Storage.Queues.Models.QueuesModelFactory.QueueMessage(
                    message.Id, string.Empty, BinaryData.FromString(message.Body), message.DequeueCount, insertedOn: message.InsertedOn);
            await InvokeAsync(function, trigger, new Dictionary<string, object?>
            {
                ["Id"] = message.Id,
                ["DequeueCount"] = message.DequeueCount,
                ["InsertionTime"] = message.InsertedOn,
                ["QueueTrigger"] = message.Body,
            }, stoppingToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
        {
            failure = ex;
        }
        finally
        {
            await renewal.CancelAsync().ConfigureAwait(false);
            try
            {
                await keepAlive.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
            catch (StorageException ex)
            {
                LogQueueUnavailable(queue, ex.Message);
            }
        }

        if (failure is null)
        {
            await queues.DeleteAsync(queue, current, stoppingToken).ConfigureAwait(false);
            return;
        }

        LogHandlerFailed(failure, function.Name, message.Id, message.DequeueCount);
        if (message.DequeueCount >= settings.MaxDequeueCount)
        {
            await MoveToPoisonAsync(queue, current, stoppingToken).ConfigureAwait(false);
        }
        else
        {
            await queues.UpdateVisibilityAsync(queue, current, settings.VisibilityTimeout, stoppingToken).ConfigureAwait(false);
        }
    }

    private async Task MoveToPoisonAsync(string queue, QueueMessage message, CancellationToken cancellationToken)
    {
        var poison = queue + "-poison";
        await EnsureQueueAsync(poison, cancellationToken).ConfigureAwait(false);
        await queues.EnqueueAsync(poison, message.Body, null, cancellationToken).ConfigureAwait(false);
        await queues.DeleteAsync(queue, message, cancellationToken).ConfigureAwait(false);
        LogPoisoned(queue, message.Id, message.DequeueCount);
    }

    private async Task RunTimerLoopAsync(LocalFunction function, string expression, CancellationToken stoppingToken)
    {
        var schedule = CrontabSchedule.Parse(expression, new CrontabSchedule.ParseOptions { IncludingSeconds = expression.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length == 6 });
        var first = function.Timer!.RunOnStartup;
        while (!stoppingToken.IsCancellationRequested)
        {
            var now = time.GetUtcNow();
            var next = new DateTimeOffset(schedule.GetNextOccurrence(now.UtcDateTime), TimeSpan.Zero);
            try
            {
                if (!first)
                {
                    await Task.Delay(next - now, time, stoppingToken).ConfigureAwait(false);
                }

                first = false;
                await RunTimerOnceAsync(function, schedule, next, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                LogTimerFailed(ex, function.Name);
            }
        }
    }

    private async Task RunTimerOnceAsync(LocalFunction function, CrontabSchedule schedule, DateTimeOffset scheduled, CancellationToken stoppingToken)
    {
        var leaseDuration = TimeSpan.FromSeconds(60);
        await using var lease = await blobs.TryAcquireLeaseAsync(HostContainer, $"locks/{function.Name}", leaseDuration, stoppingToken).ConfigureAwait(false);
        if (lease is null)
        {
            LogTimerSkipped(function.Name);
            return;
        }

        using var renewal = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var keepAlive = Task.Run(
            async () =>
            {
                while (!renewal.IsCancellationRequested)
                {
                    await Task.Delay(leaseDuration / 3, time, renewal.Token).ConfigureAwait(false);
                    await lease.RenewAsync(renewal.Token).ConfigureAwait(false);
                }
            },
            CancellationToken.None);
        try
        {
            var now = time.GetUtcNow();
            var timer = new TimerInfo
            {
                IsPastDue = now - scheduled > TimeSpan.FromMinutes(1),
                ScheduleStatus = new ScheduleStatus { Last = scheduled.UtcDateTime, Next = schedule.GetNextOccurrence(now.UtcDateTime), LastUpdated = now.UtcDateTime },
            };
            await InvokeAsync(function, timer, new Dictionary<string, object?>(), stoppingToken).ConfigureAwait(false);
        }
        finally
        {
            await renewal.CancelAsync().ConfigureAwait(false);
            try
            {
                await keepAlive.ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or StorageException)
            {
            }
        }
    }

    /// <summary>One invocation in its own DI scope, through the app's worker middleware.</summary>
    private async Task InvokeAsync(LocalFunction function, object trigger, IReadOnlyDictionary<string, object?> bindingData, CancellationToken stoppingToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        LogInvoking(function.Name);
        await invoker.InvokeAsync(function, scope.ServiceProvider, new FunctionInput(trigger, BindingData: bindingData), stoppingToken).ConfigureAwait(false);
    }

    private Task EnsureQueueAsync(string queue, CancellationToken cancellationToken) =>
        provisioner.EnsureAsync(new StorageResource(StorageResourceKind.Queue, queue), cancellationToken);

    [LoggerMessage(EventId = 120, Level = LogLevel.Information, Message = "Local runtime started: {Functions} queue and timer functions")]
    private partial void LogStarted(int functions);

    [LoggerMessage(EventId = 121, Level = LogLevel.Information, Message = "Local runtime disabled by configuration")]
    private partial void LogDisabled();

    [LoggerMessage(EventId = 122, Level = LogLevel.Warning, Message = "Storage unavailable for {Resource}: {Reason}")]
    private partial void LogQueueUnavailable(string resource, string reason);

    [LoggerMessage(EventId = 123, Level = LogLevel.Warning, Message = "{Function} failed on message {MessageId} (delivery {DequeueCount})")]
    private partial void LogHandlerFailed(Exception exception, string function, string messageId, int dequeueCount);

    [LoggerMessage(EventId = 124, Level = LogLevel.Error, Message = "Message {MessageId} from {Queue} moved to the poison queue after {DequeueCount} deliveries")]
    private partial void LogPoisoned(string queue, string messageId, int dequeueCount);

    [LoggerMessage(EventId = 125, Level = LogLevel.Error, Message = "Timer {Function} failed")]
    private partial void LogTimerFailed(Exception exception, string function);

    [LoggerMessage(EventId = 126, Level = LogLevel.Debug, Message = "Timer {Function} skipped: another instance holds its lock")]
    private partial void LogTimerSkipped(string function);

    [LoggerMessage(EventId = 128, Level = LogLevel.Debug, Message = "Invoking {Function}")]
    private partial void LogInvoking(string function);

}
