using System.Text.Json;
using Serverless.Storage;

namespace Serverless.LocalHost.Runtime;

/// <summary>Builds the Event Grid (EventGridSchema) <c>Microsoft.Storage.BlobCreated</c> event that Azure delivers to the queue.</summary>
internal static class BlobCreatedEvents
{
    public static string Create(Uri blobUrl, string container, BlobItemInfo blob, DateTimeOffset now)
    {
        var account = blobUrl.Segments.Length > 1 && blobUrl.IsLoopback ? blobUrl.Segments[1].TrimEnd('/') : blobUrl.Host.Split('.')[0];
        var evt = new
        {
            topic = $"/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/local/providers/Microsoft.Storage/storageAccounts/{account}",
            subject = $"/blobServices/default/containers/{container}/blobs/{blob.Name}",
            eventType = "Microsoft.Storage.BlobCreated",
            id = Guid.NewGuid().ToString(),
            data = new
            {
                api = "PutBlob",
                clientRequestId = Guid.NewGuid().ToString(),
                requestId = Guid.NewGuid().ToString(),
                eTag = blob.ETag,
                contentType = blob.ContentType ?? "application/octet-stream",
                contentLength = blob.Length,
                blobType = "BlockBlob",
                url = blobUrl.AbsoluteUri,
                sequencer = now.UtcTicks.ToString("x32", System.Globalization.CultureInfo.InvariantCulture),
                storageDiagnostics = new { batchId = Guid.NewGuid().ToString() },
            },
            dataVersion = string.Empty,
            metadataVersion = "1",
            eventTime = now.UtcDateTime.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
        };
        return JsonSerializer.Serialize(evt);
    }
}
