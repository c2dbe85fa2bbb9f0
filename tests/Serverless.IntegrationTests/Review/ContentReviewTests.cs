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
/// WeChat's content check in the pipeline, end to end through the HTTP API against a fake WeChat on loopback that fetches
/// every sample through its signed URL and pushes signed verdicts to the app. The app has an Azurite of its own: on the
/// run's shared one, another class's app (review off) could take an upload event and publish the video unchecked.
/// </summary>
public sealed class ContentReviewTests(FakeWeChat wechat) : IClassFixture<FakeWeChat>, IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);
    private ReviewApp _review = null!;

    private FunctionsAppFactory App => _review.App;

    public async Task InitializeAsync() => _review = await ReviewApp.StartAsync(wechat, deadlineMinutes: 10, safeMode: false);

    public async Task DisposeAsync() => await _review.DisposeAsync();

    [Fact]
    public async Task AllSamplesPass_PublishedAndPlayableToOthers_EachSampleFetchedByWeChatUnderTheUploadersOpenId()
    {
        wechat.Verdict = _ => (MediaCheckSuggest.Pass, 100);
        var owner = await ReviewTestKit.SignInWithWeChatAsync(App.CreateClient(), "passuser");
        var videoId = await ReviewTestKit.UploadAsync(owner, ReviewTestKit.Clip());

        var ready = await ReviewTestKit.WaitForStatusAsync(owner, videoId, Timeout, "Ready");

        var checks = wechat.Checks.Where(c => c.OpenId == "opassuser").ToList();
        Assert.Contains(checks, c => c.MediaType == 2);
        Assert.Contains(checks, c => c.MediaType == 1);
        Assert.All(checks, c => Assert.True(c.Bytes > 0 && c.Scene == 4 && c.Version == 2, $"{c}"));
        Assert.Equal(HttpStatusCode.OK, (await App.CreateClient().As("viewer").GetAsync($"/api/videos/{videoId}/playback")).StatusCode);
        Assert.Equal("Ready", ready.GetProperty("stage").GetString());
        var state = (await App.Services.GetRequiredService<VideoRepository>().GetEntryAsync(videoId, default))!.State!;
        Assert.Equal((StepStatus.Succeeded, 1), (state[PipelineStep.ReviewContent].Status, state[PipelineStep.ReviewContent].Attempts));

        // The same push again, and a contrary one for the same trace: acknowledged, and nothing changes.
        await wechat.WaitForPushesAsync();
        var trace = checks[0].TraceId;
        foreach (var suggest in new[] { MediaCheckSuggest.Pass, MediaCheckSuggest.Risky })
        {
            var (path, body) = wechat.SignedPush(trace, suggest, suggest == MediaCheckSuggest.Pass ? 100 : 20002, safeMode: false);
            using var replay = await App.CreateClient().PostAsync(path, new StringContent(body));
            Assert.Equal((HttpStatusCode.OK, "success"), (replay.StatusCode, await replay.Content.ReadAsStringAsync()));
        }

        Assert.Equal("Ready", (await owner.GetFromJsonAsync<JsonElement>($"/api/videos/{videoId}")).GetProperty("status").GetString());
        var stored = await App.Services.GetRequiredService<ReviewTraces>().GetAsync(trace, default);
        Assert.Equal((videoId, MediaCheckSuggest.Pass), (stored!.VideoId, stored.Verdict!.Suggestion));
    }

    [Fact]
    public async Task Version1Pushes_TheirVerdictsTaken_ARiskyOneRejects()
    {
        // WeChat still sends the older push (isrisky, status_code) to some apps; it was refused with 400 and the verdict lost.
        wechat.PushVersion = c => c.OpenId == "ov1user" ? 1 : 2;
        wechat.Verdict = c => c.OpenId == "ov1user" && c.MediaType == 2 ? (MediaCheckSuggest.Risky, 20002) : (MediaCheckSuggest.Pass, 100);
        var owner = await ReviewTestKit.SignInWithWeChatAsync(App.CreateClient(), "v1user");
        var videoId = await ReviewTestKit.UploadAsync(owner, ReviewTestKit.Clip());

        var rejected = await ReviewTestKit.WaitForStatusAsync(owner, videoId, Timeout, "Rejected");

        Assert.Contains("flagged by WeChat's content check", rejected.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AuthenticPushMissingWhatAVerdictNeeds_AnsweredSuccess_SoWeChatStopsRetrying()
    {
        var message = $$$"""{"MsgType":"event","Event":"wxa_media_check","appid":"{{{FakeWeChat.AppId}}}","trace_id":"aaaa-1111","version":2,"result":{"suggest":"unheard-of","label":100}}""";
        var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
        var path = $"/api/wechat/push?signature={FakeWeChat.Signature(FakeWeChat.PushToken, timestamp, "12345")}&timestamp={timestamp}&nonce=12345";

        using var answer = await App.CreateClient().PostAsync(path, new StringContent(message));

        Assert.Equal((HttpStatusCode.OK, "success"), (answer.StatusCode, await answer.Content.ReadAsStringAsync()));
        Assert.Null(await App.Services.GetRequiredService<ReviewTraces>().GetAsync("aaaa-1111", default));
    }

    [Fact]
    public async Task OneFrameRisky_RejectedWithTheLabel_PlayableToNobody_WhatTheCheckJudgedKeptForAnAppeal()
    {
        wechat.Verdict = c => c.OpenId == "oriskyuser" && c.MediaType == 2 ? (MediaCheckSuggest.Risky, 20002) : (MediaCheckSuggest.Pass, 100);
        var owner = await ReviewTestKit.SignInWithWeChatAsync(App.CreateClient(), "riskyuser");
        var videoId = await ReviewTestKit.UploadAsync(owner, ReviewTestKit.Clip());

        var rejected = await ReviewTestKit.WaitForStatusAsync(owner, videoId, Timeout, "Rejected");

        Assert.Contains("pornography", rejected.GetProperty("error").GetString(), StringComparison.Ordinal);
        using var ownerPlayback = await owner.GetAsync($"/api/videos/{videoId}/playback");
        Assert.Equal(HttpStatusCode.Conflict, ownerPlayback.StatusCode);
        var problem = await ownerPlayback.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("Rejected", problem.GetProperty("status").GetString());
        var other = App.CreateClient().As("viewer2");
        Assert.Equal(HttpStatusCode.NotFound, (await other.GetAsync($"/api/videos/{videoId}/playback")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await other.GetAsync($"/api/videos/{videoId}")).StatusCode);
        var blobs = App.Services.GetRequiredService<IBlobStore>();
        Assert.NotNull(await blobs.GetInfoAsync(MediaLayout.UploadsContainer, MediaLayout.Source(videoId), default));
        Assert.NotEmpty(await blobs.ListAsync(MediaLayout.ReviewContainer, MediaLayout.Prefix(videoId), default).ToListAsync());

        // Out of the playable path: no segment URL handed out while it was produced plays any more.
        Assert.Null(await blobs.GetInfoAsync(MediaLayout.Container, MediaLayout.MasterPlaylist(videoId), default));
        Assert.Empty(await blobs.ListAsync(MediaLayout.Container, MediaLayout.Prefix(videoId), default).ToListAsync());
    }

    [Fact]
    public async Task WeChatAsksForAPerson_InReview_OwnerWatches_OperatorApproves_ThenReady()
    {
        wechat.Verdict = c => c.OpenId == "odoubtuser" && c.MediaType == 2 ? (MediaCheckSuggest.Review, 21000) : (MediaCheckSuggest.Pass, 100);
        var owner = await ReviewTestKit.SignInWithWeChatAsync(App.CreateClient(), "doubtuser");
        var videoId = await ReviewTestKit.UploadAsync(owner, ReviewTestKit.Clip());

        var inReview = await ReviewTestKit.WaitForStatusAsync(owner, videoId, Timeout, "InReview");

        Assert.Contains("a person", inReview.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await owner.GetAsync($"/api/videos/{videoId}/playback")).StatusCode);
        var other = App.CreateClient().As("viewer3");
        Assert.Equal(HttpStatusCode.NotFound, (await other.GetAsync($"/api/videos/{videoId}/playback")).StatusCode);
        var operators = App.CreateClient().AsOperator();
        var queue = await operators.GetFromJsonAsync<JsonElement>("/api/operator/reviews?count=100");
        var item = queue.GetProperty("items").EnumerateArray().Single(i => i.GetProperty("videoId").GetString() == videoId);
        Assert.Equal(inReview.GetProperty("error").GetString(), item.GetProperty("reason").GetString());
        Assert.Equal(HttpStatusCode.Unauthorized, (await App.CreateClient().As("viewer3").GetAsync("/api/operator/reviews")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await operators.PostAsJsonAsync($"/api/operator/videos/{videoId}/review", new { decision = "reject" })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await operators.PostAsJsonAsync($"/api/operator/videos/{videoId}/review", new { decision = "maybe" })).StatusCode);

        using var approve = await operators.PostAsJsonAsync($"/api/operator/videos/{videoId}/review", new { decision = "approve" });
        Assert.Equal(HttpStatusCode.Accepted, approve.StatusCode);

        await ReviewTestKit.WaitForStatusAsync(owner, videoId, Timeout, "Ready");
        Assert.Equal(HttpStatusCode.OK, (await other.GetAsync($"/api/videos/{videoId}/playback")).StatusCode);
        using var again = await operators.PostAsJsonAsync($"/api/operator/videos/{videoId}/review", new { decision = "approve" });
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
    }

    [Fact]
    public async Task InReview_OperatorRejects_TheOwnerReadsTheReason()
    {
        wechat.Verdict = c => c.OpenId == "ospamuser" && c.MediaType == 1 ? (MediaCheckSuggest.Review, 10001) : (MediaCheckSuggest.Pass, 100);
        var owner = await ReviewTestKit.SignInWithWeChatAsync(App.CreateClient(), "spamuser");
        var videoId = await ReviewTestKit.UploadAsync(owner, ReviewTestKit.Clip());
        await ReviewTestKit.WaitForStatusAsync(owner, videoId, Timeout, "InReview");

        using var reject = await App.CreateClient().AsOperator().PostAsJsonAsync($"/api/operator/videos/{videoId}/review", new { decision = "reject", reason = "advertising in the soundtrack" });
        Assert.Equal(HttpStatusCode.Accepted, reject.StatusCode);

        var rejected = await ReviewTestKit.WaitForStatusAsync(owner, videoId, Timeout, "Rejected");
        Assert.Equal("Rejected by an operator: advertising in the soundtrack", rejected.GetProperty("error").GetString());
        Assert.Equal(HttpStatusCode.Conflict, (await owner.GetAsync($"/api/videos/{videoId}/playback")).StatusCode);
    }

    [Fact]
    public async Task DevelopmentUserWithoutOpenId_GoesToTheOperators_NotPublishedUnchecked()
    {
        var owner = App.CreateClient().As("nowechat");
        var videoId = await ReviewTestKit.UploadAsync(owner, ReviewTestKit.Clip());

        var inReview = await ReviewTestKit.WaitForStatusAsync(owner, videoId, Timeout, "InReview");

        Assert.Contains("not signed in with WeChat", inReview.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Push_UrlVerificationAndForgedSignatures()
    {
        var client = App.CreateClient();
        var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
        var signature = FakeWeChat.Signature(FakeWeChat.PushToken, timestamp, "12345");

        using var verified = await client.GetAsync($"/api/wechat/push?signature={signature}&timestamp={timestamp}&nonce=12345&echostr=hello-wechat");
        Assert.Equal((HttpStatusCode.OK, "hello-wechat"), (verified.StatusCode, await verified.Content.ReadAsStringAsync()));
        using var forgedCheck = await client.GetAsync($"/api/wechat/push?signature={new string('0', 40)}&timestamp={timestamp}&nonce=12345&echostr=hello-wechat");
        Assert.Equal(HttpStatusCode.Forbidden, forgedCheck.StatusCode);

        var (path, body) = wechat.SignedPush("aaaa-bbbb-cccc", MediaCheckSuggest.Risky, 20002, safeMode: false);
        using var forged = await client.PostAsync(path.Replace("signature=", "signature=f", StringComparison.Ordinal), new StringContent(body));
        Assert.Equal(HttpStatusCode.Forbidden, forged.StatusCode);
        Assert.Equal("application/problem+json", forged.Content.Headers.ContentType?.MediaType);
        Assert.Null(await App.Services.GetRequiredService<ReviewTraces>().GetAsync("aaaa-bbbb-cccc", default));

        // Unknown trace ids are acknowledged (WeChat would retry anything else), kept, and change nothing.
        using var unknown = await client.PostAsync(path, new StringContent(body));
        Assert.Equal((HttpStatusCode.OK, "success"), (unknown.StatusCode, await unknown.Content.ReadAsStringAsync()));

        using var garbage = await client.PostAsync(path, new StringContent("<xml><Encrypt>%%%</Encrypt>"));
        Assert.Equal(HttpStatusCode.BadRequest, garbage.StatusCode);
    }
}
