using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Serverless.IntegrationTests.Infrastructure;
using Serverless.IntegrationTests.Templates;
using Serverless.Videos;
using Xunit.Abstractions;

namespace Serverless.IntegrationTests.Reliability;

/// <summary>
/// kill -9 of the app while it renders (the renderer writing into the pipe, the ladder transcode reading it): nothing
/// half-rendered is Ready or listed, the restarted app renders again from nothing (the Durable retry of the step) to a
/// whole video, no ffmpeg of the killed instance is left running and the work folder ends empty.
/// </summary>
[Trait("Category", "Reliability")]
public sealed class RenderCrashScenarioTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Render_KilledWhileRendering_IsRenderedAgainWhole_AfterTheRestart()
    {
        await using var env = await ReliabilityEnvironment.StartAsync();
        var settings = new Dictionary<string, string> { ["Rendering:ShortSide"] = "360" };
        var app = await env.StartAppAsync("a", settings);
        var admin = app.CreateClient().AsOperator();
        var id = TemplateTestData.UniqueId("crash-render");
        await TemplateTestData.RegisterAssetsAsync(admin);
        var template = JsonNode.Parse(TemplateTestData.Template(id, loop: true))!.AsObject();
        template.Remove("music");
        template.Remove("tracks");
        await TemplateTestData.PutAndPublishAsync(admin, id, template.ToJsonString());

        var client = app.CreateClient().As("crash-render");
        var photos = new List<string>();
        foreach (var colour in new[] { "red", "green", "blue", "yellow", "white", "cyan" })
        {
            var file = Path.Combine(env.Root, colour + ".jpg");
            await TestClips.RunFfmpegAsync(["-y", "-f", "lavfi", "-i", $"color=c={colour}:s=480x640", "-frames:v", "1", file]);
            using var form = new MultipartFormDataContent { { new ByteArrayContent(await File.ReadAllBytesAsync(file)), "file", colour + ".jpg" } };
            var stored = await client.PostAsync("/api/images", form);
            Assert.Equal(HttpStatusCode.Created, stored.StatusCode);
            photos.Add((await stored.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("imageId").GetString()!);
        }

        // Six photos of a loop template: 2 + 5 × 2.5 = 14.5 s, long enough to be killed inside the render.
        var response = await client.PostAsJsonAsync("/api/renders", new { templateId = id, imageIds = photos });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var videoId = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("videoId").GetString()!;

        // Killed once the renderer is writing into the pipe and the transcode has published some of it.
        await Eventually.TrueAsync(
            async () => MediaProcesses.Find(env.WorkDirectory("a")).Any(p => p.Arguments.Any(a => a.EndsWith("render.mkv", StringComparison.Ordinal)))
                && await env.Videos.GetAsync(videoId, default) is { PlayableAt: not null },
            TimeSpan.FromSeconds(120), "the render to be running and playable");
        await app.KillAsync();
        var killed = await env.Videos.GetAsync(videoId, default);
        output.WriteLine($"killed at {killed!.Stage}, progress {killed.Progress:0}%");
        Assert.Equal(VideoStatus.Processing, killed.Status);
        Assert.True(killed.Progress < 100, "killed inside the render");

        var survivors = MediaProcesses.Find(env.WorkDirectory("a"));
        app = await env.StartAppAsync("a", settings);
        await env.WaitForTerminalAsync([videoId], TimeSpan.FromSeconds(180));
        Assert.DoesNotContain(MediaProcesses.Find(env.WorkDirectory("a")), p => survivors.Any(s => s.ProcessId == p.ProcessId));

        var video = await env.Videos.GetAsync(videoId, default);
        Assert.True(video!.Status == VideoStatus.Ready, video.Error);
        Assert.Equal(14.5, video.DurationSeconds!.Value, 3);
        Assert.Empty(await env.CheckOutputsAsync(video));
        var audit = await env.AuditAsync([new UploadedVideo(videoId, "crash-render")], app.CreateClient().As("crash-render"));
        Assert.True(audit.Problems.Count == 0, string.Join("\n", audit.Problems));

        // The published rendition holds the whole render: as long as the timeline, to the frame.
        var master = HlsPlaylistsOf(await env.Blobs.ReadTextAsync(MediaLayout.Container, MediaLayout.MasterPlaylist(videoId), default));
        var media = Serverless.Media.HlsPlaylists.ParseMedia((await env.Blobs.ReadTextAsync(MediaLayout.Container, $"{videoId}/hls/{master}", default))!);
        Assert.InRange(media.Segments.Sum(s => s.Duration), 14.5 - (1.0 / 30), 14.5 + (1.0 / 30));
    }

    private static string HlsPlaylistsOf(string? master) => Serverless.Media.HlsPlaylists.ParseMaster(master!)[0].Uri;
}
