namespace Serverless.Functions;

/// <summary>
/// Blobs created in <paramref name="Container"/> raise Event Grid <c>Microsoft.Storage.BlobCreated</c> events into
/// <paramref name="Queue"/>: in Azure through an Event Grid subscription (Bicep), locally through the local host's watcher.
/// </summary>
public sealed record BlobCreatedSubscription(string Container, string Queue);
