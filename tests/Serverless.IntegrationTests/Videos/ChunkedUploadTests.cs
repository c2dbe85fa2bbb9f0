using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Serverless.IntegrationTests.Infrastructure;
using Serverless.Storage;
using Serverless.Videos;

namespace Serverless.IntegrationTests.Videos;

/// <summary>
/// Chunked uploads through the API, on real Azurite storage: chunks staged as blocks, listed for a resume, committed in
/// order by complete; every bad chunk refused with its reason. (Upload to Ready through chunks: PipelineEndToEndTests.)
/// </summary>
public sealed class ChunkedUploadTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>, IAsyncLifetime
{
    private const int ChunkBytes = 65536;

    private FunctionsAppFactory _app = null!;

    public Task InitializeAsync()
    {
        _app = new FunctionsAppFactory(azurite.ConnectionString, new Dictionary<string, string?>
        {
            ["LocalRuntime:Enabled"] = "false",
            ["Pipeline:UploadChunkBytes"] = ChunkBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task Chunks_SentOutOfOrderAndTwice_ListedThenCommittedInOrder_AsTheFile()
    {
        var client = _app.CreateClient().As("chunk-alice");
        var file = RandomNumberGenerator.GetBytes((2 * ChunkBytes) + 1000);
        var (videoId, chunked) = await CreateAsync(client, file.Length);
        Assert.Equal((ChunkBytes, 3), (chunked.GetProperty("chunkSize").GetInt32(), chunked.GetProperty("chunkCount").GetInt32()));
        Assert.Equal($"/api/uploads/{videoId}/chunks", chunked.GetProperty("chunksUrl").GetString());
        Assert.Equal($"/api/uploads/{videoId}/complete", chunked.GetProperty("completeUrl").GetString());

        Assert.Equal(HttpStatusCode.NoContent, (await PutAsync(client, videoId, 2, Chunk(file, 2))).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await PutAsync(client, videoId, 0, Chunk(file, 0))).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await PutAsync(client, videoId, 0, Chunk(file, 0))).StatusCode);
        Assert.Equal(new[] { 0, 2 }, await ReceivedAsync(client, videoId));

        var early = await client.PostAsync($"/api/uploads/{videoId}/complete", null);
        Assert.Equal(HttpStatusCode.BadRequest, early.StatusCode);
        var problem = await early.Content.ReadFromJsonAsync<JsonElement>();
        Assert.EndsWith("chunks-missing", problem.GetProperty("type").GetString(), StringComparison.Ordinal);
        Assert.Equal(new[] { 1 }, problem.GetProperty("missing").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Null(await Blobs.GetInfoAsync(MediaLayout.UploadsContainer, MediaLayout.Source(videoId), default));

        Assert.Equal(HttpStatusCode.NoContent, (await PutAsync(client, videoId, 1, Chunk(file, 1))).StatusCode);
        var complete = await client.PostAsync($"/api/uploads/{videoId}/complete", null);
        Assert.Equal(HttpStatusCode.Accepted, complete.StatusCode);
        Assert.Equal("Uploading", (await complete.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString());

        await using (var stored = await Blobs.OpenReadAsync(MediaLayout.UploadsContainer, MediaLayout.Source(videoId), default))
        using (var copy = new MemoryStream())
        {
            await stored.CopyToAsync(copy);
            Assert.Equal(file, copy.ToArray());
        }

        Assert.Equal("video/mp4", (await Blobs.GetInfoAsync(MediaLayout.UploadsContainer, MediaLayout.Source(videoId), default))!.ContentType);
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsync($"/api/uploads/{videoId}/complete", null)).StatusCode);
        var late = await PutAsync(client, videoId, 1, Chunk(file, 1));
        Assert.Equal(HttpStatusCode.Conflict, late.StatusCode);
        Assert.EndsWith("upload-completed", (await late.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("type").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task BadChunks_RefusedWithTheirReason_AndNothingStaged()
    {
        var client = _app.CreateClient().As("chunk-bob");
        var file = RandomNumberGenerator.GetBytes(ChunkBytes + 10);
        var (videoId, _) = await CreateAsync(client, file.Length);

        await AssertProblem(await PutAsync(client, videoId, 2, Chunk(file, 0)), HttpStatusCode.BadRequest, "chunk-out-of-range");
        await AssertProblem(await PutAsync(client, videoId, -1, Chunk(file, 0)), HttpStatusCode.BadRequest, "chunk-out-of-range");
        await AssertProblem(await PutAsync(client, videoId, 0, Chunk(file, 0), md5: null), HttpStatusCode.BadRequest, "chunk-checksum-required");
        await AssertProblem(await PutAsync(client, videoId, 0, Chunk(file, 0), md5: MD5.HashData(Chunk(file, 1))), HttpStatusCode.BadRequest, "chunk-checksum-mismatch");
        await AssertProblem(await PutAsync(client, videoId, 1, file[..100]), HttpStatusCode.BadRequest, "chunk-size-mismatch");

        // A body longer than the chunk, streamed without a length: refused after one byte too many, not buffered whole.
        var tooLong = new byte[4 * ChunkBytes];
        using (var request = new HttpRequestMessage(HttpMethod.Put, $"/api/uploads/{videoId}/chunks/0") { Content = new StreamContent(new MemoryStream(tooLong)) })
        {
            request.Content.Headers.ContentMD5 = MD5.HashData(tooLong);
            request.Headers.TransferEncodingChunked = true;
            await AssertProblem(await client.SendAsync(request), HttpStatusCode.BadRequest, "chunk-size-mismatch");
        }

        Assert.Empty(await ReceivedAsync(client, videoId));
    }

    [Fact]
    public async Task SomeoneElsesUpload_IsNotFound()
    {
        var owner = _app.CreateClient().As("chunk-carol");
        var other = _app.CreateClient().As("chunk-dave");
        var file = RandomNumberGenerator.GetBytes(1000);
        var (videoId, _) = await CreateAsync(owner, file.Length);

        await AssertProblem(await PutAsync(other, videoId, 0, file), HttpStatusCode.NotFound, "video-not-found");
        Assert.Equal(HttpStatusCode.NotFound, (await other.GetAsync($"/api/uploads/{videoId}/chunks")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await other.PostAsync($"/api/uploads/{videoId}/complete", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await owner.GetAsync("/api/uploads/not-a-video/chunks")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await _app.CreateClient().GetAsync($"/api/uploads/{videoId}/chunks")).StatusCode);
    }

    private IBlobStore Blobs => _app.Services.GetRequiredService<IBlobStore>();

    private static byte[] Chunk(byte[] file, int index) => file.Skip(index * ChunkBytes).Take(ChunkBytes).ToArray();

    private static async Task<(string VideoId, JsonElement Chunked)> CreateAsync(HttpClient client, long size)
    {
        var response = await client.PostAsJsonAsync("/api/uploads", new { fileName = "clip.mp4", contentType = "video/mp4", sizeBytes = size });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var created = await response.Content.ReadFromJsonAsync<JsonElement>();
        return (created.GetProperty("videoId").GetString()!, created.GetProperty("chunked"));
    }

    private static Task<HttpResponseMessage> PutAsync(HttpClient client, string videoId, int index, byte[] bytes) =>
        PutAsync(client, videoId, index, bytes, MD5.HashData(bytes));

    private static Task<HttpResponseMessage> PutAsync(HttpClient client, string videoId, int index, byte[] bytes, byte[]? md5)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/octet-stream");
        content.Headers.ContentMD5 = md5;
        return client.PutAsync($"/api/uploads/{videoId}/chunks/{index}", content);
    }

    private static async Task<int[]> ReceivedAsync(HttpClient client, string videoId)
    {
        var list = await client.GetFromJsonAsync<JsonElement>($"/api/uploads/{videoId}/chunks");
        return list.GetProperty("received").EnumerateArray().Select(e => e.GetInt32()).ToArray();
    }

    private static async Task AssertProblem(HttpResponseMessage response, HttpStatusCode status, string type)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.EndsWith(type, (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("type").GetString(), StringComparison.Ordinal);
    }
}
