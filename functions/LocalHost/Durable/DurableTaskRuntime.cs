using DurableTask.AzureStorage;
using DurableTask.Core;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Converters;
using Microsoft.DurableTask.Worker;
using Microsoft.DurableTask.Worker.Shims;
using Microsoft.Extensions.Options;
using Serverless.Functions;
using Serverless.LocalHost.Functions;
using Serverless.LocalHost.Runtime;
using Serverless.Pipeline;

namespace Serverless.LocalHost.Durable;

/// <summary>
/// Runs the app's Durable orchestrations and activities the way Durable Functions does in Azure: on the Durable Task
/// Framework's Azure Storage provider, against the app's storage account (Azurite locally), with the task hub settings of
/// host.json (<see cref="DurableHubSettings"/>). Orchestrators and activities are the app's <c>[OrchestrationTrigger]</c>
/// and <c>[ActivityTrigger]</c> functions, wrapped by <see cref="DurableTaskShimFactory"/>; activities run through the
/// app's worker middleware like every other invocation. Each process is its own worker (its own <c>WorkerId</c>); several
/// share the hub's partitions, and the activities are competing consumers of its work-item queue.
/// </summary>
internal sealed partial class DurableTaskRuntime : IHostedService, IAsyncDisposable
{
    private readonly AzureStorageOrchestrationService _service;
    private readonly DurableHubSettings _hub;
    private readonly FunctionIndex _index;
    private readonly FunctionInvoker _invoker;
    private readonly IServiceScopeFactory _scopes;
    private readonly DataConverter _dataConverter;
    private readonly DurableTaskShimFactory _shims;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger<DurableTaskRuntime> _logger;
    private readonly IOptions<LocalRuntimeOptions> _options;
    private readonly CancellationTokenSource _stopping = new();
    private TaskHubWorker? _worker;
    private bool _disposed;

    public DurableTaskRuntime(
        AzureStorageOrchestrationService service,
        DurableHubSettings hub,
        DataConverter dataConverter,
        FunctionIndex index,
        FunctionInvoker invoker,
        IServiceScopeFactory scopes,
        IOptions<LocalRuntimeOptions> options,
        ILoggerFactory loggerFactory)
    {
        _service = service;
        _hub = hub;
        _index = index;
        _invoker = invoker;
        _scopes = scopes;
        _dataConverter = dataConverter;
        _options = options;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger<DurableTaskRuntime>();
        _shims = new DurableTaskShimFactory(new DurableTaskWorkerOptions { DataConverter = dataConverter }, loggerFactory);
    }

    /// <summary>The converter of every orchestration and activity input and output (System.Text.Json, as the isolated worker's).</summary>
    public static DataConverter CreateDataConverter() => new JsonDataConverter(VideoPipeline.Json);

    /// <summary>The provider's settings for this process: the hub of host.json, a worker id of its own, the app's storage connection.</summary>
    public static AzureStorageOrchestrationServiceSettings CreateSettings(DurableHubSettings hub, StorageAccountClientProvider storage, ILoggerFactory loggerFactory) => new()
    {
        TaskHubName = hub.HubName,
        PartitionCount = hub.PartitionCount,
        ControlQueueVisibilityTimeout = hub.ControlQueueVisibilityTimeout,
        WorkItemQueueVisibilityTimeout = hub.WorkItemQueueVisibilityTimeout,
        MaxQueuePollingInterval = hub.MaxQueuePollingInterval,
        StorageAccountClientProvider = storage,
        WorkerId = $"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid():N}",

        // A second start of a running video's instance is refused (never two pipelines for one video).
        ThrowExceptionOnInvalidDedupeStatus = true,

        // host.json's maxConcurrentActivityFunctions / maxConcurrentOrchestratorFunctions, as the extension passes them on.
        MaxConcurrentTaskActivityWorkItems = hub.MaxConcurrentActivityFunctions,
        MaxConcurrentTaskOrchestrationWorkItems = hub.MaxConcurrentOrchestratorFunctions,
        LoggerFactory = loggerFactory,
    };

    /// <summary>The orchestrator and activity functions this process's worker runs (empty until it started).</summary>
    public IReadOnlyList<string> Registered { get; private set; } = [];

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // The hub's queues and tables exist even where this process runs no worker (the client starts orchestrations into it).
        await _service.CreateIfNotExistsAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        if (!_options.Value.Enabled)
        {
            return;
        }

        var stopping = _stopping.Token;
        var worker = new TaskHubWorker(_service, _loggerFactory)
        {
            // Failures reach the orchestrator as structured details (type, message, inner failure), as Durable Functions' do.
            ErrorPropagationMode = ErrorPropagationMode.UseFailureDetails,
        };
        worker.AddTaskOrchestrations([.. _index.OfKind(LocalFunctionKind.Orchestration).Select(f => new NamedCreator<TaskOrchestration>(
            f.Name, () => _shims.CreateOrchestration(f.Name, new FunctionOrchestrator(f, _dataConverter))))]);
        worker.AddTaskActivities([.. _index.OfKind(LocalFunctionKind.Activity).Select(f => new NamedCreator<TaskActivity>(
            f.Name, () => _shims.CreateActivity(f.Name, new FunctionActivity(f, _invoker, _scopes, stopping))))]);
        await worker.StartAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        _worker = worker;
        Registered = [.. _index.OfKind(LocalFunctionKind.Orchestration).Concat(_index.OfKind(LocalFunctionKind.Activity)).Select(f => f.Name)];
        LogStarted(_hub.HubName, _hub.PartitionCount);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_disposed)
        {
            return;
        }

        // Running activities (ffmpeg) stop first and report themselves interrupted; then the worker releases its leases.
        await RequestStopAsync().ConfigureAwait(false);
        if (_worker is { } worker)
        {
            _worker = null;
            // Bounded: with storage gone the provider would retry its lease releases for as long as the host lets it; leases
            // not released lapse by themselves and another worker takes them.
            try
            {
                await worker.StopAsync(isForced: false).WaitAsync(TimeSpan.FromSeconds(15), cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                LogStopTimedOut();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (_worker is { } worker)
        {
            _worker = null;
            await RequestStopAsync().ConfigureAwait(false);
            await worker.StopAsync(isForced: true).ConfigureAwait(false);
        }

        // _stopping is not disposed: it has no timer, so nothing to release, and a host stop racing this dispose (seen in
        // a fresh-clone run: ObjectDisposedException from CancelAsync, failing the host's stop) must still be able to cancel.
    }

    /// <summary>The token running activities stop on (cancelled when the host stops).</summary>
    internal CancellationToken Stopping => _stopping.Token;

    /// <summary>
    /// Cancels <see cref="Stopping"/>. The token is cancelled even when a callback someone registered on it throws (an
    /// activity's own token source already disposed as it finished, at the very moment the host stops): that must not fail
    /// the host's stop and leave the worker and its leases running, so it is logged instead.
    /// </summary>
    private async Task RequestStopAsync()
    {
        try
        {
            await _stopping.CancelAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is ObjectDisposedException or AggregateException or OperationCanceledException)
        {
            LogStopCallbackFailed(ex.GetType().Name, ex.Message);
        }
    }

    [LoggerMessage(EventId = 122, Level = LogLevel.Warning, Message = "A callback on the Durable worker's stopping token failed ({Error}: {Message}); stopping anyway")]
    private partial void LogStopCallbackFailed(string error, string message);

    [LoggerMessage(EventId = 120, Level = LogLevel.Information, Message = "Durable task hub {HubName} running ({Partitions} partitions)")]
    private partial void LogStarted(string hubName, int partitions);

    [LoggerMessage(EventId = 121, Level = LogLevel.Warning, Message = "The Durable worker did not stop within 15 s (storage unreachable?); its leases will lapse")]
    private partial void LogStopTimedOut();
}
