using System.Text.Json.Serialization;
using DurableTask.AzureStorage;
using DurableTask.Core;
using DurableTask.Core.Exceptions;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Converters;
using Microsoft.DurableTask.Worker.Shims;
using Microsoft.Extensions.Logging.Abstractions;
using Serverless.LocalHost.Durable;
using Serverless.IntegrationTests.Infrastructure;

namespace Serverless.IntegrationTests.Runtime;

/// <summary>
/// <see cref="TaskHubDurableClient"/> against the real Durable Task Framework engine (Azure Storage provider) on a real
/// Azurite, with orchestrators and activities written against the Durable Task SDK and wrapped by its shim factory,
/// as the app runs them. Each test has its own task hub.
/// </summary>
public sealed class TaskHubDurableClientTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>
{
    private const string DescribeVideo = "DescribeVideo";
    private const string DescribeActivity = "DescribeActivity";
    private const string AwaitApproval = "AwaitApproval";
    private const string Explode = "Explode";
    private const string ExplodeActivity = "ExplodeActivity";
    private const string ApprovalEvent = "approval";

    [Fact]
    public async Task ScheduleNewOrchestrationInstance_ExplicitInstanceId_CompletesWithActivityRecord()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await using var hub = await Hub.StartAsync(azurite.ConnectionString, startWorker: true, cts.Token);
        var instanceId = "video-" + Guid.NewGuid().ToString("N");

        var returned = await hub.Client.ScheduleNewOrchestrationInstanceAsync(
            DescribeVideo, new VideoRequest("v42", 3), new StartOrchestrationOptions(instanceId), cts.Token);
        var completed = await hub.Client.WaitForInstanceCompletionAsync(instanceId, getInputsAndOutputs: true, cts.Token);

        Assert.Equal(instanceId, returned);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, completed.RuntimeStatus);
        Assert.Equal(DescribeVideo, completed.Name);
        Assert.Equal(new VideoDescription("v42", "Video v42", 3, ["v42-0", "v42-1", "v42-2"]), completed.ReadOutputAs<VideoDescription>());
        Assert.Equal(new VideoRequest("v42", 3), completed.ReadInputAs<VideoRequest>());

        // System.Text.Json wrote both ways: the [JsonPropertyName] names, which Newtonsoft would not use.
        Assert.Contains("\"video_id\"", completed.SerializedInput, StringComparison.Ordinal);
        Assert.Contains("\"video_title\"", completed.SerializedOutput, StringComparison.Ordinal);
        Assert.True(completed.CreatedAt > DateTimeOffset.UtcNow.AddMinutes(-5) && completed.CreatedAt <= completed.LastUpdatedAt);

        var withoutData = await hub.Client.GetInstancesAsync(instanceId, getInputsAndOutputs: false, cts.Token);
        Assert.NotNull(withoutData);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, withoutData.RuntimeStatus);
        Assert.Null(withoutData.SerializedInput);
        Assert.Null(withoutData.SerializedOutput);
        Assert.Null(withoutData.DataConverter);
    }

    [Fact]
    public async Task ScheduleNewOrchestrationInstance_SameIdWhileUnfinished_ThrowsUntilCompletedThenRunsAgain()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await using var hub = await Hub.StartAsync(azurite.ConnectionString, startWorker: true, cts.Token);
        var instanceId = "reprocess-" + Guid.NewGuid().ToString("N");

        await hub.Client.ScheduleNewOrchestrationInstanceAsync(AwaitApproval, "first", new StartOrchestrationOptions(instanceId), cts.Token);

        // Refused while Pending or Running (it may not have started yet) ...
        var whilePendingOrRunning = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            hub.Client.ScheduleNewOrchestrationInstanceAsync(AwaitApproval, "again", new StartOrchestrationOptions(instanceId), cts.Token));
        Assert.Contains(instanceId, whilePendingOrRunning.Message, StringComparison.Ordinal);
        Assert.IsType<OrchestrationAlreadyExistsException>(whilePendingOrRunning.InnerException);

        // ... and while it waits for its event.
        var started = await hub.Client.WaitForInstanceStartAsync(instanceId, cts.Token);
        Assert.Equal(OrchestrationRuntimeStatus.Running, started.RuntimeStatus);
        var whileRunning = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            hub.Client.ScheduleNewOrchestrationInstanceAsync(AwaitApproval, "again", new StartOrchestrationOptions(instanceId), cts.Token));
        Assert.Contains(instanceId, whileRunning.Message, StringComparison.Ordinal);

        await hub.Client.RaiseEventAsync(instanceId, ApprovalEvent, new Approval("alice", true), cts.Token);
        var first = await hub.Client.WaitForInstanceCompletionAsync(instanceId, getInputsAndOutputs: true, cts.Token);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, first.RuntimeStatus);
        Assert.Equal("first approved by alice", first.ReadOutputAs<string>());

        // Completed: the same id may be started again (a reprocess), and runs from the start with its new input.
        await hub.Client.ScheduleNewOrchestrationInstanceAsync(AwaitApproval, "second", new StartOrchestrationOptions(instanceId), cts.Token);
        var restarted = await hub.Client.WaitForInstanceStartAsync(instanceId, getInputsAndOutputs: true, cts.Token);
        Assert.Equal(OrchestrationRuntimeStatus.Running, restarted.RuntimeStatus);
        Assert.Equal("second", restarted.ReadInputAs<string>());
        await hub.Client.RaiseEventAsync(instanceId, ApprovalEvent, new Approval("bob", true), cts.Token);
        var second = await hub.Client.WaitForInstanceCompletionAsync(instanceId, getInputsAndOutputs: true, cts.Token);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, second.RuntimeStatus);
        Assert.Equal("second approved by bob", second.ReadOutputAs<string>());
    }

    [Fact]
    public async Task GetInstancesAsync_UnknownIdOrFailedActivity_NullOrFailedWithFailureDetails()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await using var hub = await Hub.StartAsync(azurite.ConnectionString, startWorker: true, cts.Token);

        Assert.Null(await hub.Client.GetInstancesAsync("no-such-" + Guid.NewGuid().ToString("N"), getInputsAndOutputs: true, cts.Token));

        var instanceId = await hub.Client.ScheduleNewOrchestrationInstanceAsync(Explode, "clip-7", cts.Token);
        var failed = await hub.Client.WaitForInstanceCompletionAsync(instanceId, getInputsAndOutputs: true, cts.Token);

        Assert.Equal(OrchestrationRuntimeStatus.Failed, failed.RuntimeStatus);
        Assert.NotNull(failed.FailureDetails);
        var chain = new List<TaskFailureDetails>();
        for (var details = failed.FailureDetails; details is not null; details = details.InnerFailure)
        {
            chain.Add(details);
        }

        // The orchestrator fails with the SDK's TaskFailedException, whose inner failure is the activity's exception.
        Assert.Contains(chain, d => d.ErrorType == typeof(InvalidOperationException).FullName && d.ErrorMessage == "transcoder exploded on clip-7");
        Assert.Contains("transcoder exploded on clip-7", failed.FailureDetails.ErrorMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetAllInstancesAsync_StatusFilter_ReturnsTheInstancesInThatStatus()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));

        // No worker yet: scheduled instances stay Pending.
        await using var hub = await Hub.StartAsync(azurite.ConnectionString, startWorker: false, cts.Token);
        var prefix = "batch-" + Guid.NewGuid().ToString("N")[..8] + "-";
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add(await hub.Client.ScheduleNewOrchestrationInstanceAsync(
                DescribeVideo, new VideoRequest($"v{i}", 1), new StartOrchestrationOptions(prefix + i), cts.Token));
        }

        var other = await hub.Client.ScheduleNewOrchestrationInstanceAsync(AwaitApproval, "unrelated", cts.Token);
        Assert.Equal(OrchestrationRuntimeStatus.Pending, (await hub.Client.GetInstancesAsync(ids[0], cts.Token))!.RuntimeStatus);

        // Page size 2 over 3 matches: the continuation token is followed.
        var pending = await ToListAsync(hub.Client.GetAllInstancesAsync(
            new OrchestrationQuery { Statuses = [OrchestrationRuntimeStatus.Pending], InstanceIdPrefix = prefix, PageSize = 2 }), cts.Token);
        Assert.Equal(ids, pending.Select(m => m.InstanceId).Order(StringComparer.Ordinal));
        Assert.All(pending, m => Assert.Equal(OrchestrationRuntimeStatus.Pending, m.RuntimeStatus));

        await hub.StartWorkerAsync();
        foreach (var id in ids)
        {
            await hub.Client.WaitForInstanceCompletionAsync(id, cts.Token);
        }

        await hub.Client.WaitForInstanceStartAsync(other, cts.Token);

        var completed = await ToListAsync(hub.Client.GetAllInstancesAsync(
            new OrchestrationQuery { Statuses = [OrchestrationRuntimeStatus.Completed], FetchInputsAndOutputs = true }), cts.Token);
        Assert.Equal(ids, completed.Select(m => m.InstanceId).Order(StringComparer.Ordinal));
        Assert.Equal("Video v1", completed.Single(m => m.InstanceId == prefix + "1").ReadOutputAs<VideoDescription>()!.Title);

        var running = await ToListAsync(hub.Client.GetAllInstancesAsync(
            new OrchestrationQuery { Statuses = [OrchestrationRuntimeStatus.Running, OrchestrationRuntimeStatus.Pending] }), cts.Token);
        Assert.Equal([other], running.Select(m => m.InstanceId));

        var createdLater = await ToListAsync(hub.Client.GetAllInstancesAsync(
            new OrchestrationQuery { CreatedFrom = DateTimeOffset.UtcNow.AddMinutes(1) }), cts.Token);
        Assert.Empty(createdLater);

        await hub.Client.TerminateInstanceAsync(other, cts.Token);
    }

    [Fact]
    public async Task TerminateInstanceAsync_WaitingInstance_Terminated()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await using var hub = await Hub.StartAsync(azurite.ConnectionString, startWorker: true, cts.Token);
        var instanceId = await hub.Client.ScheduleNewOrchestrationInstanceAsync(AwaitApproval, "doomed", cts.Token);
        await hub.Client.WaitForInstanceStartAsync(instanceId, cts.Token);

        await hub.Client.TerminateInstanceAsync(instanceId, new TerminateInstanceOptions(Output: "video deleted"), cts.Token);
        var terminated = await hub.Client.WaitForInstanceCompletionAsync(instanceId, getInputsAndOutputs: true, cts.Token);

        Assert.Equal(OrchestrationRuntimeStatus.Terminated, terminated.RuntimeStatus);
        Assert.Equal("video deleted", terminated.ReadOutputAs<string>());
    }

    [Fact]
    public async Task PurgeInstanceAsync_RunningThenCompleted_RefusedThenPurged()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await using var hub = await Hub.StartAsync(azurite.ConnectionString, startWorker: true, cts.Token);
        var instanceId = await hub.Client.ScheduleNewOrchestrationInstanceAsync(AwaitApproval, "kept", cts.Token);
        await hub.Client.WaitForInstanceStartAsync(instanceId, cts.Token);

        await Assert.ThrowsAsync<InvalidOperationException>(() => hub.Client.PurgeInstanceAsync(instanceId, cts.Token));

        await hub.Client.RaiseEventAsync(instanceId, ApprovalEvent, new Approval("carol", false), cts.Token);
        var completed = await hub.Client.WaitForInstanceCompletionAsync(instanceId, getInputsAndOutputs: true, cts.Token);
        Assert.Equal("kept rejected by carol", completed.ReadOutputAs<string>());

        var purged = await hub.Client.PurgeInstanceAsync(instanceId, cts.Token);
        Assert.Equal(1, purged.PurgedInstanceCount);
        Assert.Null(await hub.Client.GetInstancesAsync(instanceId, cts.Token));
    }

    private static async Task<List<OrchestrationMetadata>> ToListAsync(AsyncPageable<OrchestrationMetadata> pageable, CancellationToken cancellationToken)
    {
        var list = new List<OrchestrationMetadata>();
        await foreach (var item in pageable.WithCancellation(cancellationToken))
        {
            list.Add(item);
        }

        return list;
    }

    public sealed record VideoRequest([property: JsonPropertyName("video_id")] string VideoId, int Renditions);

    public sealed record VideoDescription(
        string VideoId, [property: JsonPropertyName("video_title")] string Title, int Count, IReadOnlyList<string> Renditions)
    {
        public bool Equals(VideoDescription? other) =>
            other is not null && VideoId == other.VideoId && Title == other.Title && Count == other.Count && Renditions.SequenceEqual(other.Renditions);

        public override int GetHashCode() => HashCode.Combine(VideoId, Title, Count);
    }

    public sealed record Approval(string By, bool Approved);

    /// <summary>A task hub of its own on the shared Azurite: the service, a worker with the test orchestrations, and the client under test.</summary>
    private sealed class Hub : IAsyncDisposable
    {
        private readonly AzureStorageOrchestrationService _service;
        private readonly TaskHubWorker _worker;
        private bool _workerStarted;

        private Hub(AzureStorageOrchestrationService service)
        {
            _service = service;
            _worker = new TaskHubWorker(service, NullLoggerFactory.Instance)
            {
                // The shim reports failures as FailureDetails (the SDK's TaskFailureDetails), not serialized exceptions.
                ErrorPropagationMode = ErrorPropagationMode.UseFailureDetails,
            };
            var shims = DurableTaskShimFactory.Default;
            _worker.AddTaskOrchestrations(
                new NamedCreator<TaskOrchestration>(DescribeVideo, () => shims.CreateOrchestration<VideoRequest, VideoDescription>(
                    DescribeVideo,
                    (ctx, request) => ctx.CallActivityAsync<VideoDescription?>(DescribeActivity, request))),
                new NamedCreator<TaskOrchestration>(AwaitApproval, () => shims.CreateOrchestration<string, string>(
                    AwaitApproval,
                    async (ctx, input) =>
                    {
                        var approval = await ctx.WaitForExternalEvent<Approval>(ApprovalEvent);
                        return $"{input} {(approval.Approved ? "approved" : "rejected")} by {approval.By}";
                    })),
                new NamedCreator<TaskOrchestration>(Explode, () => shims.CreateOrchestration<string, string>(
                    Explode,
                    (ctx, input) => ctx.CallActivityAsync<string?>(ExplodeActivity, input))));
            _worker.AddTaskActivities(
                new NamedCreator<TaskActivity>(DescribeActivity, () => shims.CreateActivity<VideoRequest, VideoDescription>(
                    DescribeActivity,
                    (_, request) => Task.FromResult<VideoDescription?>(Describe(request!)))),
                new NamedCreator<TaskActivity>(ExplodeActivity, () => shims.CreateActivity<string, string>(
                    ExplodeActivity,
                    (_, input) => Task.FromException<string?>(new InvalidOperationException($"transcoder exploded on {input}")))));
            Client = new TaskHubDurableClient("test", service, JsonDataConverter.Default, NullLoggerFactory.Instance);
        }

        public TaskHubDurableClient Client { get; }

        private static VideoDescription Describe(VideoRequest request) => new(
            request.VideoId,
            "Video " + request.VideoId,
            request.Renditions,
            [.. Enumerable.Range(0, request.Renditions).Select(i => $"{request.VideoId}-{i}")]);

        public static async Task<Hub> StartAsync(string connectionString, bool startWorker, CancellationToken cancellationToken)
        {
            var settings = new AzureStorageOrchestrationServiceSettings
            {
                TaskHubName = "t" + Guid.NewGuid().ToString("N")[..20],
                StorageAccountClientProvider = new StorageAccountClientProvider(connectionString),
                PartitionCount = 1,
                MaxQueuePollingInterval = TimeSpan.FromSeconds(1),
                WorkerId = "worker-" + Guid.NewGuid().ToString("N")[..8],
                ThrowExceptionOnInvalidDedupeStatus = true,
            };
            var service = new AzureStorageOrchestrationService(settings);
            await service.CreateIfNotExistsAsync().WaitAsync(cancellationToken);
            var hub = new Hub(service);
            if (startWorker)
            {
                await hub.StartWorkerAsync();
            }

            return hub;
        }

        public async Task StartWorkerAsync()
        {
            await _worker.StartAsync();
            _workerStarted = true;
        }

        public async ValueTask DisposeAsync()
        {
            await Client.DisposeAsync();
            if (_workerStarted)
            {
                await _worker.StopAsync(isForced: true);
            }

            _worker.Dispose();
            await _service.DeleteAsync();
            _service.Dispose();
        }
    }
}
