using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using Serverless.IntegrationTests.Infrastructure;
using Serverless.Pipeline;
using Serverless.Storage;
using Serverless.Videos;

namespace Serverless.IntegrationTests.Pipeline;

/// <summary>
/// An upload refused as bad input is junk: its stored file is deleted once <c>Pipeline__BadUploadRetentionDays</c> have
/// passed (here about a second), by the sweep; the video stays Failed with its reason. The app runs the real pipeline.
/// </summary>
public sealed class BadUploadRetentionTests : IAsyncLifetime
{
    private readonly AzuriteProcess _azurite = new();
    private FunctionsAppFactory _app = null!;
    private string _work = null!;

    public async Task InitializeAsync()
    {
        await _azurite.InitializeAsync();
        _work = Directory.CreateTempSubdirectory("bad-upload-retention-").FullName;
        _app = new FunctionsAppFactory(_azurite.ConnectionString, new Dictionary<string, string?>
        {
            ["Pipeline:RetryBaseDelaySeconds"] = "0.2",
            ["Pipeline:BadUploadRetentionDays"] = "0.00001", // 0.864 s
            ["Media:WorkDirectory"] = Path.Combine(_work, "media-work"),
        });
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _azurite.DisposeAsync();
        Directory.Delete(_work, recursive: true);
    }

    [Fact]
    public async Task BadInput_AfterTheRetention_TheSweepDeletesTheUploadedFile_TheVideoStaysFailedWithItsReason()
    {
        var client = _app.CreateClient().As("junk");
        var bytes = "not a video, only words"u8.ToArray();
        using var created = await client.PostAsJsonAsync("/api/uploads", new { fileName = "junk.mp4", contentType = "video/mp4", sizeBytes = bytes.Length });
        var body = await created.Content.ReadFromJsonAsync<JsonElement>();
        var videoId = body.GetProperty("videoId").GetString()!;
        using (var http = new HttpClient())
        using (var put = new HttpRequestMessage(HttpMethod.Put, body.GetProperty("uploadUrl").GetString()) { Content = new ByteArrayContent(bytes) })
        {
            put.Headers.Add("x-ms-blob-type", "BlockBlob");
            Assert.Equal(HttpStatusCode.Created, (await http.SendAsync(put)).StatusCode);
        }

        var failed = await WaitForFailedAsync(client, videoId);
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        await _app.Services.GetRequiredService<PipelineStarter>().SweepAsync(_app.Services.GetRequiredService<DurableTaskClient>(), default);

        Assert.Null(await _app.Services.GetRequiredService<IBlobStore>().GetInfoAsync(MediaLayout.UploadsContainer, MediaLayout.Source(videoId), default));
        var after = await client.GetFromJsonAsync<JsonElement>($"/api/videos/{videoId}");
        Assert.Equal("Failed", after.GetProperty("status").GetString());
        Assert.Equal(failed.GetProperty("error").GetString(), after.GetProperty("error").GetString());
    }

    private static async Task<JsonElement> WaitForFailedAsync(HttpClient client, string videoId)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(60))
        {
            var status = await client.GetFromJsonAsync<JsonElement>($"/api/videos/{videoId}");
            if (status.GetProperty("status").GetString() == "Failed")
            {
                return status;
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"Video {videoId} did not fail within 60 s.");
    }
}
