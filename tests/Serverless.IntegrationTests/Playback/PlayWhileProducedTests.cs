using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Serverless.IntegrationTests.Infrastructure;
using Serverless.Media;

namespace Serverless.IntegrationTests.Playback;

/// <summary>
/// A video is playable while its ladder is still encoding: a real client (ffmpeg's HLS demuxer) starts on the signed URL as
/// soon as the status API says <c>playable</c> and decodes to the end while the playlists grow. The app's ffmpeg reads its
/// source at the clip's own pace (<c>-readrate 1</c>, the way a camera delivers it), so the encode lasts at least the clip's
/// duration whatever the machine's load, and "before Ready" never depends on a race.
/// </summary>
public sealed class PlayWhileProducedTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>
{
    private const int Seconds = 8;
    private const int FrameRate = 25;

    [Fact]
    public async Task PlayableClip_ClientStartsBeforeReady_DecodesEveryFrameWithoutGap()
    {
        await using var run = await PlayableAsync("play-while-produced-");
        var (client, anonymous, videoId, url, firstChild) = (run.Client, run.Anonymous, run.VideoId, run.Url, run.FirstChild);
        Assert.Equal("Processing", run.Playable.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, run.Playable.GetProperty("readyAt").ValueKind);
        var playableAt = run.Playable.GetProperty("playableAt").GetDateTimeOffset();

        using var media = await anonymous.GetAsync(firstChild);
        var growing = await media.Content.ReadAsStringAsync();
        Assert.Contains("#EXT-X-PLAYLIST-TYPE:EVENT", growing, StringComparison.Ordinal);
        Assert.DoesNotContain("#EXT-X-ENDLIST", growing, StringComparison.Ordinal);
        Assert.Equal("no-cache", media.Headers.CacheControl?.ToString());
        Assert.Contains("sig=", growing, StringComparison.Ordinal); // segment URLs signed as for a Ready video

        var decoded = await DecodeAsync(url);
        var ready = await WaitForAsync(client, videoId, s => s.GetProperty("status").GetString() == "Ready");

        // Started while produced (the playlist had no ENDLIST), yet every frame of every rendition, in order, no gap.
        Assert.True(ready.GetProperty("readyAt").GetDateTimeOffset() > playableAt);
        var videoStreams = decoded.Where(s => s.Value.Video).ToList();
        Assert.Equal(ready.GetProperty("renditions").GetArrayLength(), videoStreams.Count);
        Assert.All(videoStreams, s =>
        {
            Assert.Equal(Seconds * FrameRate, s.Value.Frames);
            Assert.Equal(0, s.Value.Gaps);
            Assert.Equal(Seconds, s.Value.Frames * s.Value.FrameDuration, 2);
        });

        // Every rendition's audio decodes to the end too, and the poster of the grant is served.
        var audioStreams = decoded.Where(s => !s.Value.Video).ToList();
        Assert.Equal(videoStreams.Count, audioStreams.Count);
        Assert.All(audioStreams, s => Assert.True(s.Value.Frames > Seconds * 40, $"{s.Value.Frames} audio frames"));
        var grant = await client.GetFromJsonAsync<JsonElement>($"/api/videos/{videoId}/playback");
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync(grant.GetProperty("posterUrl").GetString())).StatusCode);

        // Once Ready, the same playlist is complete (VOD, ENDLIST) and cacheable again.
        using var complete = await anonymous.GetAsync(firstChild);
        var text = await complete.Content.ReadAsStringAsync();
        Assert.Contains("#EXT-X-PLAYLIST-TYPE:VOD", text, StringComparison.Ordinal);
        Assert.Contains("#EXT-X-ENDLIST", text, StringComparison.Ordinal);
        Assert.True(complete.Headers.CacheControl is { Private: true, MaxAge: not null, NoCache: false }, $"{complete.Headers.CacheControl}");

        // Loading the completed playlist dropped the cached master: it now carries the measured bandwidths, not the bounds.
        var measured = HlsPlaylists.ParseMaster(await anonymous.GetStringAsync(url)).Select(v => long.Parse(v.Attributes["BANDWIDTH"], CultureInfo.InvariantCulture)).Order();
        Assert.Equal(ready.GetProperty("renditions").EnumerateArray().Select(r => r.GetProperty("bandwidth").GetInt64()).Order(), measured);
        Assert.NotEqual(HlsPlaylists.ParseMaster(run.Master).Select(v => long.Parse(v.Attributes["BANDWIDTH"], CultureInfo.InvariantCulture)).Order(), measured);
    }

    [Fact]
    public async Task PlayableClip_EncodeDiesAfterwards_FailedWithReasonAndPlaybackStops()
    {
        await using var run = await PlayableAsync("play-then-fail-");
        var (client, anonymous, videoId, work, child, app) = (run.Client, run.Anonymous, run.VideoId, run.Work, run.FirstChild, run.App);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync(child)).StatusCode);

        // Playable, and the paced encode has seconds to go: its ffmpeg dies (the OOM killer, an operator).
        var transcodes = Reliability.MediaProcesses.Find(Path.Combine(work, "media-work"), videoId).Where(p => p.IsTranscode).ToList();
        Assert.True(transcodes.Count == 1, $"transcodes: {transcodes.Count}; media processes: {string.Join(" | ", Reliability.MediaProcesses.Find(work).Select(p => string.Join(' ', p.Arguments)))}; status {await client.GetStringAsync($"/api/videos/{videoId}")}");
        Assert.True(transcodes[0].Kill());

        var failed = await WaitForAsync(client, videoId, s => s.GetProperty("status").GetString() == "Failed");
        Assert.Contains("SIGKILL", failed.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.False(failed.GetProperty("playable").GetBoolean());
        Assert.Equal(JsonValueKind.Null, failed.GetProperty("playableAt").ValueKind);

        using var refused = await client.GetAsync($"/api/videos/{videoId}/playback");
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Equal("Failed", (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString());

        // A player that already had the URL loses the growing playlist within a reload (its template lives 1 s).
        var clock = Stopwatch.StartNew();
        HttpStatusCode code;
        while ((code = (await anonymous.GetAsync(child)).StatusCode) != HttpStatusCode.NotFound && clock.Elapsed < TimeSpan.FromSeconds(30))
        {
            await Task.Delay(200);
        }

        Assert.Equal(HttpStatusCode.NotFound, code);
        Assert.NotNull(await app.Services.GetRequiredService<Serverless.Storage.IBlobStore>()
            .GetInfoAsync(Serverless.Videos.MediaLayout.UploadsContainer, Serverless.Videos.MediaLayout.Source(videoId), default)); // the upload is kept
    }

    /// <summary>
    /// An app whose ffmpeg is paced, a clip uploaded through it, and what a player holds once the status says playable:
    /// the signed URL, the master it served then, and the first rendition's playlist URL.
    /// </summary>
    private async Task<ProducedClip> PlayableAsync(string name)
    {
        var work = Directory.CreateTempSubdirectory(name).FullName;
        var app = StartApp(work, PacedFfmpeg.Create(work));
        var client = Client(app);
        var anonymous = new HttpClient();
        var run = new ProducedClip(work, app, client, anonymous);
        try
        {
            run.VideoId = await UploadAsync(client, work);
            run.Playable = await WaitForAsync(client, run.VideoId, s => s.GetProperty("playable").GetBoolean());
            var grant = await client.GetFromJsonAsync<JsonElement>($"/api/videos/{run.VideoId}/playback");
            run.Url = grant.GetProperty("url").GetString()!;
            run.Master = await anonymous.GetStringAsync(run.Url);
            run.FirstChild = new Uri(new Uri(run.Url), run.Master.Split('\n').First(l => l.Length > 0 && !l.StartsWith('#')).Trim());
            return run;
        }
        catch
        {
            await run.DisposeAsync();
            throw;
        }
    }

    private sealed class ProducedClip(string work, FunctionsAppFactory app, HttpClient client, HttpClient anonymous) : IAsyncDisposable
    {
        public string Work => work;

        public FunctionsAppFactory App => app;

        public HttpClient Client => client;

        public HttpClient Anonymous => anonymous;

        public string VideoId { get; set; } = string.Empty;

        public JsonElement Playable { get; set; }

        public string Url { get; set; } = string.Empty;

        public string Master { get; set; } = string.Empty;

        public Uri FirstChild { get; set; } = null!;

        public async ValueTask DisposeAsync()
        {
            anonymous.Dispose();
            client.Dispose();
            await app.DisposeAsync();
            Directory.Delete(work, recursive: true);
        }
    }

    private FunctionsAppFactory StartApp(string work, string ffmpeg)
    {
        var app = new FunctionsAppFactory(azurite.ConnectionString, new Dictionary<string, string?>
        {
            ["Pipeline:RetryBaseDelaySeconds"] = "0.2",
            ["Pipeline:MaxStepAttempts"] = "1",
            ["Media:WorkDirectory"] = Path.Combine(work, "media-work"),
            ["Media:FfmpegPath"] = ffmpeg,
        });
        app.UseKestrel(0);
        app.StartServer();
        return app;
    }

    private static HttpClient Client(FunctionsAppFactory app)
    {
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new HttpClient { BaseAddress = new Uri(address) }.As("paula");
    }

    private static async Task<string> UploadAsync(HttpClient client, string work)
    {
        var clip = Path.Combine(work, "clip.mp4");
        await Ffmpeg.RunAsync(work, "-f", "lavfi", "-i", $"testsrc2=size=960x540:rate={FrameRate}:duration={Seconds}", "-f", "lavfi", "-i", $"sine=frequency=440:duration={Seconds}",
            "-shortest", "-c:a", "aac", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", clip);
        var created = await client.PostAsJsonAsync("/api/uploads", new { fileName = "clip.mp4", contentType = "video/mp4", sizeBytes = new FileInfo(clip).Length });
        var videoId = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("videoId").GetString()!;
        using var form = new MultipartFormDataContent();
        var file = new StreamContent(File.OpenRead(clip));
        file.Headers.ContentType = new MediaTypeHeaderValue("video/mp4");
        form.Add(file, "file", "clip.mp4");
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsync($"/api/uploads/{videoId}/file", form)).StatusCode);
        return videoId;
    }

    private static async Task<JsonElement> WaitForAsync(HttpClient client, string videoId, Func<JsonElement, bool> condition)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(180))
        {
            var status = await client.GetFromJsonAsync<JsonElement>($"/api/videos/{videoId}");
            if (condition(status))
            {
                return status;
            }

            Assert.False(status.GetProperty("status").GetString() is "Failed" && !condition(status), $"The pipeline failed: {status}");
            await Task.Delay(100);
        }

        throw new TimeoutException($"Video {videoId} did not get there within 180 s.");
    }

    /// <summary>
    /// Decodes every stream from the first segment (<c>-live_start_index 0</c>: a growing playlist is otherwise joined near
    /// its end) until ENDLIST, and reports per stream the frames, the frame duration and the gaps in their timestamps.
    /// </summary>
    private static async Task<Dictionary<int, (bool Video, int Frames, double FrameDuration, int Gaps)>> DecodeAsync(string url)
    {
        var (code, stdout, stderr) = await Ffmpeg.ExecAsync(
            "ffmpeg", null, ["-hide_banner", "-nostdin", "-v", "error", "-live_start_index", "0", "-i", url, "-map", "0", "-c:v", "rawvideo", "-c:a", "pcm_s16le", "-f", "framecrc", "-"]);
        Assert.True(code == 0 && stderr.Length == 0, $"the client failed ({code}): {stderr}");

        // framecrc: "stream, dts, pts, duration, size, crc"; the header comments give each stream's type and time base.
        var timeBases = new Dictionary<int, (bool Video, double TimeBase)>();
        var frames = new Dictionary<int, List<(long Pts, long Duration)>>();
        foreach (var line in stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (line.StartsWith("#tb ", StringComparison.Ordinal))
            {
                var parts = line[4..].Split(':', 2);
                var fraction = parts[1].Trim().Split('/');
                timeBases[int.Parse(parts[0], CultureInfo.InvariantCulture)] = (false, double.Parse(fraction[0], CultureInfo.InvariantCulture) / double.Parse(fraction[1], CultureInfo.InvariantCulture));
            }
            else if (line.StartsWith("#media_type ", StringComparison.Ordinal))
            {
                var parts = line[12..].Split(':', 2);
                var index = int.Parse(parts[0], CultureInfo.InvariantCulture);
                timeBases[index] = (parts[1].Trim() == "video", timeBases[index].TimeBase);
            }
            else if (!line.StartsWith('#'))
            {
                var fields = line.Split(',', StringSplitOptions.TrimEntries);
                var stream = int.Parse(fields[0], CultureInfo.InvariantCulture);
                (frames.TryGetValue(stream, out var list) ? list : frames[stream] = []).Add((long.Parse(fields[2], CultureInfo.InvariantCulture), long.Parse(fields[3], CultureInfo.InvariantCulture)));
            }
        }

        return frames.ToDictionary(f => f.Key, f =>
        {
            var (video, timeBase) = timeBases[f.Key];
            var ordered = f.Value.OrderBy(x => x.Pts).ToList();
            var gaps = ordered.Zip(ordered.Skip(1)).Count(p => p.Second.Pts - p.First.Pts > p.First.Duration * 1.5);
            return (video, ordered.Count, ordered.Count == 0 ? 0 : ordered[0].Duration * timeBase, gaps);
        });
    }
}
