using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Serverless.IntegrationTests.Infrastructure;
using Serverless.IntegrationTests.Templates;
using Serverless.Media;
using Serverless.Rendering.Images;
using Serverless.Storage;
using Serverless.Videos;
using static Serverless.IntegrationTests.Rendering.VideoMeasure;

namespace Serverless.IntegrationTests.Rendering;

/// <summary>
/// Photos → render → a video like any upload, through the HTTP API on real Azurite, ffmpeg and the Durable pipeline: the
/// photos are checked and turned upright, the render is playable while it is produced and then Ready, and what plays is
/// measured; every bad request is refused before any work with its reason.
/// </summary>
public sealed class RenderEndToEndTests(RenderApp fixture) : IClassFixture<RenderApp>
{
    private static readonly (byte R, byte G, byte B)[] Colours = [(230, 30, 30), (30, 200, 40), (40, 50, 220)];

    private FunctionsAppFactory App => fixture.App;

    [Fact]
    public async Task ColourPhotos_Rendered_PlayWhileProduced_ThenReady_WithEachPhotoAndDissolveWhereTheTimelineSaysSo()
    {
        var client = App.CreateClient().As("render-alice");
        var templateId = await fixture.PublishAsync(TemplateTestData.UniqueId("render"));
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add(await UploadPhotoAsync(client, await fixture.PhotoAsync(Colours[i], i == 1 ? "360x480" : "640x480")));
        }

        var clock = Stopwatch.StartNew();
        var response = await client.PostAsJsonAsync("/api/renders", new { templateId, imageIds = ids });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var accepted = await response.Content.ReadFromJsonAsync<JsonElement>();
        var videoId = accepted.GetProperty("videoId").GetString()!;
        Assert.Equal($"/api/videos/{videoId}", response.Headers.Location?.OriginalString);
        Assert.Equal(7.0, accepted.GetProperty("durationSeconds").GetDouble(), 3);
        Assert.Equal((360, 640), (accepted.GetProperty("width").GetInt32(), accepted.GetProperty("height").GetInt32()));

        var sawPlayableBeforeReady = false;
        JsonElement status;
        while (true)
        {
            status = await client.GetFromJsonAsync<JsonElement>($"/api/videos/{videoId}");
            var state = status.GetProperty("status").GetString();
            if (state is "Ready" or "Failed")
            {
                break;
            }

            sawPlayableBeforeReady |= status.GetProperty("playable").GetBoolean();
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(120), $"the render is still {state} after 120 s");
            await Task.Delay(100);
        }

        Assert.True(status.GetProperty("status").GetString() == "Ready", status.GetProperty("error").ToString());
        Assert.True(sawPlayableBeforeReady, "the render was playable before it was Ready (published while rendered)");
        Assert.Equal(7.0, status.GetProperty("durationSeconds").GetDouble(), 3);

        // What plays: the top rendition, as its playlist lists it, decoded from local copies of its files.
        var top = await fixture.DownloadTopRenditionAsync(videoId);
        Assert.InRange(await DurationAsync(top), 7.0 - (1.0 / 30), 7.0 + (1.0 / 30));
        var segments = new (long Frame, (byte, byte, byte) Colour, string What)[]
        {
            (30, Colours[0], "photo 1"), (67, Halfway(Colours[0], Colours[1]), "dissolve 1→2"), (105, Colours[1], "photo 2"),
            (142, Halfway(Colours[1], Colours[2]), "dissolve 2→3"), (180, Colours[2], "photo 3"),
        };
        foreach (var (frame, colour, what) in segments)
        {
            AssertColour(colour, await MeanColourAsync(top, frame, centre: true), what);
        }

        var audio = await DecodeAudioAsync(top);
        Assert.True(Rms(audio, 1.0, 1.5) > 0.05, "the template's music plays under the video");
    }

    [Fact]
    public async Task MusicFromTheLibrary_ReplacesTheTemplatesMusic()
    {
        var client = App.CreateClient().As("render-fay");
        var templateId = await fixture.PublishAsync(TemplateTestData.UniqueId("render-music"));
        var photo = await UploadPhotoAsync(client, await fixture.PhotoAsync(Colours[2], "640x480"));

        var response = await client.PostAsJsonAsync("/api/renders", new { templateId, imageIds = new[] { photo }, musicId = fixture.OtherMusicId });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var videoId = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("videoId").GetString()!;
        var status = await WaitForEndAsync(client, videoId);
        Assert.True(status.GetProperty("status").GetString() == "Ready", status.GetProperty("error").ToString());

        // The template's music is a 440 Hz tone, the library's an 880 Hz one: count the tone's cycles in the published audio.
        var audio = await DecodeAudioAsync(await fixture.DownloadTopRenditionAsync(videoId));
        var middle = audio[4000..12000];
        var crossings = middle.Zip(middle.Skip(1)).Count(p => p.First < 0 && p.Second >= 0);
        Assert.InRange(crossings, 850, 910);

        await AssertProblemAsync(await client.PostAsJsonAsync("/api/renders", new { templateId, imageIds = new[] { photo }, musicId = new string('0', 64) }), HttpStatusCode.BadRequest, "render-music-not-found");
    }

    [Fact]
    public async Task PhotoGoneBeforeTheRender_FailsTheVideo_WithAReasonItsOwnerReads()
    {
        var client = App.CreateClient().As("render-gus");
        var templateId = await fixture.PublishAsync(TemplateTestData.UniqueId("render-gone"));
        var photo = await UploadPhotoAsync(client, await fixture.PhotoAsync(Colours[0], "640x480"));
        await App.Services.GetRequiredService<IBlobStore>().DeleteAsync(MediaLayout.UploadsContainer, ImageLayout.Stored(photo), default); // as its lifecycle rule would

        var response = await client.PostAsJsonAsync("/api/renders", new { templateId, imageIds = new[] { photo } });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var videoId = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("videoId").GetString()!;
        var status = await WaitForEndAsync(client, videoId);

        Assert.Equal("Failed", status.GetProperty("status").GetString());
        Assert.Equal($"Photo 1 ({photo}) is no longer stored.", status.GetProperty("error").GetString());
        Assert.False(status.GetProperty("playable").GetBoolean());
    }

    private static async Task<JsonElement> WaitForEndAsync(HttpClient client, string videoId)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var status = await client.GetFromJsonAsync<JsonElement>($"/api/videos/{videoId}");
            if (status.GetProperty("status").GetString() is "Ready" or "Failed")
            {
                return status;
            }

            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(120), $"{videoId} is still {status.GetProperty("status").GetString()} after 120 s");
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task Photos_AreTurnedUprightByTheirExifOrientation_AndRefusedWithAReason()
    {
        var client = App.CreateClient().As("render-bob");

        // 64×32, red on the left, blue on the right, stored as a phone held upright stores it: orientation 6 (turn 90° clockwise).
        var sideways = Path.Combine(fixture.Work, "sideways.jpg");
        await TestClips.RunFfmpegAsync(["-y", "-f", "lavfi", "-i", "color=c=red:s=32x32[l];color=c=blue:s=32x32[r];[l][r]hstack", "-frames:v", "1", sideways]);
        await File.WriteAllBytesAsync(sideways, WithExifOrientation(await File.ReadAllBytesAsync(sideways), 6));
        var id = await UploadPhotoAsync(client, sideways);

        var image = await client.GetFromJsonAsync<JsonElement>($"/api/images/{id}");
        Assert.Equal((32, 64), (image.GetProperty("width").GetInt32(), image.GetProperty("height").GetInt32()));
        var stored = Path.Combine(fixture.Work, "stored.jpg");
        await App.Services.GetRequiredService<IBlobStore>().DownloadToFileAsync(MediaLayout.UploadsContainer, ImageLayout.Stored(id), stored, default);
        AssertColour((255, 0, 0), await MeanColourAsync(stored, 0, box: new(string.Empty, string.Empty, 0, 0, 8, 4, 16, 16)), "the top of the upright photo (its left before)");
        AssertColour((0, 0, 255), await MeanColourAsync(stored, 0, box: new(string.Empty, string.Empty, 0, 0, 8, 44, 16, 16)), "the bottom");
        Assert.Equal(HttpStatusCode.NotFound, (await App.CreateClient().As("render-carol").GetAsync($"/api/images/{id}")).StatusCode);

        var text = Path.Combine(fixture.Work, "not-a-photo.jpg");
        await File.WriteAllTextAsync(text, "#EXTM3U\nhttp://127.0.0.1:9/secret\n");
        await AssertProblemAsync(await PostPhotoAsync(client, text), HttpStatusCode.UnsupportedMediaType, "image-format-unsupported");

        // A decompression bomb: a small file (a flat colour compresses well) that would decode to 81 million pixels.
        var bomb = Path.Combine(fixture.Work, "bomb.png");
        await TestClips.RunFfmpegAsync(["-y", "-f", "lavfi", "-i", "color=c=white:s=9000x9000", "-frames:v", "1", "-compression_level", "9", bomb]);
        Assert.True(new FileInfo(bomb).Length < 2_000_000);
        var refused = await PostPhotoAsync(client, bomb);
        var problem = await AssertProblemAsync(refused, HttpStatusCode.BadRequest, "image-size-unsupported");
        Assert.Contains("9000×9000", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);

        var truncated = Path.Combine(fixture.Work, "truncated.jpg");
        var whole = await File.ReadAllBytesAsync(await fixture.PhotoAsync(Colours[0], "640x480"));
        await File.WriteAllBytesAsync(truncated, whole[..(whole.Length / 3)]);
        await AssertProblemAsync(await PostPhotoAsync(client, truncated), HttpStatusCode.BadRequest, "image-unreadable");
    }

    [Fact]
    public async Task BadRenderRequests_AreRefusedBeforeAnyWork_WithTheirReason()
    {
        var alice = App.CreateClient().As("render-dora");
        var bob = App.CreateClient().As("render-eve");
        var templateId = await fixture.PublishAsync(TemplateTestData.UniqueId("render-bad"));
        var mine = await UploadPhotoAsync(alice, await fixture.PhotoAsync(Colours[0], "640x480"));
        var theirs = await UploadPhotoAsync(bob, await fixture.PhotoAsync(Colours[1], "640x480"));

        var others = await AssertProblemAsync(await alice.PostAsJsonAsync("/api/renders", new { templateId, imageIds = new[] { mine, theirs } }), HttpStatusCode.BadRequest, "render-images-not-found");
        Assert.Equal([theirs], others.GetProperty("imageIds").EnumerateArray().Select(e => e.GetString()));
        await AssertProblemAsync(await alice.PostAsJsonAsync("/api/renders", new { templateId, imageIds = new[] { mine, mine, mine, mine } }), HttpStatusCode.BadRequest, "render-image-count-unsupported");
        await AssertProblemAsync(await alice.PostAsJsonAsync("/api/renders", new { templateId, imageIds = Array.Empty<string>() }), HttpStatusCode.BadRequest, "render-image-count-invalid");
        await AssertProblemAsync(await alice.PostAsJsonAsync("/api/renders", new { templateId = "no-such-template", imageIds = new[] { mine } }), HttpStatusCode.NotFound, "render-template-not-found");

        var staged = TemplateTestData.UniqueId("render-staged");
        (await TemplateTestData.PutAsync(fixture.Operator, staged, TemplateTestData.Template(staged))).EnsureSuccessStatusCode();
        await AssertProblemAsync(await alice.PostAsJsonAsync("/api/renders", new { templateId = staged, imageIds = new[] { mine } }), HttpStatusCode.NotFound, "render-template-not-found");

        var page = await fixture.PublishAsync(TemplateTestData.UniqueId("render-page"), json => json.Replace(
            TemplateTestData.TransitionFrag, "https://cdn.example.com/shaders/PageCurl.frag", StringComparison.Ordinal), "https://cdn.example.com/shaders/PageCurl.frag");
        var unsupported = await AssertProblemAsync(await alice.PostAsJsonAsync("/api/renders", new { templateId = page, imageIds = new[] { mine, mine } }), (HttpStatusCode)422, "render-effect-unsupported");
        var first = unsupported.GetProperty("unsupported")[0];
        Assert.Equal(("nodes[1]", "溶解", "PageCurl"), (first.GetProperty("where").GetString(), first.GetProperty("name").GetString(), first.GetProperty("effect").GetString()));

        var withoutSticker = await fixture.PublishAsync(TemplateTestData.UniqueId("render-nosticker"), json => json.Replace(
            TemplateTestData.StickerImage, "https://cdn.example.com/stickers/unstored.png", StringComparison.Ordinal), "https://cdn.example.com/stickers/unstored.png");
        var missing = await AssertProblemAsync(await alice.PostAsJsonAsync("/api/renders", new { templateId = withoutSticker, imageIds = new[] { mine } }), (HttpStatusCode)422, "render-asset-missing");
        Assert.Equal(["https://cdn.example.com/stickers/unstored.png"], missing.GetProperty("urls").EnumerateArray().Select(e => e.GetString()));
    }

    private static async Task<string> UploadPhotoAsync(HttpClient client, string path)
    {
        var response = await PostPhotoAsync(client, path);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("imageId").GetString()!;
    }

    private static async Task<HttpResponseMessage> PostPhotoAsync(HttpClient client, string path)
    {
        using var form = new MultipartFormDataContent { { new ByteArrayContent(await File.ReadAllBytesAsync(path)), "file", Path.GetFileName(path) } };
        return await client.PostAsync("/api/images", form);
    }

    private static async Task<JsonElement> AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string type)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"{(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(body).RootElement;
        Assert.True(problem.GetProperty("type").GetString()!.EndsWith("/" + type, StringComparison.Ordinal), body);
        return problem;
    }

    /// <summary>The JPEG with an APP1 Exif segment holding only the orientation tag, right after SOI.</summary>
    private static byte[] WithExifOrientation(byte[] jpeg, ushort orientation)
    {
        byte[] tiff = [(byte)'M', (byte)'M', 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, (byte)(orientation >> 8), (byte)orientation, 0, 0, 0, 0, 0, 0];
        var length = 2 + 6 + tiff.Length;
        byte[] app1 = [0xFF, 0xE1, (byte)(length >> 8), (byte)length, .. "Exif\0\0"u8.ToArray(), .. tiff];
        return [.. jpeg[..2], .. app1, .. jpeg[2..]];
    }
}

/// <summary>One app for the class, in a storage account of its own, with the test templates' resources registered and stored.</summary>
public sealed class RenderApp : IAsyncLifetime
{
    public FunctionsAppFactory App { get; private set; } = null!;

    public HttpClient Operator { get; private set; } = null!;

    public string Work { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var storage = await AzuriteFixture.NewAccountAsync();
        Work = Directory.CreateTempSubdirectory("render-e2e-").FullName;
        App = new FunctionsAppFactory(storage.ConnectionString, new Dictionary<string, string?>
        {
            ["Pipeline:RetryBaseDelaySeconds"] = "0.2",
            ["Pipeline:ProgressIntervalSeconds"] = "0.1",
            ["Media:WorkDirectory"] = Path.Combine(Work, "media-work"),
            ["Rendering:ShortSide"] = "360",
            ["Templates:RefreshSeconds"] = "1",
        });
        Operator = App.CreateClient().AsOperator();
        await TemplateTestData.RegisterAssetsAsync(Operator);

        // The sticker and the music the test template names, made here, registered by their real hashes and stored.
        var sticker = Path.Combine(Work, "sticker.png");
        await TestClips.RunFfmpegAsync(["-y", "-f", "lavfi", "-i", "color=c=white:s=120x48", "-frames:v", "1", sticker]);
        var music = Path.Combine(Work, "music.m4a");
        await TestClips.RunFfmpegAsync(["-y", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", "3", "-c:a", "aac", music]);
        await StoreAssetAsync(TemplateTestData.StickerImage, sticker, "image");
        await StoreAssetAsync(TemplateTestData.Music, music, "music");
        var other = Path.Combine(Work, "other.m4a");
        await TestClips.RunFfmpegAsync(["-y", "-f", "lavfi", "-i", "sine=frequency=880:sample_rate=48000", "-t", "3", "-c:a", "aac", other]);
        OtherMusicId = await StoreAssetAsync("https://cdn.example.com/music/other.m4a", other, "music");
    }

    /// <summary>Music of the library that no template names (an 880 Hz tone; the templates' is 440 Hz).</summary>
    public string OtherMusicId { get; private set; } = null!;

    /// <summary>Publishes the test template (three photos, dissolves, the sticker, music) as <paramref name="id"/>, edited by
    /// <paramref name="edit"/>; <paramref name="extraUrls"/> are registered (not stored) so it publishes.</summary>
    public async Task<string> PublishAsync(string id, Func<string, string>? edit = null, params string[] extraUrls)
    {
        foreach (var url in extraUrls)
        {
            (await Operator.PutAsJsonAsync("/api/operator/template-assets", new { assets = new[] { new { url, sha256 = TemplateTestData.Hash(url), length = 100, kind = url.EndsWith(".png", StringComparison.Ordinal) ? "image" : "shader" } } }))
                .EnsureSuccessStatusCode();
        }

        await TemplateTestData.PutAndPublishAsync(Operator, id, (edit ?? (j => j))(TemplateTestData.Template(id)));
        return id;
    }

    public async Task<string> PhotoAsync((byte R, byte G, byte B) colour, string size)
    {
        var path = Path.Combine(Work, $"photo-{colour.R:x2}{colour.G:x2}{colour.B:x2}-{size}.jpg");
        if (!File.Exists(path))
        {
            await TestClips.RunFfmpegAsync(["-y", "-f", "lavfi", "-i", $"color=c=0x{colour.R:x2}{colour.G:x2}{colour.B:x2}:s={size}", "-frames:v", "1", "-q:v", "2", path]);
        }

        return path;
    }

    /// <summary>The top rendition's playlist and segments copied to a local folder; the path of its playlist.</summary>
    public async Task<string> DownloadTopRenditionAsync(string videoId)
    {
        var blobs = App.Services.GetRequiredService<IBlobStore>();
        var master = HlsPlaylists.ParseMaster((await blobs.ReadTextAsync(MediaLayout.Container, MediaLayout.MasterPlaylist(videoId), default))!);
        var uri = master.OrderByDescending(v => long.Parse(v.Attributes["BANDWIDTH"], System.Globalization.CultureInfo.InvariantCulture)).First().Uri;
        var folder = Directory.CreateDirectory(Path.Combine(Work, "top-" + videoId)).FullName;
        var prefix = $"{videoId}/hls/{uri[..(uri.LastIndexOf('/') + 1)]}";
        var playlist = Path.Combine(folder, "index.m3u8");
        var text = (await blobs.ReadTextAsync(MediaLayout.Container, $"{videoId}/hls/{uri}", default))!;
        await File.WriteAllTextAsync(playlist, text);
        foreach (var segment in HlsPlaylists.ParseMedia(text).Segments)
        {
            await blobs.DownloadToFileAsync(MediaLayout.Container, prefix + segment.Uri, Path.Combine(folder, segment.Uri), default);
        }

        return playlist;
    }

    private async Task<string> StoreAssetAsync(string url, string path, string kind)
    {
        var bytes = await File.ReadAllBytesAsync(path);
        var sha = Convert.ToHexStringLower(SHA256.HashData(bytes));
        (await Operator.PutAsJsonAsync("/api/operator/template-assets", new { assets = new[] { new { url, sha256 = sha, length = bytes.Length, kind } } })).EnsureSuccessStatusCode();
        using var content = new ByteArrayContent(bytes);
        var stored = await Operator.PutAsync($"/api/operator/template-assets/{sha}", content);
        Assert.True(stored.StatusCode == HttpStatusCode.NoContent, await stored.Content.ReadAsStringAsync());
        using var wrong = new ByteArrayContent([1, 2, 3]);
        Assert.Equal(HttpStatusCode.BadRequest, (await Operator.PutAsync($"/api/operator/template-assets/{sha}", wrong)).StatusCode);
        return sha;
    }

    public async Task DisposeAsync()
    {
        Operator.Dispose();
        await App.DisposeAsync();
        Directory.Delete(Work, recursive: true);
    }
}
