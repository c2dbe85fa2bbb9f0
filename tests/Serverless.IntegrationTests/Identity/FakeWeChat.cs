using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Serverless.IntegrationTests.Identity;

/// <summary>
/// A real HTTP server on loopback answering <c>GET /sns/jscode2session</c> the way WeChat does (JSON with
/// <c>Content-Type: text/plain</c>), since WeChat itself cannot be reached from here. The js_code picks the behaviour.
/// Its content-check side (<c>cgi-bin/stable_token</c>, <c>wxa/media_check_async</c>, and pushes to the app's message
/// server) is in FakeWeChat.ContentCheck.cs.
/// </summary>
public sealed partial class FakeWeChat : IAsyncLifetime
{
    public const string AppId = "wxfaketestappid";
    public const string AppSecret = "fake-app-secret-7f3a9c";
    public const string SessionKey = "fake-session-key-should-never-leak";

    private readonly ConcurrentDictionary<string, int> _calls = new();
    private readonly ConcurrentQueue<string> _queries = new();
    private WebApplication? _app;

    public Uri BaseAddress { get; private set; } = null!;

    public IEnumerable<string> Queries => _queries;

    public int Calls(string code) => _calls.TryGetValue(code, out var n) ? n : 0;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        _app = builder.Build();
        _app.MapGet("/sns/jscode2session", Answer);
        MapContentCheck(_app);
        await _app.StartAsync();
        BaseAddress = new Uri(_app.Urls.First());
    }

    public async Task DisposeAsync()
    {
        await StopPushingAsync();
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }

    /// <summary>What WeChat answers a call carrying the AppSecret from an address outside the API IP allow-list.</summary>
    public const string DeniedAddressReply =
        "{\"errcode\":40164,\"errmsg\":\"invalid ip 203.0.113.7 ipv6 ::ffff:203.0.113.7, not in whitelist rid: 6753a1f2-0c1d2e3f-4a5b6c7d\"}";

    /// <summary>stable_token answers as if the caller's address were not in the API IP allow-list.</summary>
    public bool DenyAddress { get; set; }

    private async Task Answer(HttpContext context)
    {
        _queries.Enqueue(context.Request.QueryString.Value ?? string.Empty);
        var code = context.Request.Query["js_code"].ToString();
        var call = _calls.AddOrUpdate(code, 1, (_, n) => n + 1);
        if (context.Request.Query["appid"] != AppId || context.Request.Query["secret"] != AppSecret || context.Request.Query["grant_type"] != "authorization_code")
        {
            await Json(context, "{\"errcode\":40013,\"errmsg\":\"invalid appid\"}");
            return;
        }

        switch (code)
        {
            case "invalid":
                await Json(context, "{\"errcode\":40029,\"errmsg\":\"invalid code, rid: 1\"}");
                return;
            case "used":
                await Json(context, "{\"errcode\":40163,\"errmsg\":\"code been used, rid: 2\"}");
                return;
            case "limited":
                await Json(context, "{\"errcode\":45011,\"errmsg\":\"api minute-quota reach limit\"}");
                return;
            case "risky":
                await Json(context, "{\"errcode\":40226,\"errmsg\":\"invalid user\"}");
                return;
            case "busy":
                await Json(context, "{\"errcode\":-1,\"errmsg\":\"system error\"}");
                return;
            case "ipdenied":
                await Json(context, DeniedAddressReply);
                return;
            case "down":
                context.Response.StatusCode = 502;
                return;
            case "garbage":
                await Json(context, "<html>gateway</html>");
                return;
            case "slow":
                await Task.Delay(TimeSpan.FromSeconds(30), context.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
                return;
        }

        if ((code.StartsWith("busyonce", StringComparison.Ordinal) || code.StartsWith("flaky", StringComparison.Ordinal)) && call == 1)
        {
            if (code.StartsWith("flaky", StringComparison.Ordinal))
            {
                context.Response.StatusCode = 503;
                return;
            }

            await Json(context, "{\"errcode\":-1,\"errmsg\":\"system error\"}");
            return;
        }

        // Any other code: the openid is "o" + the code (without the retry prefixes), a union id when the code says so.
        var user = code.Replace("busyonce", string.Empty, StringComparison.Ordinal).Replace("flaky", string.Empty, StringComparison.Ordinal);
        var union = user.StartsWith("union", StringComparison.Ordinal) ? ",\"unionid\":\"un" + user + "\"" : string.Empty;
        await Json(context, "{\"openid\":\"o" + user + "\",\"session_key\":\"" + SessionKey + "\"" + union + "}");
    }

    private static Task Json(HttpContext context, string body)
    {
        context.Response.ContentType = "text/plain"; // as WeChat sends it
        return context.Response.WriteAsync(body);
    }
}
