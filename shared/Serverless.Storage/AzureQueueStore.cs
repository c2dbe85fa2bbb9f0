using Microsoft.WindowsAzure.Storage.Queue;

namespace Serverless.Storage;

internal sealed class AzureQueueStore(AzureStorageClients clients, IEnumerable<IQueueObserver> observers) : IQueueStore
{
    private CloudQueue Queue(string name)
    {
        var queue = clients.Queues.GetQueueReference(name);
        queue.EncodeMessage = true;
        return queue;
    }

    public async Task EnqueueAsync(string queue, string body, TimeSpan? initialVisibilityDelay, CancellationToken cancellationToken)
    {
        await StorageErrors.Guard(
            () => Queue(queue).AddMessageAsync(new CloudQueueMessage(body), null, initialVisibilityDelay, null, null, cancellationToken),
            $"enqueue {queue}").ConfigureAwait(false);
        foreach (var observer in observers)
        {
            observer.OnEnqueued(queue, initialVisibilityDelay);
        }
    }

    public async Task<IReadOnlyList<QueueMessage>> ReceiveAsync(string queue, int maxMessages, TimeSpan visibilityTimeout, CancellationToken cancellationToken)
    {
        var messages = await StorageErrors.Guard(
            () => Queue(queue).GetMessagesAsync(Math.Clamp(maxMessages, 1, 32), visibilityTimeout, null, null, cancellationToken),
            $"receive {queue}").ConfigureAwait(false);
        return messages.Select(ToMessage).ToList();
    }

    public Task DeleteAsync(string queue, QueueMessage message, CancellationToken cancellationToken) =>
        StorageErrors.Guard(
            async () =>
            {
                try
                {
                    await Queue(queue).DeleteMessageAsync(message.Id, message.PopReceipt, null, null, cancellationToken).ConfigureAwait(false);
                }
                catch (Microsoft.WindowsAzure.Storage.StorageException ex) when (ex.RequestInformation?.HttpStatusCode == 404)
                {
                    // Already gone (deleted by another receiver after our visibility lapsed).
                }
            },
            $"delete message from {queue}");

    public async Task<QueueMessage> UpdateVisibilityAsync(string queue, QueueMessage message, TimeSpan visibilityTimeout, CancellationToken cancellationToken)
    {
        var sdk = new CloudQueueMessage(message.Id, message.PopReceipt);
        await StorageErrors.Guard(
            () => Queue(queue).UpdateMessageAsync(sdk, visibilityTimeout, MessageUpdateFields.Visibility, null, null, cancellationToken),
            $"update message visibility in {queue}").ConfigureAwait(false);
        return message with { PopReceipt = sdk.PopReceipt };
    }

    public async Task<IReadOnlyList<QueueMessage>> PeekAsync(string queue, int maxMessages, CancellationToken cancellationToken)
    {
        var messages = await StorageErrors.Guard(
            () => Queue(queue).PeekMessagesAsync(Math.Clamp(maxMessages, 1, 32), null, null, cancellationToken),
            $"peek {queue}").ConfigureAwait(false);
        return messages.Select(ToMessage).ToList();
    }

    public async Task<int> GetApproximateCountAsync(string queue, CancellationToken cancellationToken)
    {
        var reference = Queue(queue);
        await StorageErrors.Guard(() => reference.FetchAttributesAsync(null, null, cancellationToken), $"count {queue}").ConfigureAwait(false);
        return reference.ApproximateMessageCount ?? 0;
    }

    private static QueueMessage ToMessage(CloudQueueMessage m) =>
        new(m.Id, m.PopReceipt ?? string.Empty, m.AsString, m.DequeueCount, m.InsertionTime);
}
