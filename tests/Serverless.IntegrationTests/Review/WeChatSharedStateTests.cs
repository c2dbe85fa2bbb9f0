using Microsoft.Extensions.DependencyInjection;
using Serverless.IntegrationTests.Identity;
using Serverless.IntegrationTests.Infrastructure;
using Serverless.Storage;
using Serverless.WeChat;

namespace Serverless.IntegrationTests.Review;

/// <summary>
/// What every instance of the app shares for WeChat, in storage: the one access token and the content check's quota. Two
/// test apps (each its own token cache, as two instances) on one Azurite, against the fake WeChat.
/// </summary>
public sealed class WeChatSharedStateTests(AzuriteFixture azurite, FakeWeChat wechat) : IClassFixture<AzuriteFixture>, IClassFixture<FakeWeChat>, IAsyncLifetime
{
    private FunctionsAppFactory _first = null!;
    private FunctionsAppFactory _second = null!;

    public Task InitializeAsync()
    {
        var settings = new Dictionary<string, string?>
        {
            ["LocalRuntime:Enabled"] = "false",
            ["WeChat:AppId"] = FakeWeChat.AppId,
            ["WeChat:AppSecret"] = FakeWeChat.AppSecret,
            ["WeChat:BaseUrl"] = wechat.BaseAddress.ToString(),
        };
        _first = new FunctionsAppFactory(azurite.ConnectionString, settings);
        _second = new FunctionsAppFactory(azurite.ConnectionString, settings);
        _ = _first.Server;
        _ = _second.Server;
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _first.DisposeAsync();
        await _second.DisposeAsync();
    }

    [Fact]
    public async Task AccessToken_ManyCallersOnTwoInstances_OneFetch_ThenExpired_OneRenewalForAll()
    {
        // The fake's token blob is shared with other tests of this class only; start from no stored token.
        await _first.Services.GetRequiredService<IBlobStore>().DeleteAsync(WeChatAccessTokens.Container, WeChatAccessTokens.TokenBlob, default);
        var instances = new[] { _first, _second }.Select(a => a.Services.GetRequiredService<IWeChatAccessTokens>()).ToArray();
        var before = wechat.TokenCalls;

        var first = await Task.WhenAll(Enumerable.Range(0, 40).Select(i => Task.Run(() => instances[i % 2].GetAsync(default))));

        Assert.Single(first.Distinct());
        Assert.Equal(wechat.CurrentToken, first[0]);
        Assert.Equal(1, wechat.TokenCalls - before);

        wechat.ExpireToken();
        var renewed = await Task.WhenAll(Enumerable.Range(0, 40).Select(i => Task.Run(() => instances[i % 2].RenewAsync(first[0], default))));

        Assert.Single(renewed.Distinct());
        Assert.NotEqual(first[0], renewed[0]);
        Assert.Equal(wechat.CurrentToken, renewed[0]);
        Assert.Equal(2, wechat.TokenCalls - before);
        Assert.Equal(0, wechat.ForcedTokenCalls);
        Assert.Equal(renewed[0], await instances[1].GetAsync(default));
    }

    [Fact]
    public async Task Quota_ManyConcurrentCallersOnTwoInstances_GrantExactlyTheMinutesBudget_ThenTheNextMinutes()
    {
        var time = new FakeTime(new DateTimeOffset(2026, 12, 3, 8, 15, 42, TimeSpan.Zero));
        var quotas = new[] { _first, _second }.Select(a => new CallQuota(a.Services.GetRequiredService<ITableStore>(), time)).ToArray();
        var api = "test-" + Guid.NewGuid().ToString("N")[..8];

        var decisions = await Task.WhenAll(Enumerable.Range(0, 30).Select(i => Task.Run(() => quotas[i % 2].TryTakeAsync(api, perMinute: 10, perDay: 15, default))));

        Assert.Equal(10, decisions.Count(d => d.Granted));
        Assert.All(decisions.Where(d => !d.Granted), d => Assert.Equal(new DateTimeOffset(2026, 12, 3, 8, 16, 0, TimeSpan.Zero), d.RetryAt));

        time.Advance(TimeSpan.FromMinutes(1));
        var next = await Task.WhenAll(Enumerable.Range(0, 30).Select(i => Task.Run(() => quotas[i % 2].TryTakeAsync(api, perMinute: 10, perDay: 15, default))));

        // The day allows 15: 5 of this minute's 10, then the rest wait for tomorrow.
        Assert.Equal(5, next.Count(d => d.Granted));
        Assert.Contains(next, d => !d.Granted && d.RetryAt == new DateTimeOffset(2026, 12, 4, 0, 0, 0, TimeSpan.Zero));
    }
}
