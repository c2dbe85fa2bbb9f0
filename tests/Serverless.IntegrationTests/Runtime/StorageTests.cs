using Microsoft.Extensions.DependencyInjection;
using Serverless.IntegrationTests.Infrastructure;
using Serverless.Storage;

namespace Serverless.IntegrationTests.Runtime;

public sealed class StorageTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>
{
    [Fact]
    public async Task TableReplace_StaleETag_Throws412()
    {
        await using var app = new FunctionsAppFactory(azurite.ConnectionString, new Dictionary<string, string?> { ["LocalRuntime:Enabled"] = "false" });
        _ = app.Server;
        var tables = app.Services.GetRequiredService<ITableStore>();
        var provisioner = app.Services.GetRequiredService<IStorageProvisioner>();
        await provisioner.EnsureAsync(new StorageResource(StorageResourceKind.Table, "StorageTests"), default);
        var key = Guid.NewGuid().ToString("N");
        var etag = await tables.InsertAsync("StorageTests", new TableRow("p", key, new Dictionary<string, object?> { ["V"] = 1L }), default);
        await tables.ReplaceAsync("StorageTests", new TableRow("p", key, new Dictionary<string, object?> { ["V"] = 2L }, etag), default);

        await Assert.ThrowsAsync<StoragePreconditionFailedException>(() =>
            tables.ReplaceAsync("StorageTests", new TableRow("p", key, new Dictionary<string, object?> { ["V"] = 3L }, etag), default));
        var row = await tables.GetAsync("StorageTests", "p", key, default);
        Assert.Equal(2L, row!.GetInt64("V"));
    }

    [Fact]
    public async Task BlobSas_ReadOnly_RefusesWriteAndOtherBlob()
    {
        await using var app = new FunctionsAppFactory(azurite.ConnectionString, new Dictionary<string, string?> { ["LocalRuntime:Enabled"] = "false" });
        _ = app.Server;
        var blobs = app.Services.GetRequiredService<IBlobStore>();
        await app.Services.GetRequiredService<IStorageProvisioner>().EnsureAsync(new StorageResource(StorageResourceKind.Container, "storagetests"), default);
        var name = Guid.NewGuid().ToString("N");
        await blobs.UploadAsync("storagetests", name, new MemoryStream("hello"u8.ToArray()), new BlobWriteOptions("text/plain"), default);
        var sas = app.Services.GetRequiredService<IBlobSasSigner>().GetSasUri("storagetests", name, BlobSasPermissions.Read, DateTimeOffset.UtcNow.AddMinutes(5));
        using var http = new HttpClient();

        Assert.Equal("hello", await http.GetStringAsync(sas));
        using var put = new HttpRequestMessage(HttpMethod.Put, sas) { Content = new StringContent("x") };
        put.Headers.Add("x-ms-blob-type", "BlockBlob");
        Assert.Equal(System.Net.HttpStatusCode.Forbidden, (await http.SendAsync(put)).StatusCode);
        var other = new Uri(sas.AbsoluteUri.Replace(name, name + "x", StringComparison.Ordinal));
        Assert.Equal(System.Net.HttpStatusCode.Forbidden, (await http.GetAsync(other)).StatusCode);
        var anonymous = await http.GetAsync(blobs.GetBlobUri("storagetests", name));
        Assert.Contains((int)anonymous.StatusCode, new[] { 403, 404 });
    }
}
