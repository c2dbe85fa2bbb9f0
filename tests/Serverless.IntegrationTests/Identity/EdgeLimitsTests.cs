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

        // 2 MiB of JSON against the 1 MiB default limit: refused before the endpoint reads it. Sent as a careful client
        // does (Expect: 100-continue, waiting as long as it takes): the body goes out only if the server asks for it, so
        // the 413 is read whatever the machine's load. Without it the client may still be writing the body when the
        // server answers and closes, and see a reset instead of the 413 (a race, seen once on a loaded machine).
        using var careful = new HttpClient(new SocketsHttpHandler { Expect100ContinueTimeout = TimeSpan.FromMinutes(2) }) { BaseAddress = client.BaseAddress };
        careful.DefaultRequestHeaders.Authorization = client.DefaultRequestHeaders.Authorization;
        careful.DefaultRequestHeaders.ExpectContinue = true;
        var big = "{\"fileName\":\"" + new string('a', 2 * 1024 * 1024) + "\",\"contentType\":\"video/mp4\",\"sizeBytes\":10}";
        var bodies = new[]
        {
            new UnsentBody(big),
            new UnsentBody("{\"events\":[" + new string(' ', 2 * 1024 * 1024) + "]}"),
            new UnsentBody("{\"code\":\"" + new string('x', 2 * 1024 * 1024) + "\"}"),
        };
        using var oversized = await careful.PostAsync("/api/uploads", bodies[0]);
        using var events = await careful.PostAsync("/api/events", bodies[1]);
        using var login = await careful.PostAsync("/api/auth/login", bodies[2]);
        Assert.All(bodies, b => Assert.False(b.Sent, "the server asked for an oversized body (100 Continue) instead of refusing it"));

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

    /// <summary>
    /// A body over the Functions host's own limit (100 MiB) is refused by the host before any function or worker middleware
    /// runs: its HTTP binding fails reading it and it answers 500 with no body (what the host built from its source does;
    /// the real-host suite checks it there). The local host answers the same, so a client that sends such a body fails here
    /// as it would in Azure (before, the local host handed it to the function, which answered 413).
    /// </summary>
    [Fact]
    public async Task RealServer_BodyOverTheHostsLimit_RefusedAsTheFunctionsHostDoesBeforeTheFunction()
    {
        await using var app = await AppProcess.StartAsync(azurite.ConnectionString, new Dictionary<string, string> { ["LocalRuntime:Enabled"] = "false" });
        using var careful = new HttpClient(new SocketsHttpHandler { Expect100ContinueTimeout = TimeSpan.FromMinutes(2) }) { BaseAddress = app.BaseAddress };
        careful.DefaultRequestHeaders.ExpectContinue = true;
        var body = new UnsentBody("{}", declaredLength: 100L * 1024 * 1024 + 1);

        using var response = await careful.PostAsync("/api/events", body);

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
        Assert.False(body.Sent, "the host asked for a body over its limit");
    }

    /// <summary>A JSON body that records whether the client ever started sending it.</summary>
    private sealed class UnsentBody : HttpContent
    {
        private readonly byte[] _bytes;
        private readonly long? _declaredLength;

        public UnsentBody(string json, long? declaredLength = null)
        {
            _bytes = Encoding.UTF8.GetBytes(json);
            _declaredLength = declaredLength;
            Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        }

        public bool Sent { get; private set; }

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            Sent = true;
            return stream.WriteAsync(_bytes).AsTask();
        }

        protected override bool TryComputeLength(out long length)
        {
            length = _declaredLength ?? _bytes.Length;
            return true;
        }
    }
}
