using System.Buffers.Text;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Serverless.IntegrationTests.Infrastructure;
using Serverless.Videos;

namespace Serverless.IntegrationTests.Playback;

/// <summary>Signed playback on the real app (Kestrel) and Azurite, played by ffmpeg; every refusal shown on both.</summary>
public sealed class PlaybackTests(PlaybackFixture fixture) : IClassFixture<PlaybackFixture>
{
    private const string PlaylistType = "application/vnd.apple.mpegurl";

    private readonly HttpClient _http = new() { BaseAddress = fixture.BaseAddress };

    [Fact]
    public async Task Playback_ReadyVideo_FfmpegDecodesEveryRenditionToTheEnd()
    {
        var videoId = await fixture.SeedAsync();

        var grant = await GrantAsync(videoId);

        Assert.Equal(fixture.BaseAddress.Authority, grant.Url.Authority);
        Assert.StartsWith($"/api/play/{videoId}/master.m3u8?token=", grant.Url.PathAndQuery, StringComparison.Ordinal);
        Assert.InRange(grant.ExpiresAt, DateTimeOffset.UtcNow.AddMinutes(9), DateTimeOffset.UtcNow.AddMinutes(11));
        var streams = await Ffmpeg.CountFramesAsync(grant.Url.AbsoluteUri);
        var local = await Ffmpeg.CountFramesAsync(Path.Combine(fixture.HlsFolder, "master.m3u8"));

        Assert.Equal([160, 320], streams.Where(s => s.Type == "video").Select(s => s.Width).Order());
        Assert.All(streams.Where(s => s.Type == "video"), s => Assert.Equal(30, s.Frames)); // 2 s at 15 fps
        Assert.Equal(2, streams.Count(s => s.Type == "audio"));
        Assert.Equal(local.Order(), streams.Order()); // every frame of every rendition, as read from disk
        var (code, _, stderr) = await Ffmpeg.ExecAsync("ffmpeg", null, ["-v", "error", "-xerror", "-i", grant.Url.AbsoluteUri, "-map", "0", "-f", "null", "-"]);
        Assert.True(code == 0 && stderr.Length == 0, stderr);

        using var poster = await _http.GetAsync(grant.PosterUrl);
        Assert.Equal(HttpStatusCode.OK, poster.StatusCode);
        Assert.Equal("image/jpeg", poster.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Playlists_ValidToken_SignedPrivateAndTyped()
    {
        var videoId = await fixture.SeedAsync();
        var grant = await GrantAsync(videoId);
        var token = Token(grant.Url);

        using var master = await _http.GetAsync(grant.Url);
        var masterText = await master.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, master.StatusCode);
        Assert.Equal(PlaylistType, master.Content.Headers.ContentType?.MediaType);
        Assert.True(master.Headers.CacheControl?.Private);
        Assert.Equal(TimeSpan.FromSeconds(300), master.Headers.CacheControl?.MaxAge);
        Assert.Equal([$"180p/index.m3u8?token={token}", $"90p/index.m3u8?token={token}"], UriLines(masterText));

        var child = new Uri(grant.Url, UriLines(masterText)[0]);
        Assert.Equal($"/api/play/{videoId}/180p/index.m3u8", child.AbsolutePath);
        using var media = await _http.GetAsync(child);
        var mediaText = await media.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, media.StatusCode);
        Assert.Equal(PlaylistType, media.Content.Headers.ContentType?.MediaType);
        Assert.True(media.Headers.CacheControl?.Private);
        Assert.InRange(media.Headers.CacheControl!.MaxAge!.Value.TotalSeconds, 1, 300);
        var segments = UriLines(mediaText).Append(MapUri(mediaText)).Select(u => new Uri(u)).ToList();
        Assert.Equal(3, segments.Count);
        var blobBase = $"/{fixture.AccountName}/{MediaLayout.Container}/{videoId}/hls/180p/";
        Assert.All(segments, s => Assert.StartsWith(blobBase, s.AbsolutePath, StringComparison.Ordinal));
        foreach (var segment in segments)
        {
            var sas = Query(segment);
            Assert.Equal("r", sas["sp"]);
            Assert.Equal("b", sas["sr"]);
            var expiry = DateTimeOffset.Parse(sas["se"], System.Globalization.CultureInfo.InvariantCulture);
            Assert.InRange(expiry - grant.ExpiresAt, TimeSpan.FromSeconds(2 + 60), TimeSpan.FromSeconds(2 + 60 + 30));
            using var bytes = await _http.GetAsync(segment);
            Assert.Equal(HttpStatusCode.OK, bytes.StatusCode);
        }
    }

    [Fact]
    public async Task MediaHost_Configured_SegmentsAndPosterNameIt_WithTheStoragePathAndSas()
    {
        // A mini-program's <video> loads from the operator's ICP-filed media domain (a CDN whose origin is the blob
        // endpoint), never from the storage account's own host.
        await using var app = new FunctionsAppFactory(fixture.ConnectionString, new Dictionary<string, string?>
        {
            ["LocalRuntime:Enabled"] = "false",
            ["Playback:MediaBaseUrl"] = "https://media.example.cn/",
        });
        var videoId = await fixture.SeedAsync(app.Services);
        using var client = app.CreateClient().As("alice");
        var grant = (await client.GetFromJsonAsync<PlaybackGrant>($"/api/videos/{videoId}/playback"))!;

        var master = await client.GetStringAsync(grant.Url.PathAndQuery);
        var media = await client.GetStringAsync(new Uri(grant.Url, UriLines(master)[0]).PathAndQuery);
        var segments = UriLines(media).Append(MapUri(media)).Select(u => new Uri(u)).Append(grant.PosterUrl).ToList();

        var storagePath = $"/{fixture.AccountName}/{MediaLayout.Container}/{videoId}/";
        Assert.All(segments, s =>
        {
            Assert.Equal(("https", "media.example.cn"), (s.Scheme, s.Host));
            Assert.StartsWith(storagePath, s.AbsolutePath, StringComparison.Ordinal);
            Assert.Equal("r", Query(s)["sp"]);
        });
    }

    [Fact]
    public async Task Grant_AfterTheOwnerDeletes_IsRefusedAtOnce()
    {
        // Grants of a Ready video are served from a short-lived cache of its row; a delete on this instance drops it.
        var videoId = await fixture.SeedAsync();
        await GrantAsync(videoId);
        await GrantAsync(videoId);
        var client = fixture.App.CreateClient().As("alice");

        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"/api/videos/{videoId}")).StatusCode);

        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/api/videos/{videoId}/playback")).StatusCode);
    }

    [Fact]
    public async Task PlaybackApi_UnknownNotReadyFailedOthersMalformedOrAnonymous_Refused()
    {
        var client = fixture.App.CreateClient().As("alice");
        var processing = await fixture.SeedAsync(VideoStatus.Processing);
        var failed = await fixture.SeedAsync(VideoStatus.Failed);

        var unknown = await client.GetAsync($"/api/videos/{VideoIds.New()}/playback");
        var notReady = await client.GetAsync($"/api/videos/{processing}/playback");
        var failedAnswer = await client.GetAsync($"/api/videos/{failed}/playback");

        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("application/problem+json", unknown.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.Conflict, notReady.StatusCode);
        Assert.Equal("Processing", (await notReady.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.Conflict, failedAnswer.StatusCode);
        Assert.Equal("Failed", (await failedAnswer.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString());
        var bob = fixture.App.CreateClient().As("bob");
        Assert.Equal(HttpStatusCode.NotFound, (await bob.GetAsync($"/api/videos/{processing}/playback")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await bob.GetAsync($"/api/videos/{failed}/playback")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await bob.GetAsync($"/api/videos/{await fixture.SeedAsync()}/playback")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await client.GetAsync("/api/videos/ABCDEF0123456789ABCDEF0123456789/playback")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await fixture.App.CreateClient().GetAsync($"/api/videos/{processing}/playback")).StatusCode);
    }

    [Fact]
    public async Task Playlists_TokenOfVideoAOnVideoB_Forbidden()
    {
        var a = await fixture.SeedAsync();
        var b = await fixture.SeedAsync();
        var tokenA = Token((await GrantAsync(a)).Url);

        var master = await _http.GetAsync($"/api/play/{b}/master.m3u8?token={tokenA}");
        var media = await _http.GetAsync($"/api/play/{b}/180p/index.m3u8?token={tokenA}");

        Assert.Equal(HttpStatusCode.Forbidden, master.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, media.StatusCode);
        Assert.EndsWith("/playback-token-invalid", (await master.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("type").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await _http.GetAsync($"/api/play/{a}/180p/index.m3u8?token={tokenA}")).StatusCode);
    }

    [Fact]
    public async Task Playlists_TamperedTruncatedOrReExpiredToken_Forbidden()
    {
        var videoId = await fixture.SeedAsync();
        var token = Token((await GrantAsync(videoId)).Url);
        var bytes = Base64Url.DecodeFromChars(token);
        var later = (byte[])bytes.Clone();
        later[24] ^= 0x01; // expiry + 2^24 s, not re-signed
        var flippedSignature = (byte[])bytes.Clone();
        flippedSignature[^1] ^= 0x01;
        var otherVideo = (byte[])bytes.Clone();
        otherVideo[4] ^= 0x01;

        foreach (var bad in new[]
        {
            Base64Url.EncodeToString(later),
            Base64Url.EncodeToString(flippedSignature),
            Base64Url.EncodeToString(otherVideo),
            token[..^1],
            token[..40],
            token + "A",
            string.Empty,
        })
        {
            Assert.Equal(HttpStatusCode.Forbidden, (await _http.GetAsync($"/api/play/{videoId}/master.m3u8?token={bad}")).StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await _http.GetAsync($"/api/play/{videoId}/90p/index.m3u8?token={bad}")).StatusCode);
        }

        Assert.Equal(HttpStatusCode.Forbidden, (await _http.GetAsync($"/api/play/{videoId}/master.m3u8")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _http.GetAsync($"/api/play/{videoId}/master.m3u8?token={token}")).StatusCode);
    }

    [Fact]
    public async Task Playlists_UnknownRenditionOrMalformedId_NotFound()
    {
        var videoId = await fixture.SeedAsync();
        var token = Token((await GrantAsync(videoId)).Url);

        Assert.Equal(HttpStatusCode.NotFound, (await _http.GetAsync($"/api/play/{videoId}/720p/index.m3u8?token={token}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _http.GetAsync($"/api/play/{videoId}/a.b/index.m3u8?token={token}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _http.GetAsync($"/api/play/{videoId.ToUpperInvariant()}/master.m3u8?token={token}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _http.GetAsync($"/api/play/not-a-video/master.m3u8?token={token}")).StatusCode);
    }

    [Fact]
    public async Task SegmentSas_WidenedOrMoved_RefusedByStorage()
    {
        var a = await fixture.SeedAsync();
        var b = await fixture.SeedAsync();
        var grant = await GrantAsync(a);
        var media = await _http.GetStringAsync(new Uri(grant.Url, $"180p/index.m3u8?token={Token(grant.Url)}"));
        var segment = UriLines(media)[0];
        Assert.Equal(HttpStatusCode.OK, (await _http.GetAsync(segment)).StatusCode);

        string[] widened =
        [
            segment.Replace("sp=r", "sp=rw", StringComparison.Ordinal),
            segment.Replace("sp=r", "sp=rl", StringComparison.Ordinal),
            segment.Replace("sr=b", "sr=c", StringComparison.Ordinal),
            segment.Replace("seg_00000.m4s", "seg_00001.m4s", StringComparison.Ordinal),
            segment.Replace("/180p/", "/90p/", StringComparison.Ordinal),
            segment.Replace(a, b, StringComparison.Ordinal),
            segment.Replace($"{a}/hls/180p/seg_00000.m4s", $"{a}/poster.jpg", StringComparison.Ordinal),
        ];
        foreach (var url in widened)
        {
            Assert.NotEqual(segment, url);
            Assert.Equal(HttpStatusCode.Forbidden, (await _http.GetAsync(url)).StatusCode);
        }

        var query = new Uri(segment).Query;
        var containerList = $"{fixture.BaseBlobUri()}/{MediaLayout.Container}{query}&restype=container&comp=list";
        Assert.Equal(HttpStatusCode.Forbidden, (await _http.GetAsync(containerList)).StatusCode);

        using var put = new HttpRequestMessage(HttpMethod.Put, segment) { Content = new ByteArrayContent([1, 2, 3]) };
        put.Headers.Add("x-ms-blob-type", "BlockBlob");
        Assert.Equal(HttpStatusCode.Forbidden, (await _http.SendAsync(put)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await _http.DeleteAsync(segment)).StatusCode);
    }

    [Fact]
    public async Task MediaContainer_UnsignedUrls_Refused()
    {
        var videoId = await fixture.SeedAsync();
        var grant = await GrantAsync(videoId);
        var poster = grant.PosterUrl.GetLeftPart(UriPartial.Path);
        var media = await _http.GetStringAsync(new Uri(grant.Url, $"90p/index.m3u8?token={Token(grant.Url)}"));
        var segment = new Uri(UriLines(media)[0]).GetLeftPart(UriPartial.Path);
        var master = $"{fixture.BaseBlobUri()}/{MediaLayout.Container}/{MediaLayout.MasterPlaylist(videoId)}";

        foreach (var url in new[] { poster, segment, master, $"{fixture.BaseBlobUri()}/{MediaLayout.Container}?restype=container&comp=list" })
        {
            var status = (await _http.GetAsync(url)).StatusCode;
            Assert.True(status is HttpStatusCode.Forbidden or HttpStatusCode.NotFound, $"{url} answered {status}");
        }
    }

    [Fact]
    public async Task Expiry_PastTokenAndSegmentExpiry_RefusedByAppAndStorage()
    {
        // The app's clock runs an hour behind, so segment signatures (token expiry + 2 s + margin) are already past in
        // Azurite's real time while the token is still valid in the app's; then the app's clock passes the token expiry.
        var clock = new ManualClock(DateTimeOffset.UtcNow.AddHours(-1));
        await using var app = ((WebApplicationFactory<Program>)new FunctionsAppFactory(fixture.ConnectionString, new Dictionary<string, string?> { ["LocalRuntime:Enabled"] = "false" }))
            .WithWebHostBuilder(b => b.ConfigureTestServices(s => s.AddSingleton<TimeProvider>(clock)));
        var client = app.CreateClient().As("alice");
        var videoId = await fixture.SeedAsync(app.Services);
        var grant = (await client.GetFromJsonAsync<PlaybackGrant>($"/api/videos/{videoId}/playback"))!;
        var master = new Uri(grant.Url.PathAndQuery, UriKind.Relative);
        var child = new Uri($"/api/play/{videoId}/180p/index.m3u8?token={Token(grant.Url)}", UriKind.Relative);

        var mediaText = await client.GetStringAsync(child);
        var segment = UriLines(mediaText)[0];
        Assert.Equal(HttpStatusCode.Forbidden, (await _http.GetAsync(segment)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await _http.GetAsync(grant.PosterUrl)).StatusCode);

        clock.Advance(TimeSpan.FromMinutes(9.5));
        var nearlyExpired = await client.GetAsync(master);
        Assert.Equal(HttpStatusCode.OK, nearlyExpired.StatusCode);
        Assert.InRange(nearlyExpired.Headers.CacheControl!.MaxAge!.Value.TotalSeconds, 29, 30); // whole seconds left, never past expiry

        clock.Advance(TimeSpan.FromSeconds(30));
        var expiredMaster = await client.GetAsync(master);
        var expiredMedia = await client.GetAsync(child);
        Assert.Equal(HttpStatusCode.Forbidden, expiredMaster.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, expiredMedia.StatusCode);
        Assert.EndsWith("/playback-token-expired", (await expiredMaster.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("type").GetString(), StringComparison.Ordinal);
        Assert.True(expiredMaster.Headers.CacheControl?.NoStore);
    }

    [Fact]
    public async Task KeyRotation_TokenOfPreviousKey_StillPlaysAfterRotation()
    {
        var videoId = await fixture.SeedAsync();
        var before = await GrantAsync(videoId);
        const string NewKey = "Z+9ZG4FzGHhqT/mZWiOMjFIdxJmTtQlwvdYv/FaUxm8=";
        await using var rotated = new FunctionsAppFactory(fixture.ConnectionString, new Dictionary<string, string?>
        {
            ["LocalRuntime:Enabled"] = "false",
            ["Playback:SigningKey"] = NewKey,
            ["Playback:PreviousSigningKey"] = FunctionsAppFactory.PlaybackSigningKey,
        });
        await using var retired = new FunctionsAppFactory(fixture.ConnectionString, new Dictionary<string, string?>
        {
            ["LocalRuntime:Enabled"] = "false",
            ["Playback:SigningKey"] = NewKey,
        });

        Assert.Equal(HttpStatusCode.OK, (await rotated.CreateClient().GetAsync(before.Url.PathAndQuery)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await retired.CreateClient().GetAsync(before.Url.PathAndQuery)).StatusCode);
    }

    [Theory]
    [InlineData("c2hvcnQ=", "Playback__SigningKey")]
    [InlineData("", "Playback__SigningKey")]
    public async Task Startup_WeakOrMissingSigningKey_RefusesToStart(string key, string named)
    {
        // A process of its own, as the other refusals are tested: in-process, WebApplicationFactory can lose the startup's
        // exception to an ObjectDisposedException when the app's host is disposed before the factory looks at it.
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => AppProcess.StartAsync(fixture.ConnectionString, new Dictionary<string, string>
        {
            ["LocalRuntime:Enabled"] = "false",
            ["Playback:SigningKey"] = key,
        }));

        Assert.Contains(nameof(OptionsValidationException), error.Message, StringComparison.Ordinal);
        Assert.Contains(named, error.Message, StringComparison.Ordinal);
    }

    private async Task<PlaybackGrant> GrantAsync(string videoId)
    {
        using var client = new HttpClient { BaseAddress = fixture.BaseAddress }.As("alice");
        using var response = await client.GetAsync($"/api/videos/{videoId}/playback");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(response.Headers.CacheControl?.NoStore);
        return (await response.Content.ReadFromJsonAsync<PlaybackGrant>())!;
    }

    private static string Token(Uri url) => Query(url)["token"];

    private static Dictionary<string, string> Query(Uri url) =>
        url.Query.TrimStart('?').Split('&').Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => Uri.UnescapeDataString(p[1]));

    private static List<string> UriLines(string playlist) =>
        playlist.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')).ToList();

    private static string MapUri(string playlist)
    {
        var map = playlist.Split('\n').Single(l => l.StartsWith("#EXT-X-MAP:", StringComparison.Ordinal));
        var start = map.IndexOf("URI=\"", StringComparison.Ordinal) + 5;
        return map[start..map.IndexOf('"', start)];
    }

    private sealed record PlaybackGrant(Uri Url, DateTimeOffset ExpiresAt, Uri PosterUrl);
}

/// <summary>A clock the test moves by hand.</summary>
internal sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}
