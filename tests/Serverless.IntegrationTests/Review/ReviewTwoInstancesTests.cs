using Serverless.IntegrationTests.Identity;
using Serverless.IntegrationTests.Reliability;
using Serverless.Review;
using Serverless.Storage;
using Serverless.Videos;
using Xunit.Abstractions;

namespace Serverless.IntegrationTests.Review;

/// <summary>
/// Two local host processes review a burst of uploads with one WeChat access token, which expires in the middle of it:
/// one renewal serves both processes, and every sample is still checked exactly once.
/// </summary>
public sealed class ReviewTwoInstancesTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly FakeWeChat _wechat = new();

    public Task InitializeAsync() => _wechat.InitializeAsync();

    public Task DisposeAsync() => _wechat.DisposeAsync();

    public static Dictionary<string, string> Settings(FakeWeChat wechat) => new()
    {
        ["WeChat:AppId"] = FakeWeChat.AppId,
        ["WeChat:AppSecret"] = FakeWeChat.AppSecret,
        ["WeChat:BaseUrl"] = wechat.BaseAddress.ToString(),
        ["Review:Enabled"] = "true",
        ["Review:PushToken"] = FakeWeChat.PushToken,
        ["Review:FrameIntervalSeconds"] = "1",
        ["Review:VerdictDeadlineMinutes"] = "10",
    };

    [Fact]
    public async Task TokenExpiresMidBurst_OneRenewalForBothProcesses_NoCheckLost()
    {
        await using var env = await ReliabilityEnvironment.StartAsync();
        var a = await env.StartAppAsync("a", Settings(_wechat));
        var b = await env.StartAppAsync("b", Settings(_wechat));
        _wechat.PushTo = a.CreateClient();
        _wechat.ExpireTokenAfterChecks = 3;
        var clip = ReviewTestKit.Clip();
        var uploads = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            var owner = await ReviewTestKit.SignInWithWeChatAsync((i % 2 == 0 ? a : b).CreateClient(), "burst" + i);
            uploads.Add(await ReviewTestKit.UploadAsync(owner, clip));
        }

        var took = await env.WaitForTerminalAsync(uploads, TimeSpan.FromMinutes(5));

        var samples = 0;
        foreach (var id in uploads)
        {
            Assert.Equal(VideoStatus.Ready, (await env.Videos.GetAsync(id, default))!.Status);
            samples += (await env.Blobs.ListAsync(MediaLayout.ReviewContainer, MediaLayout.Prefix(id), default).ToListAsync()).Count;
        }

        output.WriteLine($"6 uploads Ready in {took.TotalSeconds:0.0} s; {samples} samples; {_wechat.Checks.Count} checks accepted; {_wechat.RejectedByToken} refused for the expired token; {_wechat.TokenCalls} token calls ({_wechat.ForcedTokenCalls} forced)");
        Assert.True(_wechat.RejectedByToken > 0, "the token never expired while checks were being made");
        Assert.Equal(samples, _wechat.Checks.Count);
        Assert.Equal(samples, _wechat.Checks.Select(c => c.MediaUrl.Split('?')[0]).Distinct().Count());
        Assert.Equal(2, _wechat.TokenCalls); // the first token, and one renewal for everyone
        Assert.Equal(0, _wechat.ForcedTokenCalls);
    }
}
