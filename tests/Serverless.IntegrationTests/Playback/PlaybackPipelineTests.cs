using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Serverless.IntegrationTests.Infrastructure;

namespace Serverless.IntegrationTests.Playback;

/// <summary>Upload → real pipeline (local runtime, ffmpeg) → Ready → signed playback played to the end by ffmpeg.</summary>
public sealed class PlaybackPipelineTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>
{
    [Fact]
    public async Task UploadedClip_AfterPipeline_PlaysEveryRenditionToTheEnd()
    {
        var work = Directory.CreateTempSubdirectory("playback-pipeline-").FullName;
        try
        {
            await using var app = new FunctionsAppFactory(azurite.ConnectionString, new Dictionary<string, string?>
            {
                ["Pipeline:RetryBaseDelaySeconds"] = "0.2",
                ["Media:WorkDirectory"] = Path.Combine(work, "media-work"),
            });
            app.UseKestrel(0);
            app.StartServer();
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            using var client = new HttpClient { BaseAddress = new Uri(address) }.As("alice");
            var clip = Path.Combine(work, "clip.mp4");
            await Ffmpeg.RunAsync(work, "-f", "lavfi", "-i", "testsrc2=size=480x270:rate=25:duration=2", "-f", "lavfi", "-i", "sine=frequency=440:duration=2",
                "-shortest", "-c:a", "aac", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", clip);

            var created = await client.PostAsJsonAsync("/api/uploads", new { fileName = "clip.mp4", contentType = "video/mp4", sizeBytes = new FileInfo(clip).Length });
            var videoId = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("videoId").GetString()!;
            using (var form = new MultipartFormDataContent())
            {
                var file = new StreamContent(File.OpenRead(clip));
                file.Headers.ContentType = new MediaTypeHeaderValue("video/mp4");
                form.Add(file, "file", "clip.mp4");
                Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsync($"/api/uploads/{videoId}/file", form)).StatusCode);
            }

            var status = await WaitForReadyAsync(client, videoId);
            var renditions = status.GetProperty("renditions").EnumerateArray().Select(r => r.GetProperty("width").GetInt32()).Order().ToList();
            var grant = await client.GetFromJsonAsync<JsonElement>($"/api/videos/{videoId}/playback");
            var url = grant.GetProperty("url").GetString()!;

            var streams = await Ffmpeg.CountFramesAsync(url);

            Assert.Equal(renditions, streams.Where(s => s.Type == "video").Select(s => s.Width).Order());
            Assert.All(streams.Where(s => s.Type == "video"), s => Assert.Equal(50, s.Frames)); // 2 s at 25 fps
            Assert.All(streams.Where(s => s.Type == "audio"), s => Assert.True(s.Frames > 80, $"{s.Frames} audio frames"));
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(grant.GetProperty("posterUrl").GetString())).StatusCode);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static async Task<JsonElement> WaitForReadyAsync(HttpClient client, string videoId)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(120))
        {
            var status = await client.GetFromJsonAsync<JsonElement>($"/api/videos/{videoId}");
            switch (status.GetProperty("status").GetString())
            {
                case "Ready":
                    return status;
                case "Failed":
                    Assert.Fail($"The pipeline failed: {status.GetProperty("error").GetString()}");
                    break;
            }

            await Task.Delay(250);
        }

        throw new TimeoutException($"Video {videoId} was not Ready within 120 s.");
    }
}
