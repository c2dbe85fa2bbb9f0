using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.TestHost;
using Serverless.IntegrationTests.Infrastructure;

namespace Serverless.IntegrationTests.Identity;

/// <summary>Development sign-in, bearer tokens on user endpoints, the HTTP edge (headers, limits) and start-up refusals.</summary>
public sealed class SignInTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>, IAsyncLifetime
{
    private FunctionsAppFactory _app = null!;

    public Task InitializeAsync()
    {
        _app = new FunctionsAppFactory(azurite.ConnectionString, new Dictionary<string, string?> { ["LocalRuntime:Enabled"] = "false" });
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task Login_DevCode_TokenCarriesDevUser()
    {
        var login = await _app.CreateClient().SignInAsync("grace");
        var client = _app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", login.Token);

        using var created = await client.PostAsJsonAsync("/api/uploads", new { fileName = "a.mp4", contentType = "video/mp4", sizeBytes = 1000 });
        var videoId = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("videoId").GetString();

        Assert.Equal("dev-grace", login.UserId);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/api/videos/{videoId}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _app.CreateClient().As("heidi").GetAsync($"/api/videos/{videoId}")).StatusCode);
    }

    [Fact]
    public async Task UserEndpoint_NoToken_401ProblemWithChallenge()
    {
        using var response = await _app.CreateClient().GetAsync("/api/videos");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
    }

    [Fact]
    public async Task DevSignInDisabled_DevCode_400()
    {
        await using var app = new FunctionsAppFactory(azurite.ConnectionString, new Dictionary<string, string?>
        {
            ["LocalRuntime:Enabled"] = "false",
            ["Identity:AllowDevelopmentSignIn"] = "false",
        });

        using var response = await app.CreateClient().PostAsJsonAsync("/api/auth/login", new { code = "dev:alice" });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Login_WeChatNotConfigured_503()
    {
        using var response = await _app.CreateClient().PostAsJsonAsync("/api/auth/login", new { code = "abc123" });

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Contains("sign-in-unavailable", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/api/health", 200)]
    [InlineData("/api/videos", 401)]
    [InlineData("/api/no-such-route", 404)]
    public async Task AnyResponse_CarriesSecurityHeaders(string path, int status)
    {
        using var response = await _app.CreateClient().GetAsync(path);

        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
        Assert.Equal("no-referrer", response.Headers.GetValues("Referrer-Policy").Single());
        Assert.StartsWith("default-src 'none'", response.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        Assert.False(response.Headers.Contains("Access-Control-Allow-Origin"));
    }

    [Fact]
    public async Task Cors_ConfiguredOrigin_AllowedOthersNot()
    {
        await using var app = new FunctionsAppFactory(azurite.ConnectionString, new Dictionary<string, string?>
        {
            ["LocalRuntime:Enabled"] = "false",
            ["Edge:CorsOrigins"] = "https://demo.example",
        });
        var client = app.CreateClient();

        using var allowed = new HttpRequestMessage(HttpMethod.Options, "/api/videos");
        allowed.Headers.Add("Origin", "https://demo.example");
        allowed.Headers.Add("Access-Control-Request-Method", "GET");
        allowed.Headers.Add("Access-Control-Request-Headers", "authorization");
        using var preflight = await client.SendAsync(allowed);
        using var other = new HttpRequestMessage(HttpMethod.Get, "/api/health");
        other.Headers.Add("Origin", "https://evil.example");
        using var refused = await client.SendAsync(other);

        Assert.Equal("https://demo.example", preflight.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.False(refused.Headers.Contains("Access-Control-Allow-Origin"));
    }

    [Fact]
    public async Task LoginBurstFromOneAddress_Limited_OtherAddressesStillServed()
    {
        await using var app = new FunctionsAppFactory(azurite.ConnectionString, new Dictionary<string, string?>
        {
            ["LocalRuntime:Enabled"] = "false",
            ["Edge:LoginPermitsPerMinutePerIp"] = "5",
        });
        var statuses = new List<int>();
        HttpContext? limited = null;
        for (var i = 0; i < 8; i++)
        {
            var context = await Login(app.Server, "198.51.100.7", "burst" + i);
            statuses.Add(context.Response.StatusCode);
            if (context.Response.StatusCode == 429)
            {
                limited ??= context;
            }
        }

        var other = await Login(app.Server, "198.51.100.8", "calm");

        Assert.Equal([200, 200, 200, 200, 200, 429, 429, 429], statuses);
        Assert.True(int.Parse(limited!.Response.Headers.RetryAfter.ToString(), System.Globalization.CultureInfo.InvariantCulture) >= 1);
        Assert.Equal("application/problem+json", limited.Response.ContentType);
        Assert.Equal(200, other.Response.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await app.CreateClient().GetAsync("/api/health")).StatusCode);
    }

    [Fact]
    public async Task UploadBurstFromOneUser_Limited_OtherUsersStillServed()
    {
        await using var app = new FunctionsAppFactory(azurite.ConnectionString, new Dictionary<string, string?>
        {
            ["LocalRuntime:Enabled"] = "false",
            ["Edge:UploadPermitsPerMinutePerUser"] = "3",
        });
        var noisy = app.CreateClient().As("noisy");
        var calm = app.CreateClient().As("calm");
        var request = new { fileName = "a.mp4", contentType = "video/mp4", sizeBytes = 1000 };

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 5; i++)
        {
            using var response = await noisy.PostAsJsonAsync("/api/uploads", request);
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                Assert.NotNull(response.Headers.RetryAfter);
            }
        }

        using var calmResponse = await calm.PostAsJsonAsync("/api/uploads", request);

        Assert.Equal([HttpStatusCode.Created, HttpStatusCode.Created, HttpStatusCode.Created, HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests], statuses);
        Assert.Equal(HttpStatusCode.Created, calmResponse.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await noisy.GetAsync("/api/videos")).StatusCode);
    }

    [Fact]
    public async Task Start_DevSignInOutsideDevelopment_RefusesToStart()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => AppProcess.StartAsync(azurite.ConnectionString, new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["LocalRuntime:Enabled"] = "false",
            ["WeChat:AppId"] = "wxapp",
            ["WeChat:AppSecret"] = "secret",
        }));

        Assert.Contains("Identity__AllowDevelopmentSignIn", error.Message, StringComparison.Ordinal);
    }

    private sealed class HasBody : IHttpRequestBodyDetectionFeature
    {
        public bool CanHaveBody => true;
    }

    private static Task<HttpContext> Login(TestServer server, string address, string name) =>
        server.SendAsync(context =>
        {
            context.Connection.RemoteIpAddress = IPAddress.Parse(address);
            context.Request.Method = "POST";
            context.Request.Path = "/api/auth/login";
            context.Request.ContentType = "application/json";
            var body = System.Text.Encoding.UTF8.GetBytes("{\"code\":\"dev:" + name + "\"}");
            context.Request.ContentLength = body.Length;
            context.Request.Body = new MemoryStream(body);
            context.Features.Set<IHttpRequestBodyDetectionFeature>(new HasBody());
        });
}
