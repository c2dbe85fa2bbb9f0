using Azure.Storage.Queues.Models;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;
using Serverless.Pipeline;
using Serverless.Videos;

namespace Serverless.Functions.Api;

/// <summary>
/// The upload pipeline: the upload event starts the video's orchestration (instance id = video id), the orchestrator
/// chains the activities, and a timer sweeps up what no event announced.
/// </summary>
internal sealed partial class PipelineFunctions(PipelineStarter starter, PipelineActivities activities, PipelineSlots slots, ILogger<PipelineFunctions> logger)
{
    /// <summary>
    /// Event Grid <c>BlobCreated</c> events (EventGridSchema or CloudEvents) for the uploads container, delivered to the
    /// upload queue by the Event Grid subscription. A message that is not such an event throws, so after
    /// <c>maxDequeueCount</c> deliveries it is kept in the poison queue for inspection.
    /// </summary>
    [Function(nameof(OnVideoUploaded))]
    public async Task OnVideoUploaded(
        [QueueTrigger(BindingSettings.UploadQueueExpression, Connection = "AzureWebJobsStorage")] QueueMessage message,
        [DurableClient] DurableTaskClient durable,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (BlobCreatedEvent.TryParse(message.Body.ToString(), out var container, out var blobName) is false)
        {
            LogNotBlobCreated(message.MessageId);
            throw new InvalidDataException($"Message {message.MessageId} on the upload queue is not a BlobCreated event.");
        }

        if (!MediaLayout.TryParseSource(container, blobName, out var videoId))
        {
            // A photo for a render is the app's own blob too (stored, not a pipeline's source): nothing to do.
            if (container != MediaLayout.UploadsContainer || !blobName.StartsWith(Rendering.Images.ImageLayout.Prefix, StringComparison.Ordinal))
            {
                LogForeignBlob(container, blobName);
            }

            return;
        }

        await starter.StartAsync(durable, videoId, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Starts uploads whose event was lost, fails uploads that never arrived and pipelines that ended unrecorded.</summary>
    [Function(nameof(SweepPipelines))]
    public async Task SweepPipelines(
        [TimerTrigger(BindingSettings.SweepScheduleExpression)] TimerInfo timer,
        [DurableClient] DurableTaskClient durable,
        CancellationToken cancellationToken)
    {
        var acted = await starter.SweepAsync(durable, cancellationToken).ConfigureAwait(false);
        if (acted > 0)
        {
            LogSwept(acted);
        }
    }

    /// <summary>The orchestrator (deterministic: it only schedules activities and timers and waits for events).</summary>
    [Function(VideoPipeline.Name)]
    public static Task<PipelineOutcome> RunPipelineAsync([OrchestrationTrigger] TaskOrchestrationContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return VideoPipeline.RunAsync(context, context.GetInput<PipelineInput>() ?? throw new InvalidOperationException($"{VideoPipeline.Name} was started without an input."));
    }

    [Function(ActivityNames.AcquireSlot)]
    public Task<bool> AcquireSlotAsync([ActivityTrigger] string videoId, CancellationToken cancellationToken) =>
        slots.TryAcquireAsync(videoId, cancellationToken);

    [Function(ActivityNames.ReleaseSlot)]
    public async Task<bool> ReleaseSlotAsync([ActivityTrigger] string videoId, [DurableClient] DurableTaskClient durable, CancellationToken cancellationToken)
    {
        await slots.ReleaseAndHandOverAsync(videoId, durable, cancellationToken).ConfigureAwait(false);
        return true;
    }

    [Function(ActivityNames.ProbeSource)]
    public Task<ProbeOutput> ProbeSourceAsync([ActivityTrigger] string videoId, CancellationToken cancellationToken) =>
        activities.ProbeSourceAsync(videoId, cancellationToken);

    [Function(ActivityNames.TranscodeLadder)]
    public Task<TranscodeOutput> TranscodeLadderAsync([ActivityTrigger] TranscodeInput input, CancellationToken cancellationToken) =>
        activities.TranscodeLadderAsync(input, cancellationToken);

    [Function(ActivityNames.PublishVideo)]
    public Task<bool> PublishVideoAsync([ActivityTrigger] PublishInput input, CancellationToken cancellationToken) =>
        activities.PublishVideoAsync(input, cancellationToken);

    [Function(ActivityNames.FailVideo)]
    public Task<bool> FailVideoAsync([ActivityTrigger] FailVideoInput input, CancellationToken cancellationToken) =>
        activities.FailVideoAsync(input, cancellationToken);

    [LoggerMessage(EventId = 230, Level = LogLevel.Warning, Message = "Message {MessageId} on the upload queue is not a BlobCreated event; left to go to the poison queue")]
    private partial void LogNotBlobCreated(string? messageId);

    [LoggerMessage(EventId = 231, Level = LogLevel.Warning, Message = "BlobCreated for {Container}/{Blob} is not an upload of ours; ignored")]
    private partial void LogForeignBlob(string container, string blob);

    [LoggerMessage(EventId = 233, Level = LogLevel.Information, Message = "Sweep started or failed {Count} videos")]
    private partial void LogSwept(int count);
}
