using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Serverless.IntegrationTests.Infrastructure;
using Serverless.Media;
using Serverless.Storage;
using Serverless.Videos;

namespace Serverless.IntegrationTests.Pipeline;

/// <summary>Upload → local runtime → durable pipeline → Ready, through the HTTP API, on real Azurite and ffmpeg.</summary>
/// <remarks>
/// These tests read the orchestration of a video from their app's task hub, so they have a storage account of their own:
/// in a shared one, another test class's app could take the upload event from the shared queue and run the video in its hub.
/// </remarks>
public sealed class PipelineEndToEndTests(PipelineApp fixture) : IClassFixture<PipelineApp>
{
    private FunctionsAppFactory App => fixture.App;

    private AzuriteAccount Storage => fixture.Storage;

    private string Work => fixture.Work;

    [Fact]
    public async Task DirectUpload_LandscapeClip_BecomesReadyWithValidHls()
    {
        var clip = await TestClips.Shared.GenerateAsync(new ClipSpec(640, 360, 3));
        var client = App.CreateClient().As("alice");

        var created = await CreateUpload(client, clip);
        await PutFile(created.GetProperty("uploadUrl").GetString()!, clip);

        var videoId = created.GetProperty("videoId").GetString()!;
        var status = await WaitForTerminal(client, videoId);

        Assert.Equal("Ready", status.GetProperty("status").GetString());
        Assert.Equal(100, status.GetProperty("progress").GetDouble());
        var createdAt = status.GetProperty("createdAt").GetDateTimeOffset();
        Assert.InRange(createdAt, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddMinutes(1));
        Assert.InRange(status.GetProperty("readyAt").GetDateTimeOffset(), createdAt, DateTimeOffset.UtcNow.AddMinutes(1));
        Assert.Equal(640, status.GetProperty("width").GetInt32());
        Assert.Equal(360, status.GetProperty("height").GetInt32());
        Assert.InRange(status.GetProperty("durationSeconds").GetDouble(), 2.9, 3.2);
        var renditions = status.GetProperty("renditions").EnumerateArray().ToList();
        Assert.NotEmpty(renditions);
        Assert.All(renditions, r => Assert.True(r.GetProperty("height").GetInt32() <= 360));

        var blobs = App.Services.GetRequiredService<IBlobStore>();
        var master = await blobs.ReadTextAsync(MediaLayout.Container, MediaLayout.MasterPlaylist(videoId), default);
        Assert.NotNull(master);
        var variants = HlsPlaylists.ParseMaster(master);
        Assert.Equal(renditions.Count, variants.Count);
        Assert.All(variants, v => Assert.Contains("mp4a.40.2", v.Attributes["CODECS"], StringComparison.Ordinal));
        foreach (var (uri, _) in variants)
        {
            var text = await blobs.ReadTextAsync(MediaLayout.Container, $"{videoId}/hls/{uri}", default);
            var playlist = HlsPlaylists.ParseMedia(text!);
            Assert.Empty(PlaylistValidator.Validate(playlist, status.GetProperty("durationSeconds").GetDouble()));
            var folder = $"{videoId}/hls/{uri[..uri.LastIndexOf('/')]}/";
            foreach (var segment in playlist.Segments)
            {
                var info = await blobs.GetInfoAsync(MediaLayout.Container, folder + segment.Uri, default);
                Assert.NotNull(info);
                Assert.Equal("video/mp2t", info.ContentType);
            }
        }

        var poster = await blobs.GetInfoAsync(MediaLayout.Container, MediaLayout.Poster(videoId), default);
        Assert.Equal("image/jpeg", poster?.ContentType);
        Assert.NotNull(await blobs.GetInfoAsync(MediaLayout.UploadsContainer, MediaLayout.Source(videoId), default));

        var list = await client.GetFromJsonAsync<JsonElement>("/api/videos?count=100");
        Assert.Contains(list.GetProperty("items").EnumerateArray(), v => v.GetProperty("videoId").GetString() == videoId);
    }

    [Fact]
    public async Task DirectUpload_StillPicture_PerTitleRungAtConstantQuality()
    {
        var clip = Path.Combine(Work, "still.mp4");
        await TestClips.RunFfmpegAsync(
        [
            "-f", "lavfi", "-i", "testsrc2=s=640x360:r=30:d=3,trim=end_frame=1,loop=loop=89:size=1:start=0,setpts=N/30/TB",
            "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=3",
            "-c:v", "libx264", "-preset", "ultrafast", "-crf", "10", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", clip,
        ]);
        var client = App.CreateClient().As("stella");
        var created = await CreateUpload(client, clip);
        await PutFile(created.GetProperty("uploadUrl").GetString()!, clip);

        var videoId = created.GetProperty("videoId").GetString()!;
        Assert.Equal("Ready", (await WaitForTerminal(client, videoId)).GetProperty("status").GetString());

        // The look found a still: its one rung was encoded at constant quality capped at the fixed rate, and the final master
        // announces what was measured, far under the fixed rate.
        var entry = await App.Services.GetRequiredService<VideoRepository>().GetEntryAsync(videoId, default);
        var rung = Assert.Single(entry!.State!.Ladder!);
        Assert.Equal((21, rung.VideoBitrateKbps), (rung.Crf, rung.MaxRateKbps));
        var master = await App.Services.GetRequiredService<IBlobStore>().ReadTextAsync(MediaLayout.Container, MediaLayout.MasterPlaylist(videoId), default);
        var average = long.Parse(Assert.Single(HlsPlaylists.ParseMaster(master!)).Attributes["AVERAGE-BANDWIDTH"], System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(average, 1, rung.VideoBitrateKbps * 1000L / 2);
    }

    [Fact]
    public async Task ChunkedUpload_ThroughTheApiOnly_BecomesReady()
    {
        // What a mini-program does: it may reach only the API's domain, with requests far under 60 s.
        var clip = await TestClips.Shared.GenerateAsync(new ClipSpec(320, 180, 2));
        var bytes = await File.ReadAllBytesAsync(clip);
        var client = App.CreateClient().As("chunky");
        var created = await CreateUpload(client, clip);
        var videoId = created.GetProperty("videoId").GetString()!;
        var chunked = created.GetProperty("chunked");
        var size = chunked.GetProperty("chunkSize").GetInt32();
        Assert.True(chunked.GetProperty("chunkCount").GetInt32() > 1, "the clip should take more than one chunk");

        for (var i = chunked.GetProperty("chunkCount").GetInt32() - 1; i >= 0; i--)
        {
            var chunk = bytes.Skip(i * size).Take(size).ToArray();
            var content = new ByteArrayContent(chunk);
            content.Headers.ContentMD5 = System.Security.Cryptography.MD5.HashData(chunk);
            Assert.Equal(HttpStatusCode.NoContent, (await client.PutAsync($"/api/uploads/{videoId}/chunks/{i}", content)).StatusCode);
        }

        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsync(chunked.GetProperty("completeUrl").GetString(), null)).StatusCode);

        var status = await WaitForTerminal(client, videoId);
        Assert.Equal("Ready", status.GetProperty("status").GetString());
        Assert.InRange(status.GetProperty("durationSeconds").GetDouble(), 1.9, 2.2);
    }

    [Fact]
    public async Task MultipartUpload_RotatedPortraitWithoutAudio_BecomesReadyInPortrait()
    {
        // Stored landscape with rotation metadata and no audio, as phones record portrait.
        var clip = await TestClips.Shared.GenerateAsync(new ClipSpec(320, 180, 2, FrameRate: 25, Audio: false, Rotation: 90));
        var client = App.CreateClient().As("bob");
        var created = await CreateUpload(client, clip);
        var videoId = created.GetProperty("videoId").GetString()!;

        using var form = new MultipartFormDataContent();
        var file = new StreamContent(File.OpenRead(clip));
        file.Headers.ContentType = new MediaTypeHeaderValue("video/mp4");
        form.Add(file, "file", "portrait.mp4");
        var response = await client.PostAsync($"/api/uploads/{videoId}/file", form);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);

        var status = await WaitForTerminal(client, videoId);

        Assert.Equal("Ready", status.GetProperty("status").GetString());
        Assert.All(status.GetProperty("renditions").EnumerateArray(), r => Assert.True(r.GetProperty("height").GetInt32() > r.GetProperty("width").GetInt32()));
        var master = await App.Services.GetRequiredService<IBlobStore>().ReadTextAsync(MediaLayout.Container, MediaLayout.MasterPlaylist(videoId), default);
        Assert.DoesNotContain("mp4a", master, StringComparison.Ordinal);

        var again = await client.PostAsync($"/api/uploads/{videoId}/file", new MultipartFormDataContent { { new ByteArrayContent([1, 2, 3]), "file", "x.mp4" } });
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
    }

    [Fact]
    public async Task MultipartUpload_OverTheHostsRequestLimit_RefusedWithTheUploadUrlAsTheWay()
    {
        // The Functions host refuses bodies over its own limit (100 MiB) before the function runs; the route states and
        // enforces that limit itself, before reading the body, and points at the direct upload.
        await using var app = new FunctionsAppFactory(Storage.ConnectionString, new Dictionary<string, string?>
        {
            ["LocalRuntime:Enabled"] = "false",
            ["Pipeline:MaxMultipartUploadBytes"] = "4096",
        });
        var client = app.CreateClient().As("dave");
        var created = await client.PostAsJsonAsync("/api/uploads", new { fileName = "big.mp4", contentType = "video/mp4", sizeBytes = 5000 });
        var videoId = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("videoId").GetString()!;

        using var form = new MultipartFormDataContent { { new ByteArrayContent(new byte[5000]), "file", "big.mp4" } };
        using var response = await client.PostAsync($"/api/uploads/{videoId}/file", form);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.EndsWith("/upload-too-large-for-multipart", problem.GetProperty("type").GetString(), StringComparison.Ordinal);
        Assert.Contains("uploadUrl", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Null(await app.Services.GetRequiredService<IBlobStore>().GetInfoAsync(MediaLayout.UploadsContainer, MediaLayout.Source(videoId), default));
    }

    [Fact]
    public async Task Upload_TextFileRenamedMp4_FailsWithReasonAndKeepsOriginal()
    {
        var path = Path.Combine(Work, "notes.mp4");
        await File.WriteAllTextAsync(path, "these are my holiday notes, not a video\n");
        var client = App.CreateClient().As("carol");
        var created = await CreateUpload(client, path);
        var videoId = created.GetProperty("videoId").GetString()!;
        using (var form = new MultipartFormDataContent { { new ByteArrayContent(await File.ReadAllBytesAsync(path)), "file", "notes.mp4" } })
        {
            Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsync($"/api/uploads/{videoId}/file", form)).StatusCode);
        }

        var status = await WaitForTerminal(client, videoId);

        Assert.Equal("Failed", status.GetProperty("status").GetString());
        Assert.False(string.IsNullOrWhiteSpace(status.GetProperty("error").GetString()));
        var original = await App.Services.GetRequiredService<IBlobStore>().GetInfoAsync(MediaLayout.UploadsContainer, MediaLayout.Source(videoId), default);
        Assert.Equal(new FileInfo(path).Length, original?.Length);

        // Bad input is not a transient fault: probed once, never retried.
        var entry = await App.Services.GetRequiredService<VideoRepository>().GetEntryAsync(videoId, default);
        Assert.Equal(1, entry!.State![PipelineStep.ProbeSource].Attempts);
    }

    [Fact]
    public async Task DirectUpload_HalfSecondClip_BecomesReadyWithATargetDurationOfOne()
    {
        // A tap on the record button: 15 frames, no audio. ffmpeg alone writes EXT-X-TARGETDURATION:0 for it.
        var clip = await TestClips.Shared.GenerateAsync(new ClipSpec(640, 360, 0.5, FrameRate: 30, Audio: false));
        var client = App.CreateClient().As("tapper");
        var created = await CreateUpload(client, clip);
        var videoId = created.GetProperty("videoId").GetString()!;
        await PutFile(created.GetProperty("uploadUrl").GetString()!, clip);

        var status = await WaitForTerminal(client, videoId);

        Assert.True(status.GetProperty("status").GetString() == "Ready", status.ToString());
        var blobs = App.Services.GetRequiredService<IBlobStore>();
        foreach (var rendition in status.GetProperty("renditions").EnumerateArray())
        {
            var text = await blobs.ReadTextAsync(MediaLayout.Container, MediaLayout.RenditionPlaylist(videoId, rendition.GetProperty("name").GetString()!), default);
            var playlist = HlsPlaylists.ParseMedia(text!);
            Assert.Equal(1, playlist.TargetDuration);
            Assert.Empty(PlaylistValidator.Validate(playlist, status.GetProperty("durationSeconds").GetDouble()));
        }
    }

    [Fact]
    public async Task UploadEventDeliveredAgain_AfterReady_StartsNothingAndReprocessRunsOnce()
    {
        var clip = await TestClips.Shared.GenerateAsync(new ClipSpec(320, 180, 2));
        var client = App.CreateClient().As("dave");
        var created = await CreateUpload(client, clip);
        var videoId = created.GetProperty("videoId").GetString()!;
        await PutFile(created.GetProperty("uploadUrl").GetString()!, clip);
        Assert.Equal("Ready", (await WaitForTerminal(client, videoId)).GetProperty("status").GetString());
        var durable = App.Services.GetRequiredService<Microsoft.DurableTask.Client.DurableTaskClient>();
        // Ready is written by the publish activity; the orchestration then frees its slot and completes.
        using var completion = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var first = await durable.WaitForInstanceCompletionAsync(videoId, completion.Token);
        Assert.Equal(Microsoft.DurableTask.Client.OrchestrationRuntimeStatus.Completed, first.RuntimeStatus);

        // Event Grid delivers at least once: the same BlobCreated again, consumed, starts no second run.
        var queues = App.Services.GetRequiredService<IQueueStore>();
        var blobs = App.Services.GetRequiredService<IBlobStore>();
        var source = (await blobs.GetInfoAsync(MediaLayout.UploadsContainer, MediaLayout.Source(videoId), default))!;
        await queues.EnqueueAsync(
            FunctionsAppFactory.UploadQueue,
            Serverless.LocalHost.Runtime.BlobCreatedEvents.Create(blobs.GetBlobUri(MediaLayout.UploadsContainer, source.Name), MediaLayout.UploadsContainer, source, DateTimeOffset.UtcNow),
            null,
            default);
        await Eventually.TrueAsync(async () => await queues.GetApproximateCountAsync(FunctionsAppFactory.UploadQueue, default) == 0, TimeSpan.FromSeconds(60), "the event was consumed");
        var again = await durable.GetInstanceAsync(videoId);
        Assert.Equal((first.CreatedAt, Microsoft.DurableTask.Client.OrchestrationRuntimeStatus.Completed), (again!.CreatedAt, again.RuntimeStatus));
        var entry = await App.Services.GetRequiredService<VideoRepository>().GetEntryAsync(videoId, default);
        Assert.All(entry!.State!.Steps.Values, s => Assert.Equal((StepStatus.Succeeded, 1), (s.Status, s.Attempts)));

        // A reprocess is a new instance of the same id, run once more to Ready.
        var operatorClient = App.CreateClient().AsOperator();
        Assert.Equal(HttpStatusCode.Accepted, (await operatorClient.PostAsync($"/api/operator/videos/{videoId}/reprocess", null)).StatusCode);
        await Eventually.TrueAsync(async () => (await durable.GetInstanceAsync(videoId))!.CreatedAt > first.CreatedAt, TimeSpan.FromSeconds(60), "a new instance started");
        Assert.Equal("Ready", (await WaitForTerminal(client, videoId)).GetProperty("status").GetString());
        var reprocessed = await App.Services.GetRequiredService<VideoRepository>().GetEntryAsync(videoId, default);
        Assert.All(reprocessed!.State!.Steps.Values, s => Assert.Equal((StepStatus.Succeeded, 1), (s.Status, s.Attempts)));
    }

    [Fact]
    public async Task Delete_DuringTranscode_LeavesNoMediaBehind()
    {
        // Small frames, many segments, deleted once playable: its first segments and playlists are already stored while
        // ffmpeg still encodes. On a loaded machine the poll can miss that window; then the video is deleted anyway and
        // the race tried again.
        var clip = await TestClips.Shared.GenerateAsync(new ClipSpec(320, 180, 30, FrameRate: 15));
        var client = App.CreateClient().As("grace");
        var blobs = App.Services.GetRequiredService<IBlobStore>();
        var caught = false;
        for (var round = 0; round < 4 && !caught; round++)
        {
            var videoId = (await Reliability.ReliabilityEnvironment.UploadAsync(client, "grace", clip)).VideoId;
            var clock = System.Diagnostics.Stopwatch.StartNew();
            while (true)
            {
                var status = await client.GetFromJsonAsync<JsonElement>($"/api/videos/{videoId}");
                var stage = status.GetProperty("stage").GetString();
                caught = stage == nameof(PipelineStep.TranscodeLadder) && status.GetProperty("playable").GetBoolean();
                var missed = status.GetProperty("status").GetString() is "Ready" or "Failed" || stage is nameof(PipelineStep.PublishVideo);
                if (caught || missed)
                {
                    break;
                }

                Assert.True(clock.Elapsed < TimeSpan.FromSeconds(90), $"the transcode never got going: {status}");
                await Task.Delay(10);
            }

            Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"/api/videos/{videoId}")).StatusCode);

            // The running step finishes (or fails) on its own; once its work folder is gone it has stored whatever it
            // was going to store. Before the fix its renditions stayed in the media container, reachable by nobody.
            clock.Restart();
            var work = Path.Combine(Work, "media-work");
            while (Directory.Exists(work) && Directory.EnumerateDirectories(work, videoId, SearchOption.AllDirectories).Any(d => Directory.EnumerateFileSystemEntries(d).Any()))
            {
                Assert.True(clock.Elapsed < TimeSpan.FromSeconds(120), "the transcode never ended");
                await Task.Delay(100);
            }

            clock.Restart();
            while (await blobs.ListAsync(MediaLayout.Container, MediaLayout.Prefix(videoId), default).AnyAsync())
            {
                Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), "media blobs of the deleted video stayed behind");
                await Task.Delay(200);
            }

            Assert.Null(await blobs.GetInfoAsync(MediaLayout.UploadsContainer, MediaLayout.Source(videoId), default));
        }

        Assert.True(caught, "never caught a transcode uploading its renditions in 4 tries");
    }

    [Theory]
    [InlineData("""{"fileName":"a.mp4","contentType":"text/plain","sizeBytes":10}""", 400)]
    [InlineData("""{"fileName":"","contentType":"video/mp4","sizeBytes":10}""", 400)]
    [InlineData("""{"fileName":"../../etc/passwd","contentType":"video/mp4","sizeBytes":10}""", 400)]
    [InlineData("""{"fileName":"a.mp4","contentType":"video/mp4","sizeBytes":0}""", 400)]
    [InlineData("""{"fileName":"a.mp4","contentType":"video/mp4","sizeBytes":-5}""", 400)]
    [InlineData("""{"fileName":"a.mp4","contentType":"video/mp4","sizeBytes":99999999999999}""", 413)]
    [InlineData("""{"fileName":"a.mp4","contentType":"video/mp4"}""", 400)]
    [InlineData("""not json""", 400)]
    public async Task CreateUpload_BadRequest_AnswersProblem(string body, int expected)
    {
        var client = App.CreateClient().As("dave");

        var response = await client.PostAsync("/api/uploads", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(expected, (int)response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task GetVideo_SomeoneElsesUnpublishedVideo_NotFound()
    {
        var owner = App.CreateClient().As("erin");
        var created = await owner.PostAsJsonAsync("/api/uploads", new { fileName = "a.mp4", contentType = "video/mp4", sizeBytes = 100 });
        var videoId = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("videoId").GetString();

        Assert.Equal(HttpStatusCode.OK, (await owner.GetAsync($"/api/videos/{videoId}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await App.CreateClient().As("frank").GetAsync($"/api/videos/{videoId}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await owner.GetAsync("/api/videos/not-an-id")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await App.CreateClient().GetAsync($"/api/videos/{videoId}")).StatusCode);
    }

    private static async Task PutFile(string uploadUrl, string path)
    {
        using var http = new HttpClient();
        using var put = new HttpRequestMessage(HttpMethod.Put, uploadUrl) { Content = new ByteArrayContent(await File.ReadAllBytesAsync(path)) };
        put.Headers.Add("x-ms-blob-type", "BlockBlob");
        Assert.Equal(HttpStatusCode.Created, (await http.SendAsync(put)).StatusCode);
    }

    private static async Task<JsonElement> CreateUpload(HttpClient client, string path)
    {
        var response = await client.PostAsJsonAsync("/api/uploads", new { fileName = Path.GetFileName(path), contentType = "video/mp4", sizeBytes = new FileInfo(path).Length });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    private static async Task<JsonElement> WaitForTerminal(HttpClient client, string videoId)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(120))
        {
            var status = await client.GetFromJsonAsync<JsonElement>($"/api/videos/{videoId}");
            if (status.GetProperty("status").GetString() is "Ready" or "Failed")
            {
                return status;
            }

            await Task.Delay(250);
        }

        throw new TimeoutException($"Video {videoId} did not finish within 120 s.");
    }
}

/// <summary>One app for the class (each test uses its own users and videos), in a storage account of its own.</summary>
public sealed class PipelineApp : IAsyncLifetime
{
    public AzuriteAccount Storage { get; private set; } = null!;

    public FunctionsAppFactory App { get; private set; } = null!;

    public string Work { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Storage = await AzuriteFixture.NewAccountAsync();
        Work = Directory.CreateTempSubdirectory("pipeline-e2e-").FullName;
        App = new FunctionsAppFactory(Storage.ConnectionString, new Dictionary<string, string?>
        {
            ["Pipeline:RetryBaseDelaySeconds"] = "0.2",
            ["Pipeline:ProgressIntervalSeconds"] = "0.1",
            ["Pipeline:UploadChunkBytes"] = "65536",
            ["Media:WorkDirectory"] = Path.Combine(Work, "media-work"),

            // Every upload here takes the per-title look, however short (the default leaves clips under 10 s to the fixed ladder).
            ["Media:PerTitleMinSeconds"] = "0",
        });
    }

    public async Task DisposeAsync()
    {
        await App.DisposeAsync();
        Directory.Delete(Work, recursive: true);
    }
}
