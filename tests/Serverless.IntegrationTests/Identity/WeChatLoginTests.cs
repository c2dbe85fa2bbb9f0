using Microsoft.Extensions.DependencyInjection;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Serverless.IntegrationTests.Infrastructure;

namespace Serverless.IntegrationTests.Identity;

/// <summary><c>POST /api/auth/login</c> through the real app against a fake <c>code2Session</c> server on loopback.</summary>
public sealed class WeChatLoginTests(AzuriteFixture azurite, FakeWeChat wechat) : IClassFixture<AzuriteFixture>, IClassFixture<FakeWeChat>, IAsyncLifetime
{
    private FunctionsAppFactory _app = null!;

    public Task InitializeAsync()
    {
        _app = new FunctionsAppFactory(azurite.ConnectionString, new Dictionary<string, string?>
        {
            ["LocalRuntime:Enabled"] = "false",
            ["WeChat:AppId"] = FakeWeChat.AppId,
            ["WeChat:AppSecret"] = FakeWeChat.AppSecret,
            ["WeChat:BaseUrl"] = wechat.BaseAddress.ToString(),
            // Long enough that an answer on a loaded machine is never taken for a timeout (a retry would count twice);
            // the fake's "slow" answer takes longer still.
            ["WeChat:AttemptTimeoutSeconds"] = "2",
            ["WeChat:MaxRetries"] = "2",
            ["WeChat:RetryDelayMilliseconds"] = "10",
        });
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task Login_ValidCode_ReturnsTokenForOpaqueStableUserId()
    {
        var client = _app.CreateClient();

        using var first = await client.PostAsJsonAsync("/api/auth/login", new { code = "Carol01" });
        var body = await first.Content.ReadAsStringAsync();
        var login = JsonDocument.Parse(body).RootElement;
        using var second = await client.PostAsJsonAsync("/api/auth/login", new { code = "Carol01" });
        var again = JsonDocument.Parse(await second.Content.ReadAsStringAsync()).RootElement;

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var userId = login.GetProperty("userId").GetString()!;
        Assert.Matches("^u[A-Za-z0-9_-]{22}$", userId);
        Assert.Equal(userId, again.GetProperty("userId").GetString());
        Assert.NotEqual(login.GetProperty("token").GetString(), again.GetProperty("token").GetString());
        Assert.DoesNotContain("oCarol01", body, StringComparison.Ordinal);
        Assert.DoesNotContain(FakeWeChat.SessionKey, body, StringComparison.Ordinal);
        Assert.DoesNotContain(FakeWeChat.AppSecret, body, StringComparison.Ordinal);
        Assert.Equal("no-store", first.Headers.CacheControl?.ToString());
        Assert.InRange(login.GetProperty("expiresAt").GetDateTimeOffset(), DateTimeOffset.UtcNow.AddMinutes(59), DateTimeOffset.UtcNow.AddMinutes(61));
        Assert.Contains(wechat.Queries, q => q.Contains("js_code=Carol01", StringComparison.Ordinal) && q.Contains("grant_type=authorization_code", StringComparison.Ordinal));

        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", login.GetProperty("token").GetString());
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/videos")).StatusCode);
    }

    [Fact]
    public async Task Login_DifferentOpenIds_DifferentUsers()
    {
        var client = _app.CreateClient();

        var a = await UserId(client, "Dan01");
        var b = await UserId(client, "union-Dan02");

        Assert.NotEqual(a, b);
    }

    [Theory]
    [InlineData("invalid", 400, "invalid-login-code", 1)]
    [InlineData("used", 400, "invalid-login-code", 1)]
    [InlineData("limited", 429, "wechat-rate-limited", 1)]
    [InlineData("risky", 403, "wechat-high-risk-user", 1)]
    [InlineData("busy", 503, "wechat-unavailable", 3)]
    [InlineData("down", 503, "wechat-unavailable", 3)]
    [InlineData("garbage", 503, "wechat-unavailable", 1)]
    [InlineData("slow", 503, "wechat-unavailable", 3)]
    public async Task Login_WeChatRefusesOrFails_MapsToProblem(string code, int status, string type, int calls)
    {
        var before = wechat.Calls(code);

        using var response = await _app.CreateClient().PostAsJsonAsync("/api/auth/login", new { code });
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.EndsWith("/" + type, JsonDocument.Parse(body).RootElement.GetProperty("type").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain(FakeWeChat.AppSecret, body, StringComparison.Ordinal);
        Assert.DoesNotContain("token", body, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(calls, wechat.Calls(code) - before);
        if (status is 429 or 503)
        {
            Assert.NotNull(response.Headers.RetryAfter);
        }
    }

    [Theory]
    [InlineData("busyonceErin01")]
    [InlineData("flakyErin02")]
    public async Task Login_TransientFaultThenAnswer_RetriesAndSignsIn(string code)
    {
        using var response = await _app.CreateClient().PostAsJsonAsync("/api/auth/login", new { code });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, wechat.Calls(code));
    }

    [Fact]
    public async Task Login_ServerAddressNotInWeChatsAllowList_UnavailableNamingTheAllowList()
    {
        using var response = await _app.CreateClient().PostAsJsonAsync("/api/auth/login", new { code = "ipdenied" });

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        Assert.Contains("sign-in-unavailable", text, StringComparison.Ordinal);
        Assert.Contains("allow-list", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AccessToken_ServerAddressNotInWeChatsAllowList_NamesTheListTheAddressSeenAndTheOutboundIp()
    {
        // errcode 40164 was reported as "WeChat refused the app's credentials", which sends an operator after the AppSecret.
        await using var app = new FunctionsAppFactory(azurite.ConnectionString, new Dictionary<string, string?>
        {
            ["LocalRuntime:Enabled"] = "false",
            ["WeChat:AppId"] = FakeWeChat.AppId,
            ["WeChat:AppSecret"] = FakeWeChat.AppSecret,
            ["WeChat:BaseUrl"] = wechat.BaseAddress.ToString(),
            ["WeChat:OutboundIp"] = "198.51.100.20",
        });
        wechat.DenyAddress = true;
        try
        {
            var api = app.Services.GetRequiredService<Serverless.WeChat.WeChatServerApi>();

            var refused = await Assert.ThrowsAsync<Serverless.WeChat.WeChatCredentialsException>(() => api.FetchStableTokenAsync(false, default));

            Assert.Contains("IP allow-list", refused.Message, StringComparison.Ordinal);
            Assert.Contains("203.0.113.7", refused.Message, StringComparison.Ordinal);
            Assert.Contains("198.51.100.20", refused.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("credentials", refused.Message, StringComparison.Ordinal);
        }
        finally
        {
            wechat.DenyAddress = false;
        }
    }

    [Fact]
    public async Task Login_WrongAppSecret_Unavailable()
    {
        await using var misconfigured = new FunctionsAppFactory(azurite.ConnectionString, new Dictionary<string, string?>
        {
            ["LocalRuntime:Enabled"] = "false",
            ["WeChat:AppId"] = FakeWeChat.AppId,
            ["WeChat:AppSecret"] = "not-the-secret",
            ["WeChat:BaseUrl"] = wechat.BaseAddress.ToString(),
        });

        using var response = await misconfigured.CreateClient().PostAsJsonAsync("/api/auth/login", new { code = "Frank01" });

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Contains("sign-in-unavailable", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("has space")]
    [InlineData("../../etc/passwd")]
    [InlineData("code\u0000nul")]
    [InlineData("héllo")]
    [InlineData("dev:")]
    [InlineData("dev:../alice")]
    public async Task Login_MalformedCode_400WithoutCallingWeChat(string code)
    {
        var before = wechat.Queries.Count();

        using var response = await _app.CreateClient().PostAsJsonAsync("/api/auth/login", new { code });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(before, wechat.Queries.Count());
    }

    [Fact]
    public async Task Login_OverlongCode_400WithoutCallingWeChat()
    {
        var before = wechat.Queries.Count();

        using var response = await _app.CreateClient().PostAsJsonAsync("/api/auth/login", new { code = new string('a', 129) });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(before, wechat.Queries.Count());
    }

    private static async Task<string> UserId(HttpClient client, string code)
    {
        using var response = await client.PostAsJsonAsync("/api/auth/login", new { code });
        response.EnsureSuccessStatusCode();
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("userId").GetString()!;
    }
}
