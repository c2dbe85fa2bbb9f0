using System.Net;
using Serverless.IntegrationTests.Identity;
using Serverless.IntegrationTests.Infrastructure;
using Serverless.WeChat.Push;

namespace Serverless.IntegrationTests.Review;

/// <summary>
/// The review with safe-mode (encrypted) pushes and a short verdict deadline (15 s): encrypted verdicts are decrypted and
/// publish the video; plain pushes are refused; a verdict that never comes sends the video to the operators.
/// </summary>
public sealed class ContentReviewSafeModeTests(FakeWeChat wechat) : IClassFixture<FakeWeChat>, IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);
    private ReviewApp _review = null!;

    private FunctionsAppFactory App => _review.App;

    public async Task InitializeAsync() => _review = await ReviewApp.StartAsync(wechat, deadlineMinutes: 0.25, safeMode: true);

    public async Task DisposeAsync() => await _review.DisposeAsync();

    [Fact]
    public async Task EncryptedVerdicts_Decrypted_Published()
    {
        wechat.Verdict = _ => (MediaCheckSuggest.Pass, 100);
        var owner = await ReviewTestKit.SignInWithWeChatAsync(App.CreateClient(), "safeuser");
        var videoId = await ReviewTestKit.UploadAsync(owner, ReviewTestKit.Clip());

        await ReviewTestKit.WaitForStatusAsync(owner, videoId, Timeout, "Ready");

        Assert.Contains(wechat.Checks, c => c.OpenId == "osafeuser");
        Assert.DoesNotContain(wechat.PushAnswers, a => a.Status != HttpStatusCode.OK);
    }

    [Fact]
    public async Task PlainPush_WhereSafeModeIsConfigured_Refused()
    {
        var (path, body) = wechat.SignedPush("dddd-eeee-ffff", MediaCheckSuggest.Pass, 100, safeMode: false);

        using var plain = await App.CreateClient().PostAsync(path, new StringContent(body));

        Assert.Equal(HttpStatusCode.Forbidden, plain.StatusCode);
        Assert.Contains("push-not-encrypted", await plain.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task VerdictNeverComes_AfterTheDeadline_InReview()
    {
        wechat.Verdict = c => c.OpenId == "osilentuser" ? null : (MediaCheckSuggest.Pass, 100);
        var owner = await ReviewTestKit.SignInWithWeChatAsync(App.CreateClient(), "silentuser");
        var videoId = await ReviewTestKit.UploadAsync(owner, ReviewTestKit.Clip());

        var inReview = await ReviewTestKit.WaitForStatusAsync(owner, videoId, Timeout, "InReview");

        Assert.Contains("did not come within 0.25 minutes", inReview.GetProperty("error").GetString(), StringComparison.Ordinal);
    }
}
