using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Serverless.IntegrationTests.Identity;
using Serverless.IntegrationTests.Infrastructure;
using Serverless.Review;
using Serverless.Storage;
using Serverless.Videos;
using Serverless.WeChat.Push;

namespace Serverless.IntegrationTests.Review;

/// <summary>
/// What the content check is asked about is what is published: its frames and audio come from the very decode that makes
/// the renditions (the transcode's own pass), never from another read of the source, which could differ from what was
/// published. The app runs ffmpeg and ffprobe through wrappers that log every run.
/// </summary>
public sealed class ReviewSamplesTests(FakeWeChat wechat) : IClassFixture<FakeWeChat>, IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);
    private ReviewApp _review = null!;

    private FunctionsAppFactory App => _review.App;

    private string Log => Path.Combine(_review.Work, "media-runs.log");

    public async Task InitializeAsync() => _review = await ReviewApp.StartAsync(wechat, deadlineMinutes: 10, settings: work => new Dictionary<string, string?>
    {
        ["Media:FfmpegPath"] = LoggingWrapper(work, "ffmpeg"),
        ["Media:FfprobePath"] = LoggingWrapper(work, "ffprobe"),
    });

    public async Task DisposeAsync() => await _review.DisposeAsync();

    [Fact]
    public async Task Review_SamplesComeFromTheTranscodesDecode_SourceDecodedOnce_PosterChecked()
    {
        wechat.Verdict = _ => (MediaCheckSuggest.Pass, 100);
        var owner = await ReviewTestKit.SignInWithWeChatAsync(App.CreateClient(), "oncedecoded");
        var videoId = await ReviewTestKit.UploadAsync(owner, ReviewTestKit.Clip());

        await ReviewTestKit.WaitForStatusAsync(owner, videoId, Timeout, "Ready");

        // The source (its upload blob) is read by one ffprobe (the probe) and one ffmpeg: the transcode, which also wrote the samples.
        var runs = (await File.ReadAllLinesAsync(Log)).Where(l => l.Contains($"/uploads/{videoId}/source", StringComparison.Ordinal)).ToList();
        Assert.Equal(1, runs.Count(l => l.StartsWith("ffprobe ", StringComparison.Ordinal)));
        var transcodes = runs.Where(l => l.StartsWith("ffmpeg ", StringComparison.Ordinal)).ToList();
        var transcode = Assert.Single(transcodes);
        Assert.Contains("[rv]", transcode, StringComparison.Ordinal);
        Assert.Contains("-f hls", transcode, StringComparison.Ordinal);
        Assert.Contains("libmp3lame", transcode, StringComparison.Ordinal);

        // Every sample stored was checked under the uploader's openid: the frames, the published poster and the audio.
        var stored = await App.Services.GetRequiredService<IBlobStore>().ListAsync(MediaLayout.ReviewContainer, MediaLayout.Prefix(videoId), default).ToListAsync();
        Assert.Contains(stored, b => b.Name == MediaLayout.ReviewSample(videoId, "poster.jpg"));
        Assert.Contains(stored, b => b.Name.Contains("/frame_", StringComparison.Ordinal));
        Assert.Contains(stored, b => b.Name.Contains("/audio_", StringComparison.Ordinal));
        var checks = wechat.Checks.Where(c => c.OpenId == "ooncedecoded").ToList();
        Assert.Equal(stored.Count, checks.Count);
        Assert.Equal(stored.Count(b => b.Name.EndsWith(".jpg", StringComparison.Ordinal)), checks.Count(c => c.MediaType == 2));
        Assert.Equal(HttpStatusCode.OK, (await App.CreateClient().As("anyviewer").GetAsync($"/api/videos/{videoId}/playback")).StatusCode);
    }

    /// <summary>
    /// A video made from photos goes through the same review, and its samples come from the decode of the render the ladder is
    /// cut from (the transcode reading the render's pipe), not from the photos or a second render.
    /// </summary>
    [Fact]
    public async Task Render_IsReviewedFromTheDecodeOfWhatIsPublished_ThenReady()
    {
        wechat.Verdict = _ => (MediaCheckSuggest.Pass, 100);
        using var admin = App.CreateClient().AsOperator();
        var templateId = Templates.TemplateTestData.UniqueId("review-render");
        await Templates.TemplateTestData.RegisterAssetsAsync(admin);
        var template = System.Text.Json.Nodes.JsonNode.Parse(Templates.TemplateTestData.Template(templateId))!.AsObject();
        template.Remove("music");
        template.Remove("tracks");
        await Templates.TemplateTestData.PutAndPublishAsync(admin, templateId, template.ToJsonString());
        var owner = await ReviewTestKit.SignInWithWeChatAsync(App.CreateClient(), "renderreviewed");
        var photos = new List<string>();
        foreach (var colour in new[] { "red", "blue" })
        {
            var file = Path.Combine(_review.Work, colour + ".jpg");
            await TestClips.RunFfmpegAsync(["-y", "-f", "lavfi", "-i", $"color=c={colour}:s=320x240", "-frames:v", "1", file]);
            using var form = new MultipartFormDataContent { { new ByteArrayContent(await File.ReadAllBytesAsync(file)), "file", colour + ".jpg" } };
            var sent = await owner.PostAsync("/api/images", form);
            Assert.Equal(HttpStatusCode.Created, sent.StatusCode);
            photos.Add((await System.Net.Http.Json.HttpContentJsonExtensions.ReadFromJsonAsync<System.Text.Json.JsonElement>(sent.Content)).GetProperty("imageId").GetString()!);
        }

        var response = await System.Net.Http.Json.HttpClientJsonExtensions.PostAsJsonAsync(owner, "/api/renders", new { templateId, imageIds = photos });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var videoId = (await System.Net.Http.Json.HttpContentJsonExtensions.ReadFromJsonAsync<System.Text.Json.JsonElement>(response.Content)).GetProperty("videoId").GetString()!;

        await ReviewTestKit.WaitForStatusAsync(owner, videoId, Timeout, "Ready");

        // One render into the pipe and one transcode reading it, which also wrote the review's frames.
        // (The render's filter graph has line breaks: the log's lines are not one per run.)
        var log = await File.ReadAllTextAsync(Log);
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(log, "-c:v rawvideo .*-f matroska file:[^ ]*render\\.mkv"));
        var runs = log.Split('\n');
        var transcode = Assert.Single(runs, l => l.StartsWith("ffmpeg ", StringComparison.Ordinal) && l.Contains("render.mkv", StringComparison.Ordinal) && l.Contains("-f hls", StringComparison.Ordinal));
        Assert.Contains("[rv]", transcode, StringComparison.Ordinal);
        var stored = await App.Services.GetRequiredService<IBlobStore>().ListAsync(MediaLayout.ReviewContainer, MediaLayout.Prefix(videoId), default).ToListAsync();
        Assert.Contains(stored, b => b.Name.Contains("/frame_", StringComparison.Ordinal));
        Assert.Equal(stored.Count, wechat.Checks.Count(c => c.OpenId == "orenderreviewed"));
    }

    /// <summary>A wrapper that appends "<paramref name="tool"/> args…" to media-runs.log, then runs the tool.</summary>
    private static string LoggingWrapper(string work, string tool)
    {
        var path = Path.Combine(work, tool + "-logged");
        File.WriteAllText(path, $$"""
            #!/usr/bin/env bash
            printf '%s %s\n' "{{tool}}" "$*" >> "{{Path.Combine(work, "media-runs.log")}}"
            exec {{tool}} "$@"
            """.Replace("\r", string.Empty, StringComparison.Ordinal));
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        return path;
    }
}
