using System.Collections.ObjectModel;
using System.Text.Json;
using DurableTask.AzureStorage;
using DurableTask.AzureStorage.Tracking;
using DurableTask.Core;
using DurableTask.Core.Exceptions;
using DurableTask.Core.History;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using CoreDataConverter = DurableTask.Core.Serializing.JsonDataConverter;
using CoreFailureDetails = DurableTask.Core.FailureDetails;
using CoreOrchestrationState = DurableTask.Core.OrchestrationState;
using CoreStatus = DurableTask.Core.OrchestrationStatus;
using SdkPurgeResult = Microsoft.DurableTask.Client.PurgeResult;

namespace Serverless.LocalHost.Durable;

/// <summary>
/// The Durable Task SDK's client (<see cref="DurableTaskClient"/>) over the Durable Task Framework's Azure Storage
/// provider: commands go through a <see cref="TaskHubClient"/>, queries and purges straight to the
/// <see cref="AzureStorageOrchestrationService"/>. Inputs, outputs and event payloads are serialized by the SDK's
/// <see cref="DataConverter"/> (System.Text.Json by default), exactly as the orchestrators and activities wrapped by
/// <c>DurableTaskShimFactory</c> deserialize them.
/// </summary>
/// <remarks>
/// Starting an instance id that is Pending, Running, ContinuedAsNew or Suspended is refused with an
/// <see cref="InvalidOperationException"/> (the service must be created with
/// <see cref="AzureStorageOrchestrationServiceSettings.ThrowExceptionOnInvalidDedupeStatus"/>, otherwise the provider
/// drops the duplicate silently); an instance id that completed, failed or was terminated may be started again.
/// Sub-orchestrations are not terminated or purged recursively. StartAt is passed on as the scheduled start time, but
/// the Azure Storage provider (2.11.2 on Azurite) was seen to start such an instance at once, before its StartAt.
/// </remarks>
internal sealed class TaskHubDurableClient : DurableTaskClient
{
    private static readonly TimeSpan FirstPollInterval = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan MaxPollInterval = TimeSpan.FromSeconds(1);

    /// <summary>The statuses a new start of the same instance id is refused in, unless the caller names its own.</summary>
    private static readonly CoreStatus[] DefaultDedupeStatuses =
    [
        CoreStatus.Pending,
        CoreStatus.Running,
        CoreStatus.ContinuedAsNew,
        CoreStatus.Suspended,
    ];

    private static readonly CoreStatus[] TerminalStatuses =
    [
        CoreStatus.Completed,
        CoreStatus.Failed,
        CoreStatus.Terminated,
    ];

    private readonly AzureStorageOrchestrationService _service;
    private readonly DataConverter _dataConverter;
    private readonly TaskHubClient _client;

    public TaskHubDurableClient(
        string name, AzureStorageOrchestrationService service, DataConverter dataConverter, ILoggerFactory loggerFactory)
        : base(name)
    {
        ArgumentNullException.ThrowIfNull(service);
        ArgumentNullException.ThrowIfNull(dataConverter);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        _service = service;
        _dataConverter = dataConverter;
        _client = new TaskHubClient(service, new SdkDataConverter(dataConverter), loggerFactory);
    }

    public override async Task<string> ScheduleNewOrchestrationInstanceAsync(
        TaskName orchestratorName,
        object? input = null,
        StartOrchestrationOptions? options = null,
        CancellationToken cancellation = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(orchestratorName.Name, nameof(orchestratorName));
        cancellation.ThrowIfCancellationRequested();

        var instanceId = string.IsNullOrEmpty(options?.InstanceId) ? Guid.NewGuid().ToString("N") : options.InstanceId;
        var version = options?.Version?.Version ?? string.Empty;
        var tags = options?.Tags is { Count: > 0 } given ? new Dictionary<string, string>(given, StringComparer.Ordinal) : null;
        var dedupeStatuses = DedupeStatuses(options);

        try
        {
            if (options?.StartAt is { } startAt)
            {
                await _client.CreateOrchestrationInstanceAsync(
                    orchestratorName.Name, version, instanceId, input, tags, dedupeStatuses, startAt.UtcDateTime).ConfigureAwait(false);
            }
            else
            {
                await _client.CreateOrchestrationInstanceAsync(
                    orchestratorName.Name, version, instanceId, input, tags, dedupeStatuses).ConfigureAwait(false);
            }
        }
        catch (OrchestrationAlreadyExistsException ex)
        {
            throw new InvalidOperationException(
                $"An orchestration with instance id '{instanceId}' already exists and has not finished; it cannot be started again until it completes, fails or is terminated.",
                ex);
        }

        return instanceId;
    }

    public override Task RaiseEventAsync(
        string instanceId, string eventName, object? eventPayload = null, CancellationToken cancellation = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(instanceId);
        ArgumentException.ThrowIfNullOrEmpty(eventName);
        cancellation.ThrowIfCancellationRequested();

        // No execution id: the event goes to whichever execution of the instance is current.
        return _client.RaiseEventAsync(new OrchestrationInstance { InstanceId = instanceId }, eventName, eventPayload!);
    }

    public override Task TerminateInstanceAsync(
        string instanceId, TerminateInstanceOptions? options = null, CancellationToken cancellation = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(instanceId);
        cancellation.ThrowIfCancellationRequested();

        // The output becomes the terminated instance's output, serialized as any other output would be.
        var reason = _dataConverter.Serialize(options?.Output);
        return _client.TerminateInstanceAsync(new OrchestrationInstance { InstanceId = instanceId }, reason!);
    }

    public override Task SuspendInstanceAsync(string instanceId, string? reason = null, CancellationToken cancellation = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(instanceId);
        cancellation.ThrowIfCancellationRequested();
        return _client.SuspendInstanceAsync(new OrchestrationInstance { InstanceId = instanceId }, reason);
    }

    public override Task ResumeInstanceAsync(string instanceId, string? reason = null, CancellationToken cancellation = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(instanceId);
        cancellation.ThrowIfCancellationRequested();
        return _client.ResumeInstanceAsync(new OrchestrationInstance { InstanceId = instanceId }, reason);
    }

    public override async Task<OrchestrationMetadata?> GetInstancesAsync(
        string instanceId, bool getInputsAndOutputs = false, CancellationToken cancellation = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(instanceId);
        cancellation.ThrowIfCancellationRequested();

        var states = await _service
            .GetOrchestrationStateAsync(instanceId, allExecutions: false, fetchInput: getInputsAndOutputs)
            .WaitAsync(cancellation)
            .ConfigureAwait(false);
        if (states is not { Count: > 0 } || states[0] is not { } state)
        {
            return null;
        }

        return await ToMetadataAsync(state, getInputsAndOutputs, cancellation).ConfigureAwait(false);
    }

    public override Task<OrchestrationMetadata> WaitForInstanceStartAsync(
        string instanceId, bool getInputsAndOutputs = false, CancellationToken cancellation = default) =>
        PollAsync(instanceId, getInputsAndOutputs, static m => m.RuntimeStatus != OrchestrationRuntimeStatus.Pending, cancellation);

    public override Task<OrchestrationMetadata> WaitForInstanceCompletionAsync(
        string instanceId, bool getInputsAndOutputs = false, CancellationToken cancellation = default) =>
        PollAsync(instanceId, getInputsAndOutputs, static m => m.IsCompleted, cancellation);

    public override AsyncPageable<OrchestrationMetadata> GetAllInstancesAsync(OrchestrationQuery? filter = null)
    {
        var fetchInputsAndOutputs = filter?.FetchInputsAndOutputs ?? false;
        var condition = new OrchestrationInstanceStatusQueryCondition
        {
            RuntimeStatus = filter?.Statuses?.Select(ToCore).ToArray(),
            CreatedTimeFrom = filter?.CreatedFrom?.UtcDateTime ?? default,
            CreatedTimeTo = filter?.CreatedTo?.UtcDateTime ?? default,
            TaskHubNames = filter?.TaskHubNames?.ToArray() is { Length: > 0 } hubs ? hubs : null,
            InstanceIdPrefix = string.IsNullOrEmpty(filter?.InstanceIdPrefix) ? null : filter.InstanceIdPrefix,
            FetchInput = fetchInputsAndOutputs,
            FetchOutput = fetchInputsAndOutputs,
            ExcludeEntities = true,
        };

        return Pageable.Create(async (continuation, pageSize, cancellation) =>
        {
            var top = pageSize ?? filter?.PageSize ?? OrchestrationQuery.DefaultPageSize;
            var token = continuation ?? filter?.ContinuationToken;
            var result = await _service
                .GetOrchestrationStateAsync(condition, top, token!, cancellation)
                .ConfigureAwait(false);
            var page = new List<OrchestrationMetadata>();
            foreach (var state in result.OrchestrationState ?? [])
            {
                page.Add(await ToMetadataAsync(state, fetchInputsAndOutputs, cancellation).ConfigureAwait(false));
            }

            return new Page<OrchestrationMetadata>(page, string.IsNullOrEmpty(result.ContinuationToken) ? null : result.ContinuationToken);
        });
    }

    public override async Task<SdkPurgeResult> PurgeInstanceAsync(
        string instanceId, PurgeInstanceOptions? options = null, CancellationToken cancellation = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(instanceId);
        var metadata = await GetInstancesAsync(instanceId, getInputsAndOutputs: false, cancellation).ConfigureAwait(false);
        if (metadata is null)
        {
            return new SdkPurgeResult(0);
        }

        if (!metadata.IsCompleted)
        {
            throw new InvalidOperationException(
                $"Only a completed, failed or terminated orchestration can be purged; instance '{instanceId}' is {metadata.RuntimeStatus}.");
        }

        cancellation.ThrowIfCancellationRequested();
        var result = await _service.PurgeInstanceHistoryAsync(instanceId).ConfigureAwait(false);
        return new SdkPurgeResult(result.InstancesDeleted, result.IsComplete);
    }

    public override async Task<SdkPurgeResult> PurgeAllInstancesAsync(
        PurgeInstancesFilter filter, PurgeInstanceOptions? options = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(filter);
        cancellation.ThrowIfCancellationRequested();

        // Only terminal instances are purged, whatever the filter names: purging a running instance's history would break it.
        var statuses = filter.Statuses is null
            ? TerminalStatuses
            : filter.Statuses.Select(ToCore).Where(TerminalStatuses.Contains).Distinct().ToArray();
        if (statuses.Length == 0)
        {
            return new SdkPurgeResult(0, true);
        }

        var result = await _service
            .PurgeInstanceHistoryAsync((filter.CreatedFrom ?? DateTimeOffset.MinValue).UtcDateTime, filter.CreatedTo?.UtcDateTime, statuses)
            .ConfigureAwait(false);
        return new SdkPurgeResult(result.InstancesDeleted, result.IsComplete);
    }

    /// <summary>Nothing to release: the service belongs to the caller and the <see cref="TaskHubClient"/> holds no resources.</summary>
    public override ValueTask DisposeAsync() => ValueTask.CompletedTask;

    /// <summary>Polls the instance (100 ms, growing to 1 s between reads) until <paramref name="done"/> holds.</summary>
    private async Task<OrchestrationMetadata> PollAsync(
        string instanceId, bool getInputsAndOutputs, Func<OrchestrationMetadata, bool> done, CancellationToken cancellation)
    {
        ArgumentException.ThrowIfNullOrEmpty(instanceId);
        var delay = FirstPollInterval;
        while (true)
        {
            var metadata = await GetInstancesAsync(instanceId, getInputsAndOutputs, cancellation).ConfigureAwait(false)
                ?? throw new InvalidOperationException($"No orchestration with instance id '{instanceId}' exists.");
            if (done(metadata))
            {
                return metadata;
            }

            await Task.Delay(delay, cancellation).ConfigureAwait(false);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxPollInterval.Ticks));
        }
    }

    /// <summary>
    /// The Azure Storage provider keeps only <c>FailureDetails.ToString()</c> ("type: message") of a failed instance in its
    /// instance table, as its output, and never returns the structured details from a status query. They are in the
    /// history's ExecutionCompleted event, so a failed instance read with its outputs gets them from there (inner
    /// failures included: an activity's exception under the orchestrator's TaskFailedException), or from the
    /// "type: message" output if the history has none.
    /// </summary>
    private async Task<OrchestrationMetadata> ToMetadataAsync(
        CoreOrchestrationState state, bool getInputsAndOutputs, CancellationToken cancellation)
    {
        var failure = ToSdk(state.FailureDetails);
        if (failure is null && getInputsAndOutputs && state.OrchestrationStatus == CoreStatus.Failed)
        {
            var history = await _service
                .GetOrchestrationHistoryAsync(state.OrchestrationInstance.InstanceId, state.OrchestrationInstance.ExecutionId)
                .WaitAsync(cancellation)
                .ConfigureAwait(false);
            failure = FailureFromHistory(history) ?? FailureFromOutput(state.Output);
        }

        return ToMetadata(state, getInputsAndOutputs, failure);
    }

    private static TaskFailureDetails? FailureFromHistory(string? history)
    {
        if (string.IsNullOrEmpty(history))
        {
            return null;
        }

        using var document = JsonDocument.Parse(history);
        if (document.RootElement.ValueKind != JsonValueKind.Array)
        {
            return null;
        }

        TaskFailureDetails? failure = null;
        foreach (var historyEvent in document.RootElement.EnumerateArray())
        {
            if (historyEvent.ValueKind == JsonValueKind.Object
                && historyEvent.TryGetProperty("EventType", out var type) && type.ValueKind == JsonValueKind.Number
                && type.GetInt32() == (int)EventType.ExecutionCompleted
                && historyEvent.TryGetProperty("FailureDetails", out var details))
            {
                failure = ReadFailure(details) ?? failure;
            }
        }

        return failure;
    }

    private static TaskFailureDetails? ReadFailure(JsonElement details)
    {
        if (details.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        string? Text(string name) => details.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

        return new TaskFailureDetails(
            Text("ErrorType") ?? "(unknown)",
            Text("ErrorMessage") ?? string.Empty,
            Text("StackTrace"),
            details.TryGetProperty("InnerFailure", out var inner) ? ReadFailure(inner) : null,
            Properties: null);
    }

    private static TaskFailureDetails? FailureFromOutput(string? output)
    {
        if (string.IsNullOrEmpty(output))
        {
            return null;
        }

        var separator = output.IndexOf(": ", StringComparison.Ordinal);
        return separator > 0
            ? new TaskFailureDetails(output[..separator], output[(separator + 2)..], StackTrace: null, InnerFailure: null, Properties: null)
            : new TaskFailureDetails("(unknown)", output, StackTrace: null, InnerFailure: null, Properties: null);
    }

    private static CoreStatus[] DedupeStatuses(StartOrchestrationOptions? options)
    {
        if (options?.DedupeStatuses is not { Count: > 0 } named)
        {
            return DefaultDedupeStatuses;
        }

        return named
            .Select(name => Enum.TryParse<OrchestrationRuntimeStatus>(name, ignoreCase: true, out var status)
                ? ToCore(status)
                : throw new ArgumentException($"'{name}' is not an orchestration runtime status.", nameof(options)))
            .Distinct()
            .ToArray();
    }

    private OrchestrationMetadata ToMetadata(CoreOrchestrationState state, bool getInputsAndOutputs, TaskFailureDetails? failure) =>
        new(state.Name, state.OrchestrationInstance.InstanceId)
        {
            // ReadInputAs/ReadOutputAs/ReadCustomStatusAs deserialize with this converter; without it they refuse.
            DataConverter = getInputsAndOutputs ? _dataConverter : null,
            RuntimeStatus = ToSdk(state.OrchestrationStatus),
            CreatedAt = AsUtc(state.CreatedTime),
            LastUpdatedAt = AsUtc(state.LastUpdatedTime),
            SerializedInput = getInputsAndOutputs ? state.Input : null,
            SerializedOutput = getInputsAndOutputs ? state.Output : null,
            SerializedCustomStatus = getInputsAndOutputs ? state.Status : null,
            Tags = state.Tags is { Count: > 0 } tags ? new Dictionary<string, string>(tags, StringComparer.Ordinal) : ReadOnlyDictionary<string, string>.Empty,
            FailureDetails = failure,
        };

    private static DateTimeOffset AsUtc(DateTime time) =>
        time == default ? default : new DateTimeOffset(DateTime.SpecifyKind(time.Kind == DateTimeKind.Local ? time.ToUniversalTime() : time, DateTimeKind.Utc));

    private static TaskFailureDetails? ToSdk(CoreFailureDetails? details) =>
        details is null
            ? null
            : new TaskFailureDetails(details.ErrorType, details.ErrorMessage, details.StackTrace, ToSdk(details.InnerFailure), details.Properties);

#pragma warning disable CS0618 // ContinuedAsNew and Canceled are obsolete in the SDK but still values a store can hold.
    private static OrchestrationRuntimeStatus ToSdk(CoreStatus status) => status switch
    {
        CoreStatus.Running => OrchestrationRuntimeStatus.Running,
        CoreStatus.Completed => OrchestrationRuntimeStatus.Completed,
        CoreStatus.ContinuedAsNew => OrchestrationRuntimeStatus.ContinuedAsNew,
        CoreStatus.Failed => OrchestrationRuntimeStatus.Failed,
        CoreStatus.Canceled => OrchestrationRuntimeStatus.Canceled,
        CoreStatus.Terminated => OrchestrationRuntimeStatus.Terminated,
        CoreStatus.Pending => OrchestrationRuntimeStatus.Pending,
        CoreStatus.Suspended => OrchestrationRuntimeStatus.Suspended,
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, "Unknown orchestration status."),
    };

    private static CoreStatus ToCore(OrchestrationRuntimeStatus status) => status switch
    {
        OrchestrationRuntimeStatus.Running => CoreStatus.Running,
        OrchestrationRuntimeStatus.Completed => CoreStatus.Completed,
        OrchestrationRuntimeStatus.ContinuedAsNew => CoreStatus.ContinuedAsNew,
        OrchestrationRuntimeStatus.Failed => CoreStatus.Failed,
        OrchestrationRuntimeStatus.Canceled => CoreStatus.Canceled,
        OrchestrationRuntimeStatus.Terminated => CoreStatus.Terminated,
        OrchestrationRuntimeStatus.Pending => CoreStatus.Pending,
        OrchestrationRuntimeStatus.Suspended => CoreStatus.Suspended,
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, "Unknown orchestration runtime status."),
    };
#pragma warning restore CS0618

    /// <summary>
    /// The SDK's data converter as the Durable Task Framework's: what <c>DurableTaskShimFactory</c> does for the worker
    /// (its <c>JsonDataConverterShim</c> is internal to the SDK), so the client serializes inputs and event payloads
    /// the way the shim-wrapped orchestrators read them.
    /// </summary>
    private sealed class SdkDataConverter(DataConverter inner) : CoreDataConverter
    {
        public override string Serialize(object value) => inner.Serialize(value)!;

        public override string Serialize(object value, bool formatted) => inner.Serialize(value)!;

        public override object Deserialize(string data, Type objectType) => inner.Deserialize(data, objectType)!;
    }
}
