using Azure.Storage.Queues;

namespace Serverless.Storage;

/// <summary>Storage queues on the v12 client; bodies are base64 on the wire (<see cref="QueueMessageEncoding.Base64"/>), as the Functions queue trigger expects.</summary>
internal sealed class AzureQueueStore(AzureStorageClients clients, IEnumerable<IQueueObserver> observers) : IQueueStore
{
    private QueueClient Queue(string name) => clients.Queues.GetQueueClient(name);

    public async Task EnqueueAsync(string queue, string body, TimeSpan? initialVisibilityDelay, CancellationToken cancellationToken)
    {
        await clients.Run(
            StorageService.Queue,
            $"enqueue {queue}",
            ct => Queue(queue).SendMessageAsync(body, initialVisibilityDelay, TimeSpan.FromSeconds(-1), ct),
            cancellationToken).ConfigureAwait(false);
        foreach (var observer in observers)
        {
            observer.OnEnqueued(queue, initialVisibilityDelay);
        }
    }

    public Task<IReadOnlyList<QueueMessage>> ReceiveAsync(string queue, int maxMessages, TimeSpan visibilityTimeout, CancellationToken cancellationToken) =>
        clients.Run<IReadOnlyList<QueueMessage>>(
            StorageService.Queue,
            $"receive {queue}",
            async ct =>
            {
                var messages = await Queue(queue).ReceiveMessagesAsync(Math.Clamp(maxMessages, 1, 32), visibilityTimeout, ct).ConfigureAwait(false);
                return messages.Value.Select(m => new QueueMessage(m.MessageId, m.PopReceipt, m.Body.ToString(), (int)m.DequeueCount, m.InsertedOn)).ToList();
            },
            cancellationToken);

    public async Task DeleteAsync(string queue, QueueMessage message, CancellationToken cancellationToken)
    {
        try
        {
            await clients.Run(
                StorageService.Queue,
                $"delete message from {queue}",
                ct => Queue(queue).DeleteMessageAsync(message.Id, message.PopReceipt, ct),
                cancellationToken).ConfigureAwait(false);
        }
        catch (StorageNotFoundException)
        {
            // Already gone (deleted by another receiver after our visibility lapsed).
        }
    }

    public Task<QueueMessage> UpdateVisibilityAsync(string queue, QueueMessage message, TimeSpan visibilityTimeout, CancellationToken cancellationToken) =>
        clients.Run(
            StorageService.Queue,
            $"update message visibility in {queue}",
            async ct =>
            {
                // No new text: only the visibility changes.
                var receipt = await Queue(queue).UpdateMessageAsync(message.Id, message.PopReceipt, (BinaryData?)null, visibilityTimeout, ct).ConfigureAwait(false);
                return message with { PopReceipt = receipt.Value.PopReceipt };
            },
            cancellationToken);

    public Task<IReadOnlyList<QueueMessage>> PeekAsync(string queue, int maxMessages, CancellationToken cancellationToken) =>
        clients.Run<IReadOnlyList<QueueMessage>>(
            StorageService.Queue,
            $"peek {queue}",
            async ct =>
            {
                var messages = await Queue(queue).PeekMessagesAsync(Math.Clamp(maxMessages, 1, 32), ct).ConfigureAwait(false);
                return messages.Value.Select(m => new QueueMessage(m.MessageId, string.Empty, m.Body.ToString(), (int)m.DequeueCount, m.InsertedOn)).ToList();
            },
            cancellationToken);

    public Task<int> GetApproximateCountAsync(string queue, CancellationToken cancellationToken) =>
        clients.Run(
            StorageService.Queue,
            $"count {queue}",
            async ct => (await Queue(queue).GetPropertiesAsync(ct).ConfigureAwait(false)).Value.ApproximateMessagesCount,
            cancellationToken);
}
