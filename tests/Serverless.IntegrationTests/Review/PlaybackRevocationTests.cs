using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Serverless.IntegrationTests.Identity;
using Serverless.IntegrationTests.Infrastructure;
using Serverless.Review;
using Serverless.Storage;
using Serverless.Videos;
using Serverless.WeChat.Push;

namespace Serverless.IntegrationTests.Review;

/// <summary>
/// Playback URLs are bearer links, so taking a video away must not wait for them to expire: once a video is rejected (by an
/// operator or WeChat) or deleted, the master playlist, the media playlists and the segments of URLs already handed out are
/// all refused within seconds. Until a video is published, only its owner gets playback URLs, bound to them and short-lived.
/// </summary>
public sealed class PlaybackRevocationTests(FakeWeChat wechat) : IClassFixture<FakeWeChat>, IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);
    /// <summary>
    /// A rejection reaches the video through its orchestration (a Durable event, then the activity that takes the media
    /// away): a second or two here, more when the machine is loaded. The bound is what a busy 2-core CI machine needs;
    /// before the fix, the URLs were served until they expired.
    /// </summary>
    private static readonly TimeSpan Revocation = TimeSpan.FromSeconds(15);
    private ReviewApp _review = null!;

    private FunctionsAppFactory App => _review.App;

    public async Task InitializeAsync() => _review = await ReviewApp.StartAsync(wechat, deadlineMinutes: 10);

    public async Task DisposeAsync() => await _review.DisposeAsync();

    [Fact]
    public async Task InReview_OwnerGrantedThenOperatorRejects_MasterMediaPlaylistAndSegmentRefusedWithinSeconds()
    {
        wechat.Verdict = c => c.OpenId == "orevoked" && c.MediaType == 2 ? (MediaCheckSuggest.Review, 21000) : (MediaCheckSuggest.Pass, 100);
        var owner = await ReviewTestKit.SignInWithWeChatAsync(App.CreateClient(), "revoked");
        var videoId = await ReviewTestKit.UploadAsync(owner, ReviewTestKit.Clip());
        await ReviewTestKit.WaitForStatusAsync(owner, videoId, Timeout, "InReview");

        var grant = await GrantAsync(owner, videoId);
        var urls = await PlayAsync(grant.Url);

        // Not published: the owner's URL is short-lived (bound to them: nobody else is granted one).
        Assert.InRange(grant.ExpiresAt - DateTimeOffset.UtcNow, TimeSpan.FromMinutes(3), TimeSpan.FromMinutes(5.1));
        Assert.Equal(HttpStatusCode.NotFound, (await App.CreateClient().As("someoneelse").GetAsync($"/api/videos/{videoId}/playback")).StatusCode);

        using var reject = await App.CreateClient().AsOperator().PostAsJsonAsync($"/api/operator/videos/{videoId}/review", new { decision = "reject", reason = "violence" });
        Assert.Equal(HttpStatusCode.Accepted, reject.StatusCode);
        var refused = await RefusedWithinAsync(urls);

        Assert.True(refused.Master is HttpStatusCode.Gone or HttpStatusCode.NotFound, $"master {refused.Master}");
        Assert.True(refused.Media is HttpStatusCode.Gone or HttpStatusCode.NotFound, $"media playlist {refused.Media}");
        Assert.True(refused.Segment is HttpStatusCode.NotFound or HttpStatusCode.Forbidden, $"segment {refused.Segment}");
        Assert.Equal("Rejected", (await ReviewTestKit.WaitForStatusAsync(owner, videoId, Timeout, "Rejected")).GetProperty("status").GetString());

        // What an appeal needs is kept: the upload and what the check judged.
        var blobs = App.Services.GetRequiredService<IBlobStore>();
        Assert.NotNull(await blobs.GetInfoAsync(MediaLayout.UploadsContainer, MediaLayout.Source(videoId), default));
        Assert.NotNull(await blobs.GetInfoAsync(MediaLayout.ReviewContainer, MediaLayout.ReviewSample(videoId, "poster.jpg"), default));
        Assert.Empty(await blobs.ListAsync(MediaLayout.Container, MediaLayout.Prefix(videoId), default).ToListAsync());
    }

    [Fact]
    public async Task Ready_ViewerGrantedThenOwnerDeletes_MasterMediaPlaylistAndSegmentRefusedWithinSeconds()
    {
        wechat.Verdict = _ => (MediaCheckSuggest.Pass, 100);
        var owner = await ReviewTestKit.SignInWithWeChatAsync(App.CreateClient(), "deleter");
        var videoId = await ReviewTestKit.UploadAsync(owner, ReviewTestKit.Clip());
        await ReviewTestKit.WaitForStatusAsync(owner, videoId, Timeout, "Ready");
        var grant = await GrantAsync(App.CreateClient().As("viewer"), videoId);
        var urls = await PlayAsync(grant.Url);

        Assert.Equal(HttpStatusCode.NoContent, (await owner.DeleteAsync($"/api/videos/{videoId}")).StatusCode);
        var refused = await RefusedWithinAsync(urls);

        Assert.Equal((HttpStatusCode.Gone, HttpStatusCode.Gone), (refused.Master, refused.Media));
        Assert.Equal(HttpStatusCode.NotFound, refused.Segment);
    }

    private static async Task<(Uri Url, DateTimeOffset ExpiresAt)> GrantAsync(HttpClient client, string videoId)
    {
        using var response = await client.GetAsync($"/api/videos/{videoId}/playback");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        return (new Uri(body.GetProperty("url").GetString()!), body.GetProperty("expiresAt").GetDateTimeOffset());
    }

    /// <summary>Fetches the master, its first media playlist and that playlist's first segment, as a player would: all play.</summary>
    private async Task<PlaybackUrls> PlayAsync(Uri master)
    {
        var client = App.CreateClient();
        var masterText = await client.GetStringAsync(master.PathAndQuery);
        var media = new Uri(master, masterText.Split('\n').Select(l => l.Trim()).First(l => l.Length > 0 && !l.StartsWith('#')));
        var mediaText = await client.GetStringAsync(media.PathAndQuery);
        var segment = new Uri(mediaText.Split('\n').Select(l => l.Trim()).First(l => l.Length > 0 && !l.StartsWith('#')));
        using var storage = new HttpClient();
        Assert.Equal(HttpStatusCode.OK, (await storage.GetAsync(segment)).StatusCode);
        return new PlaybackUrls(master, media, segment);
    }

    /// <summary>Polls the three URLs until each is refused; fails when that takes longer than <see cref="Revocation"/>.</summary>
    private async Task<(HttpStatusCode Master, HttpStatusCode Media, HttpStatusCode Segment)> RefusedWithinAsync(PlaybackUrls urls)
    {
        var client = App.CreateClient();
        using var storage = new HttpClient();
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var master = (await client.GetAsync(urls.Master.PathAndQuery)).StatusCode;
            var media = (await client.GetAsync(urls.Media.PathAndQuery)).StatusCode;
            var segment = (await storage.GetAsync(urls.Segment)).StatusCode;
            if (master != HttpStatusCode.OK && media != HttpStatusCode.OK && segment != HttpStatusCode.OK)
            {
                return (master, media, segment);
            }

            Assert.True(clock.Elapsed < Revocation, $"still served {clock.Elapsed.TotalSeconds:0.0} s later: master {master}, media playlist {media}, segment {segment}");
            await Task.Delay(200);
        }
    }

    private sealed record PlaybackUrls(Uri Master, Uri Media, Uri Segment);
}
