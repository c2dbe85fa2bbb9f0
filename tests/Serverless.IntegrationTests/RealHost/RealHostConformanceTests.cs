using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Serverless.IntegrationTests.Infrastructure;
using Serverless.Storage;
using Serverless.Videos;

namespace Serverless.IntegrationTests.RealHost;

/// <summary>One published app under the Functions host for the conformance tests (they run one after another).</summary>
[CollectionDefinition(Name)]
public sealed class RealHostCollection : ICollectionFixture<RealHostFixture>
{
    public const string Name = "RealHost";
}

public sealed class RealHostFixture : IAsyncLifetime
{
    public RealHostApp App { get; private set; } = null!;

    public async Task InitializeAsync() => App = await RealHostApp.StartAsync("ConformanceHub");

    public async Task DisposeAsync()
    {
        if (App is not null)
        {
            await App.DisposeAsync();
        }
    }
}

/// <summary>
/// The app as Azure runs it: the deployment package under the Azure Functions host (Core Tools' or the one built from its
/// source in ../shared/functions-host), with the sample settings. Each of the findings of issue 28 failed here before its
/// fix: the host did not start (a Durable setting its extension refuses), the operator routes were in error (the host
/// reserves admin/...), both timers were disabled (%A__B% never resolves), and every client shared one rate-limit bucket
/// (which was right: a client's X-Forwarded-For never reaches the app; the address the host saw does).
/// </summary>
[Collection(RealHostCollection.Name)]
[Trait("Category", "RealHost")]
public sealed class RealHostConformanceTests(RealHostFixture fixture)
{
    private RealHostApp App => fixture.App;

    [Fact]
    public async Task StartUp_EveryFunctionIndexed_NoneInError()
    {
        // Every HTTP function of the package answers through the worker: an unknown route or a function in error gets the
        // host's own bare 404 (a failing binding its bare 500); the app's answers, errors included, are problem+json.
        using var client = App.Host.CreateClient();
        var failures = new List<string>();
        foreach (var (name, json) in PackagedHttpFunctions())
        {
            var route = "/api/" + string.Join('/', json.Route.Split('/').Select(p => p.StartsWith('{') ? "x" : p));
            using var request = new HttpRequestMessage(new HttpMethod(json.Method.ToUpperInvariant()), route);
            using var response = await client.SendAsync(request);
            var body = await response.Content.ReadAsStringAsync();
            var fromTheApp = response.Content.Headers.ContentType?.MediaType is "application/problem+json" || response.IsSuccessStatusCode;
            if (!fromTheApp && (response.StatusCode == HttpStatusCode.NotFound || (int)response.StatusCode >= 500))
            {
                failures.Add($"{name} ({json.Method} {route}): {(int)response.StatusCode} '{body}'");
            }
        }

        var errors = App.Host.Output.Split('\n').Where(l => l.Contains("is in error", StringComparison.Ordinal) || l.Contains("failed indexing", StringComparison.Ordinal)).ToList();
        Assert.True(failures.Count == 0 && errors.Count == 0, string.Join('\n', failures.Concat(errors)));
    }

    [Fact]
    public async Task SignIn_UserRouteWithoutToken_And_OperatorRoute_AsInAzure()
    {
        using var anonymous = App.Host.CreateClient();
        using var noToken = await anonymous.GetAsync("/api/videos");
        Assert.Equal(HttpStatusCode.Unauthorized, noToken.StatusCode);
        Assert.Equal("application/problem+json", noToken.Content.Headers.ContentType?.MediaType);

        using var user = App.Host.CreateClient().As("conformance-user");
        Assert.Equal(HttpStatusCode.OK, (await user.GetAsync("/api/videos")).StatusCode);

        using var withoutKey = await user.GetAsync("/api/operator/reviews?count=5");
        Assert.Equal(HttpStatusCode.Unauthorized, withoutKey.StatusCode);
        using var operators = App.Host.CreateClient().AsOperator();
        using var queue = await operators.GetAsync("/api/operator/reviews?count=5");
        Assert.Equal(HttpStatusCode.OK, queue.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await operators.PostAsync($"/api/operator/videos/{new string('a', 32)}/reprocess", null)).StatusCode);
    }

    [Fact]
    public async Task Upload_BlobCreatedOnTheConfiguredQueue_ReadyAndPlaysThroughSignedUrls()
    {
        using var client = App.Host.CreateClient().As("conformance-uploader");
        var clip = await TestClips.Shared.GenerateAsync(new ClipSpec(320, 180, 2));

        var videoId = await VideoApi.UploadAsync(client, clip);
        var status = await VideoApi.WaitForStatusAsync(client, videoId, "Ready", TimeSpan.FromSeconds(120));

        Assert.Equal(100, status.GetProperty("progress").GetDouble());
        var grant = await client.GetFromJsonAsync<JsonElement>($"/api/videos/{videoId}/playback");
        using var http = new HttpClient();
        var master = await http.GetStringAsync(grant.GetProperty("url").GetString());
        var child = new Uri(new Uri(grant.GetProperty("url").GetString()!), master.Split('\n').First(l => l.Length > 0 && !l.StartsWith('#')).Trim());
        var media = await http.GetStringAsync(child);
        var segment = media.Split('\n').First(l => l.StartsWith("http", StringComparison.Ordinal)).Trim();
        var bytes = await http.GetByteArrayAsync(segment);
        Assert.True(bytes.Length > 1000, "the first segment is empty");
        Assert.Contains("#EXT-X-ENDLIST", media, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Timers_Indexed_TheSweepStartsALostUpload_AndTheRetrainRuns()
    {
        using var client = App.Host.CreateClient().As("conformance-lost");
        var clip = await TestClips.Shared.GenerateAsync(new ClipSpec(320, 180, 2));
        await using var storage = await StorageHost.StartAsync(App.Storage.Process, StorageMode.SharedKey, new Dictionary<string, string?> { ["AzureWebJobsStorage"] = App.Storage.ConnectionString });

        // An upload whose BlobCreated event is lost: the watcher's claim is taken first, so it never raises one.
        var created = await VideoApi.CreateUploadAsync(client, clip);
        var videoId = created.GetProperty("videoId").GetString()!;
        await VideoApi.PutAsync(created.GetProperty("uploadUrl").GetString()!, clip);
        var info = (await storage.Blobs.GetInfoAsync(MediaLayout.UploadsContainer, MediaLayout.Source(videoId), default))!;
        await ClaimWatcherRowAsync(storage, info);

        // Only SweepPipelines (every 2 s here, after Pipeline__StuckAfterSeconds=5) can start it.
        await VideoApi.WaitForStatusAsync(client, videoId, "Ready", TimeSpan.FromSeconds(120));
        Assert.Equal(0, await storage.Queues.GetApproximateCountAsync(RealHostApp.UploadQueue, default));

        // RetrainRecommender (every 5 s here) writes a training report each time it runs.
        await Eventually.TrueAsync(
            async () => await storage.Blobs.ListAsync("models", "recommender/", default).AnyAsync(b => b.Name.EndsWith(".json", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(60),
            "the retraining timer wrote a report");
    }

    [Fact]
    public async Task Bodies_OverTheRouteLimit413ProblemJson_OverTheHostLimitTheHostsBare500()
    {
        using var client = App.Host.CreateClient().As("conformance-bodies");
        using var careful = new HttpClient(new SocketsHttpHandler { Expect100ContinueTimeout = TimeSpan.FromMinutes(2) }) { BaseAddress = App.Host.BaseAddress };
        careful.DefaultRequestHeaders.Authorization = client.DefaultRequestHeaders.Authorization;
        careful.DefaultRequestHeaders.ExpectContinue = true;

        // 2 MiB of JSON against the events route's 1 MiB: the worker's edge middleware answers, as under the local host.
        using var overRoute = await careful.PostAsync("/api/events", new StringContent("{\"events\":[" + new string(' ', 2 * 1024 * 1024) + "]}", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, overRoute.StatusCode);
        Assert.Equal("application/problem+json", overRoute.Content.Headers.ContentType?.MediaType);

        // Over the host's own 100 MiB: the host's HTTP binding fails reading it before the worker sees the request. The
        // app cannot answer this one; clients of the API never send such a body (large files take the upload URL).
        using var overHost = new HttpRequestMessage(HttpMethod.Post, "/api/events") { Content = new ZeroBody(100L * 1024 * 1024 + 1) };
        using var response = await careful.SendAsync(overHost);
        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task RateLimits_KeyOnTheAddressTheHostSaw_NotOnAForwardedForTheClientWrites()
    {
        // 35 sign-ins from 35 loopback addresses: each its own bucket (30 a minute per address by the sample settings).
        var answers = new List<HttpStatusCode>();
        for (var i = 0; i < 35; i++)
        {
            using var from = FromAddress(IPAddress.Parse($"127.0.1.{i + 1}"));
            answers.Add((await SignInAsync(from, "rl-" + i.ToString(CultureInfo.InvariantCulture), forwardedFor: null)).StatusCode);
        }

        Assert.All(answers, a => Assert.Equal(HttpStatusCode.OK, a));

        // 40 at once from one address, each claiming another client in X-Forwarded-For: one bucket of 30, refilled by one
        // token every 2 s while they are answered (a loaded machine answers slower), so the rest are refused. With a bucket
        // per claimed client all 40 would pass.
        using var spoofer = FromAddress(IPAddress.Parse("127.0.2.1"));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var spoofed = await Task.WhenAll(Enumerable.Range(0, 40).Select(async i =>
            (await SignInAsync(spoofer, "spoof-" + i.ToString(CultureInfo.InvariantCulture), forwardedFor: $"203.0.113.{i + 1}")).StatusCode));
        var refilled = (int)(clock.Elapsed.TotalSeconds / 2);

        Assert.All(spoofed, a => Assert.True(a is HttpStatusCode.OK or HttpStatusCode.TooManyRequests, a.ToString()));
        Assert.InRange(spoofed.Count(a => a == HttpStatusCode.OK), 30, 30 + refilled);
        Assert.Contains(HttpStatusCode.TooManyRequests, spoofed);
    }

    /// <summary>The HTTP functions of the package, with their route and first method (from its functions.metadata).</summary>
    private IEnumerable<(string Name, (string Route, string Method) Json)> PackagedHttpFunctions()
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(App.Package, "functions.metadata")));
        foreach (var function in document.RootElement.EnumerateArray())
        {
            foreach (var binding in function.GetProperty("bindings").EnumerateArray())
            {
                if (binding.GetProperty("type").GetString() == "httpTrigger")
                {
                    yield return (function.GetProperty("name").GetString()!, (binding.GetProperty("route").GetString()!, binding.GetProperty("methods")[0].GetString()!));
                }
            }
        }
    }

    private static async Task ClaimWatcherRowAsync(StorageHost storage, BlobItemInfo blob)
    {
        await storage.Tables.InsertAsync(
            Serverless.LocalHost.Runtime.UploadsWatcher.WatchTable,
            new TableRow(MediaLayout.UploadsContainer, Serverless.LocalHost.Runtime.UploadsWatcher.WatchRowKey(blob), new Dictionary<string, object?> { ["Blob"] = blob.Name, ["ETag"] = blob.ETag }),
            default);
    }

    private HttpClient FromAddress(IPAddress local) => new(new SocketsHttpHandler
    {
        ConnectCallback = async (context, cancellationToken) =>
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                socket.Bind(new IPEndPoint(local, 0));
                await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    })
    { BaseAddress = App.Host.BaseAddress };

    private static async Task<HttpResponseMessage> SignInAsync(HttpClient client, string user, string? forwardedFor)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/auth/login") { Content = JsonContent.Create(new { code = "dev:" + user }) };
        if (forwardedFor is not null)
        {
            request.Headers.TryAddWithoutValidation("X-Forwarded-For", forwardedFor);
        }

        return await client.SendAsync(request);
    }

    /// <summary>A body of zeros of a declared length, sent only if the server asks for it.</summary>
    private sealed class ZeroBody(long length) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            var chunk = new byte[81920];
            for (var sent = 0L; sent < length; sent += chunk.Length)
            {
                await stream.WriteAsync(chunk.AsMemory(0, (int)Math.Min(chunk.Length, length - sent)));
            }
        }

        protected override bool TryComputeLength(out long declared)
        {
            declared = length;
            return true;
        }
    }
}
