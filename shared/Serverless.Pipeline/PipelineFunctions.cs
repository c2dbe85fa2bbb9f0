using System.Text.Json;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;
using Serverless.Functions;

namespace Serverless.Pipeline;

/// <summary>Queue trigger on the upload queue: Event Grid BlobCreated events (EventGridSchema or CloudEvents) start a pipeline orchestration.</summary>
internal sealed partial class OnVideoUploaded(PipelineStarter starter, DurableTaskClient durable, ILogger<OnVideoUploaded> logger) : IQueueFunction
{
    public const string Name = "OnVideoUploaded";

    public async Task RunAsync(QueueTrigger trigger, CancellationToken cancellationToken)
    {
        if (BlobCreatedEvent.TryParse(trigger.Body, out var container, out var blobName) is false)
        {
            // Thrown, not dropped: after maxDequeueCount deliveries the message is kept in the poison queue for inspection.
            LogNotBlobCreated(trigger.MessageId);
            throw new InvalidDataException($"Message {trigger.MessageId} on the upload queue is not a BlobCreated event.");
        }

        var parts = blobName.Split('/');
        if (container != MediaLayout.UploadsContainer || parts.Length != 2 || parts[1] != "source" || !VideoIds.IsValid(parts[0]))
        {
            LogForeignBlob(container, blobName);
            return;
        }

        await starter.StartAsync(durable, parts[0], cancellationToken).ConfigureAwait(false);
    }

    [LoggerMessage(EventId = 230, Level = LogLevel.Warning, Message = "Message {MessageId} on the upload queue is not a BlobCreated event; left to go to the poison queue")]
    private partial void LogNotBlobCreated(string? messageId);

    [LoggerMessage(EventId = 231, Level = LogLevel.Warning, Message = "BlobCreated for {Container}/{Blob} is not an upload of ours; ignored")]
    private partial void LogForeignBlob(string container, string blob);
}

/// <summary>Timer: starts uploads whose event was lost, fails uploads that never arrived and pipelines that ended unrecorded.</summary>
internal sealed partial class SweepPipelines(PipelineStarter starter, DurableTaskClient durable, ILogger<SweepPipelines> logger) : ITimerFunction
{
    public const string Name = "SweepPipelines";

    public async Task RunAsync(TimerTrigger trigger, CancellationToken cancellationToken)
    {
        var acted = await starter.SweepAsync(durable, cancellationToken).ConfigureAwait(false);
        if (acted > 0)
        {
            LogSwept(acted);
        }
    }

    [LoggerMessage(EventId = 233, Level = LogLevel.Information, Message = "Sweep started or failed {Count} videos")]
    private partial void LogSwept(int count);
}

/// <summary>Reads the blob's container and name out of a BlobCreated event in either Event Grid schema.</summary>
public static class BlobCreatedEvent
{
    private const string Prefix = "/blobServices/default/containers/";

    public static bool TryParse(string body, out string container, out string blobName)
    {
        container = blobName = string.Empty;
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement.ValueKind == JsonValueKind.Array && document.RootElement.GetArrayLength() == 1
                ? document.RootElement[0]
                : document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return false;
            }

            var type = root.TryGetProperty("eventType", out var t) ? t.GetString()
                : root.TryGetProperty("type", out var ct) ? ct.GetString() : null;
            if (type != "Microsoft.Storage.BlobCreated" || !root.TryGetProperty("subject", out var subject))
            {
                return false;
            }

            var text = subject.GetString() ?? string.Empty;
            if (!text.StartsWith(Prefix, StringComparison.Ordinal))
            {
                return false;
            }

            var rest = text[Prefix.Length..];
            var marker = rest.IndexOf("/blobs/", StringComparison.Ordinal);
            if (marker <= 0)
            {
                return false;
            }

            container = rest[..marker];
            blobName = rest[(marker + "/blobs/".Length)..];
            return blobName.Length > 0;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
