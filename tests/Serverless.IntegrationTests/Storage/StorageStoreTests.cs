using Azure.Storage.Queues;
using Microsoft.Extensions.DependencyInjection;
using Serverless.IntegrationTests.Infrastructure;
using Serverless.Storage;

namespace Serverless.IntegrationTests.Storage;

/// <summary>The storage interfaces on the v12 SDK, over both kinds of connection (account key; identity over HTTPS).</summary>
public sealed class StorageStoreTests(AzuriteFixture plain, SecureAzuriteFixture secure)
    : IClassFixture<AzuriteFixture>, IClassFixture<SecureAzuriteFixture>
{
    private const string Container = "storetests";
    private const string Table = "StoreTests";

    public static TheoryData<StorageMode> Modes => [StorageMode.SharedKey, StorageMode.Identity];

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task Blobs_WriteReadListDelete_RoundTrip(StorageMode mode)
    {
        await using var storage = await StartAsync(mode);
        var prefix = Guid.NewGuid().ToString("N");
        var metadata = new Dictionary<string, string> { ["owner"] = "alice" };

        await storage.Blobs.UploadAsync(Container, $"{prefix}/a.m3u8", new MemoryStream("\uFEFF#EXTM3U"u8.ToArray()), new BlobWriteOptions("application/vnd.apple.mpegurl", "max-age=60", metadata), default);
        var file = Path.GetTempFileName();
        await File.WriteAllBytesAsync(file, new byte[(5 * 1024 * 1024) + 17]);
        await storage.Blobs.UploadFileAsync(Container, $"{prefix}/b.ts", file, new BlobWriteOptions("video/mp2t"), default);

        Assert.Equal("#EXTM3U", await storage.Blobs.ReadTextAsync(Container, $"{prefix}/a.m3u8", default));
        Assert.Null(await storage.Blobs.ReadTextAsync(Container, $"{prefix}/missing", default));
        var info = await storage.Blobs.GetInfoAsync(Container, $"{prefix}/a.m3u8", default);
        Assert.Equal("application/vnd.apple.mpegurl", info!.ContentType);
        Assert.Equal("alice", info.Metadata["owner"]);
        Assert.Null(await storage.Blobs.GetInfoAsync(Container, $"{prefix}/missing", default));
        var listed = new List<BlobItemInfo>();
        await foreach (var item in storage.Blobs.ListAsync(Container, prefix + "/", default))
        {
            listed.Add(item);
        }

        Assert.Equal([$"{prefix}/a.m3u8", $"{prefix}/b.ts"], listed.Select(b => b.Name).Order(StringComparer.Ordinal));
        Assert.Equal((5 * 1024 * 1024) + 17, listed.Single(b => b.Name.EndsWith(".ts", StringComparison.Ordinal)).Length);
        var copy = Path.GetTempFileName();
        await storage.Blobs.DownloadToFileAsync(Container, $"{prefix}/b.ts", copy, default);
        Assert.Equal(new FileInfo(file).Length, new FileInfo(copy).Length);
        await using (var stream = await storage.Blobs.OpenReadAsync(Container, $"{prefix}/b.ts", default))
        {
            Assert.Equal(new FileInfo(file).Length, stream.Length);
        }

        await Assert.ThrowsAsync<StorageNotFoundException>(() => storage.Blobs.OpenReadAsync(Container, $"{prefix}/missing", default));
        await Assert.ThrowsAsync<StorageConflictException>(() =>
            storage.Blobs.UploadAsync(Container, $"{prefix}/a.m3u8", new MemoryStream([1]), new BlobWriteOptions(IfNotExists: true), default));
        Assert.Equal(2, await storage.Blobs.DeletePrefixAsync(Container, prefix + "/", default));
        Assert.False(await storage.Blobs.DeleteAsync(Container, $"{prefix}/a.m3u8", default));
        File.Delete(file);
        File.Delete(copy);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task Lease_HeldByOne_RefusedToAnotherUntilReleased(StorageMode mode)
    {
        await using var storage = await StartAsync(mode);
        var name = Guid.NewGuid().ToString("N");

        var first = await storage.Blobs.TryAcquireLeaseAsync(Container, name, TimeSpan.FromSeconds(15), default);
        Assert.NotNull(first);
        Assert.Null(await storage.Blobs.TryAcquireLeaseAsync(Container, name, TimeSpan.FromSeconds(15), default));
        await first.RenewAsync(default);
        await first.DisposeAsync();
        await using var second = await storage.Blobs.TryAcquireLeaseAsync(Container, name, TimeSpan.FromSeconds(15), default);

        Assert.NotNull(second);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task Queue_Messages_AreBase64OnTheWire_AndKeepFunctionsSemantics(StorageMode mode)
    {
        await using var storage = await StartAsync(mode);
        var queue = "q" + Guid.NewGuid().ToString("N");
        await Provisioner(storage).EnsureAsync(new StorageResource(StorageResourceKind.Queue, queue), default);
        const string body = "{\"videoId\":\"0123\",\"text\":\"视频\"}";

        await storage.Queues.EnqueueAsync(queue, body, null, default);
        await storage.Queues.EnqueueAsync(queue, "later", TimeSpan.FromMinutes(5), default);

        // What the Functions queue trigger reads: the base64 of the UTF-8 body.
        var raw = Azurite(mode).Secure
            ? null
            : (await new QueueClient(Azurite(mode).ConnectionString, queue).PeekMessageAsync()).Value.Body.ToString();
        if (raw is not null)
        {
            Assert.Equal(Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(body)), raw);
        }

        Assert.Equal(2, await storage.Queues.GetApproximateCountAsync(queue, default));
        Assert.Equal(body, Assert.Single(await storage.Queues.PeekAsync(queue, 32, default)).Body);
        var received = Assert.Single(await storage.Queues.ReceiveAsync(queue, 32, TimeSpan.FromSeconds(30), default));
        Assert.Equal(body, received.Body);
        Assert.Equal(1, received.DequeueCount);
        Assert.Empty(await storage.Queues.ReceiveAsync(queue, 32, TimeSpan.FromSeconds(30), default));
        var extended = await storage.Queues.UpdateVisibilityAsync(queue, received, TimeSpan.Zero, default);
        Assert.NotEqual(received.PopReceipt, extended.PopReceipt);
        var again = Assert.Single(await storage.Queues.ReceiveAsync(queue, 32, TimeSpan.FromSeconds(30), default));
        Assert.Equal(2, again.DequeueCount);
        await storage.Queues.DeleteAsync(queue, again, default);
        await storage.Queues.DeleteAsync(queue, again, default);
        Assert.Equal(1, await storage.Queues.GetApproximateCountAsync(queue, default));
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task Table_ETagsBatchesTypesAndPages(StorageMode mode)
    {
        await using var storage = await StartAsync(mode);
        await Provisioner(storage).EnsureAsync(new StorageResource(StorageResourceKind.Table, Table), default);
        var partition = Guid.NewGuid().ToString("N");
        var when = new DateTimeOffset(2026, 11, 28, 10, 30, 15, TimeSpan.Zero);
        var properties = new Dictionary<string, object?>
        {
            ["S"] = "文本",
            ["L"] = 1L << 40,
            ["I"] = 7,
            ["D"] = 0.25,
            ["B"] = true,
            ["T"] = when,
            ["G"] = Guid.Parse("6f9619ff-8b86-d011-b42d-00c04fc964ff"),
            ["Bytes"] = new byte[] { 1, 2, 3 },
            ["Null"] = null,
        };

        var etag = await storage.Tables.InsertAsync(Table, new TableRow(partition, "r", properties), default);
        await Assert.ThrowsAsync<StorageConflictException>(() => storage.Tables.InsertAsync(Table, new TableRow(partition, "r", properties), default));
        var row = await storage.Tables.GetAsync(Table, partition, "r", default);
        Assert.Equal("文本", row!.GetString("S"));
        Assert.Equal(1L << 40, row.GetInt64("L"));
        Assert.Equal(7, row.GetInt64("I"));
        Assert.Equal(0.25, row.GetDouble("D"));
        Assert.True(row.GetBoolean("B"));
        Assert.Equal(when, row.GetDateTimeOffset("T"));
        Assert.Equal(Guid.Parse("6f9619ff-8b86-d011-b42d-00c04fc964ff"), row.Properties["G"]);
        Assert.Equal(new byte[] { 1, 2, 3 }, row.Properties["Bytes"]);
        Assert.False(row.Properties.ContainsKey("Null"));
        Assert.False(row.Properties.ContainsKey("PartitionKey"));
        Assert.Equal(etag, row.ETag);

        var replaced = await storage.Tables.ReplaceAsync(Table, row with { Properties = new Dictionary<string, object?> { ["S"] = "v2" } }, default);
        await Assert.ThrowsAsync<StoragePreconditionFailedException>(() =>
            storage.Tables.ReplaceAsync(Table, row with { Properties = new Dictionary<string, object?> { ["S"] = "stale" } }, default));
        await Assert.ThrowsAsync<StoragePreconditionFailedException>(() => storage.Tables.DeleteAsync(Table, partition, "r", etag, default));
        await storage.Tables.DeleteAsync(Table, partition, "r", replaced, default);
        await storage.Tables.DeleteAsync(Table, partition, "r", null, default);
        Assert.Null(await storage.Tables.GetAsync(Table, partition, "r", default));

        var rows = Enumerable.Range(0, 25).Select(i => new TableRow(partition, $"k{i:00}", new Dictionary<string, object?> { ["N"] = (long)i })).ToList();
        await storage.Tables.InsertBatchAsync(Table, rows, default);
        await Assert.ThrowsAsync<StorageConflictException>(() => storage.Tables.InsertBatchAsync(Table, rows.Take(2).ToList(), default));
        await storage.Tables.UpsertBatchAsync(Table, rows.Select(r => r with { Properties = new Dictionary<string, object?> { ["N"] = 100L } }).ToList(), default);

        var seen = new List<string>();
        string? token = null;
        var pages = 0;
        do
        {
            var page = await storage.Tables.QueryPageAsync(Table, TableFilter.PartitionEquals(partition), 10, token, default);
            seen.AddRange(page.Rows.Select(r => r.RowKey));
            Assert.All(page.Rows, r => Assert.Equal(100L, r.GetInt64("N")));
            token = page.ContinuationToken;
            pages++;
        }
        while (token is not null);

        Assert.Equal(rows.Select(r => r.RowKey), seen);
        Assert.Equal(3, pages);
        Assert.Equal(25, await storage.Tables.QueryAsync(Table, TableFilter.PartitionEquals(partition), default).CountAsync());
        Assert.Throws<ArgumentException>(() => storage.Tables.QueryPageAsync(Table, null, 10, "not-a-token", default).GetAwaiter().GetResult());
    }

    private async Task<StorageHost> StartAsync(StorageMode mode)
    {
        var storage = await StorageHost.StartAsync(Azurite(mode), mode);
        await Provisioner(storage).EnsureAsync(new StorageResource(StorageResourceKind.Container, Container), default);
        return storage;
    }

    private static IStorageProvisioner Provisioner(StorageHost storage) => storage.Services.GetRequiredService<IStorageProvisioner>();

    private AzuriteProcess Azurite(StorageMode mode) => mode == StorageMode.SharedKey ? plain.Process : secure.Process;
}
