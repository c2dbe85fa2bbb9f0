using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Serverless.IntegrationTests.Infrastructure;

namespace Serverless.IntegrationTests.Identity;

/// <summary>Limits only a real server enforces (Kestrel in its own process, not the in-memory test server).</summary>
public sealed class EdgeLimitsTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>
{
    [Fact]
    public async Task RealServer_OversizedBodyLongHeaderLongUrlNul_RefusedWithoutServerError()
    {
        await using var app = await AppProcess.StartAsync(azurite.ConnectionString, new Dictionary<string, string> { ["LocalRuntime:Enabled"] = "false" });
        using var client = app.CreateClient().As("edge-user");

        // 2 MiB of JSON against the 1 MiB default limit: refused before the endpoint reads it.
        var big = "{\"fileName\":\"" + new string('a', 2 * 1024 * 1024) + "\",\"contentType\":\"video/mp4\",\"sizeBytes\":10}";
        using var oversized = await client.PostAsync("/api/uploads", new StringContent(big, Encoding.UTF8, "application/json"));
        using var events = await client.PostAsync("/api/events", new StringContent("{\"events\":[" + new string(' ', 2 * 1024 * 1024) + "]}", Encoding.UTF8, "application/json"));
        using var login = await client.PostAsync("/api/auth/login", new StringContent("{\"code\":\"" + new string('x', 2 * 1024 * 1024) + "\"}", Encoding.UTF8, "application/json"));

        using var longHeader = new HttpRequestMessage(HttpMethod.Get, "/api/videos");
        longHeader.Headers.TryAddWithoutValidation("X-Padding", new string('h', 64 * 1024));
        using var headerResponse = await client.SendAsync(longHeader);
        using var longUrl = await client.GetAsync("/api/videos/" + new string('v', 20_000));
        using var nul = await client.DeleteAsync("/api/videos/0123456789abcdef0123456789abcdef%00");
        using var videos = await client.GetAsync("/api/videos");

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, oversized.StatusCode);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, events.StatusCode);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, login.StatusCode);
        Assert.Equal(HttpStatusCode.RequestHeaderFieldsTooLarge, headerResponse.StatusCode);
        Assert.Equal(HttpStatusCode.RequestUriTooLong, longUrl.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, nul.StatusCode); // the in-memory test client refuses to even send it
        Assert.Equal(HttpStatusCode.OK, videos.StatusCode); // and it still answers
        Assert.False(videos.Headers.Contains("Server"));
        Assert.Equal("nosniff", videos.Headers.GetValues("X-Content-Type-Options").Single());
    }
}
