using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using Serverless.Identity;
using Serverless.IntegrationTests.Infrastructure;
using Serverless.Storage;
using Serverless.Videos;

namespace Serverless.IntegrationTests.Identity;

/// <summary>
/// The app with a storage account of its own (so nothing else writes to it), two signed-in users, alice's upload waiting for its file,
/// one stored event, and a snapshot of everything stored: every hostile request must leave the snapshot as it was.
/// </summary>
public sealed class HostileFixture : IAsyncLifetime
{
    public static readonly string[] Tables = [VideoRepository.Table, VideoRepository.ReadyIndexTable, "RecEvents", "RecUserEvents", "Templates", "TemplateAssets", "TemplateActivity"];
    public static readonly string[] Containers = [MediaLayout.UploadsContainer, MediaLayout.Container, "templates"];

    private AzuriteAccount _storage = null!;

    public FunctionsAppFactory App { get; private set; } = null!;

    public string AliceToken { get; private set; } = null!;

    public string BobToken { get; private set; } = null!;

    /// <summary>Alice's upload (status Uploading), and its create-only SAS URL.</summary>
    public string AliceVideo { get; private set; } = null!;

    public Uri AliceUploadUrl { get; private set; } = null!;

    public string StoredEventId { get; } = "evt-" + Guid.NewGuid().ToString("N");

    public async Task InitializeAsync()
    {
        _storage = await AzuriteFixture.NewAccountAsync();
        App = new FunctionsAppFactory(_storage.ConnectionString, new Dictionary<string, string?> { ["LocalRuntime:Enabled"] = "false", ["Review:PushToken"] = "hostile-push-token", ["WeChat:AppId"] = "wxhostileappid" });
        var client = App.CreateClient();
        AliceToken = (await client.SignInAsync("alice")).Token;
        BobToken = (await client.SignInAsync("bob")).Token;
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AliceToken);
        using var created = await client.PostAsJsonAsync("/api/uploads", new { fileName = "mine.mp4", contentType = "video/mp4", sizeBytes = 1000 });
        created.EnsureSuccessStatusCode();
        var body = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement;
        AliceVideo = body.GetProperty("videoId").GetString()!;
        AliceUploadUrl = new Uri(body.GetProperty("uploadUrl").GetString()!);
        using var posted = await client.PostAsJsonAsync("/api/events", new { events = new[] { Event(StoredEventId, AliceVideo, 3) } });
        Assert.Equal(HttpStatusCode.Accepted, posted.StatusCode);
    }

    public async Task DisposeAsync() => await App.DisposeAsync();

    public static object Event(string id, string videoId, double watched) =>
        new { eventId = id, type = "view", videoId, watchedSeconds = watched, occurredAt = DateTimeOffset.UtcNow.ToString("O") };

    public HttpClient Client(string? token)
    {
        var client = App.CreateClient();
        if (token is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return client;
    }

    /// <summary>A token minted with the app's own keys but other settings or clock (for expired, wrong-audience, … tokens).</summary>
    public string Mint(string userId, Action<IdentityOptions>? configure = null, TimeSpan? age = null, string? signingKeys = null)
    {
        var options = new IdentityOptions { SigningKeys = signingKeys ?? FunctionsAppFactory.SigningKeys };
        configure?.Invoke(options);
        var wrapped = Options.Create(options);
        var ring = new SigningKeyRing(wrapped, Microsoft.Extensions.Logging.Abstractions.NullLogger<SigningKeyRing>.Instance);
        return new TokenService(ring, wrapped, new ShiftedTime(-(age ?? TimeSpan.Zero))).Issue(userId).Token;
    }

    /// <summary>Every row key and ETag in the app's tables, and every blob with its ETag.</summary>
    public async Task<string> SnapshotAsync()
    {
        var tables = App.Services.GetRequiredService<ITableStore>();
        var blobs = App.Services.GetRequiredService<IBlobStore>();
        var lines = new List<string>();
        foreach (var table in Tables)
        {
            await foreach (var row in tables.QueryAsync(table, null, default))
            {
                // Event rows are upserted by design (a replayed event is stored once): their keys must not change.
                lines.Add(table + " " + row.PartitionKey + " " + row.RowKey + (table.StartsWith("Rec", StringComparison.Ordinal) ? string.Empty : " " + row.ETag));
            }
        }

        foreach (var container in Containers)
        {
            await foreach (var blob in blobs.ListAsync(container, null, default))
            {
                lines.Add(container + " " + blob.Name + " " + blob.ETag);
            }
        }

        lines.Sort(StringComparer.Ordinal);
        return string.Join('\n', lines);
    }

    private sealed class ShiftedTime(TimeSpan by) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + by;
    }
}

/// <summary>
/// Hostile and malformed requests across the endpoints: each answers exactly the expected status (never 500), with no
/// stack trace or path in the body, and leaves stored state as it was.
/// </summary>
public sealed class HostileInputTests(HostileFixture fixture) : IClassFixture<HostileFixture>
{
    private const string Json = "application/json";

    private static readonly Dictionary<string, HostileCase> Cases = new HostileCase[]
    {
        // Tokens.
        new("no token", 401, f => Get("/api/videos", null)),
        new("expired token", 401, f => Get("/api/videos", f.Mint("dev-alice", age: TimeSpan.FromHours(2)))),
        new("token from the future (nbf)", 401, f => Get("/api/videos", f.Mint("dev-alice", age: TimeSpan.FromHours(-1)))),
        new("tampered payload (sub swapped)", 401, f => Get("/api/videos/" + f.AliceVideo, Tamper(f.AliceToken, "dev-alice", "dev-bobby"))),
        new("tampered signature", 401, f => Get("/api/videos", f.AliceToken[..^4] + (f.AliceToken.EndsWith("AAAA", StringComparison.Ordinal) ? "BBBB" : "AAAA"))),
        new("wrong audience", 401, f => Get("/api/videos", f.Mint("dev-alice", o => o.Audience = "another-app"))),
        new("wrong issuer", 401, f => Get("/api/videos", f.Mint("dev-alice", o => o.Issuer = "https://evil.example"))),
        new("alg none", 401, f => Get("/api/videos", AlgNone(f.AliceToken))),
        new("HS512 header on an HS256 key", 401, f => Get("/api/videos", Resign(f.AliceToken, "HS512"))),
        new("RS256 header (key confusion)", 401, f => Get("/api/videos", Resign(f.AliceToken, "RS256"))),
        new("unknown key id", 401, f => Get("/api/videos", f.Mint("dev-alice", signingKeys: "rogue:" + Convert.ToBase64String(new byte[32])))),
        new("known key id, other secret", 401, f => Get("/api/videos", f.Mint("dev-alice", signingKeys: "test-current:" + Convert.ToBase64String(new byte[32])))),
        new("empty bearer", 401, f => Raw(HttpMethod.Get, "/api/videos", r => r.Headers.TryAddWithoutValidation("Authorization", "Bearer "))),
        new("basic scheme", 401, f => Raw(HttpMethod.Get, "/api/videos", r => r.Headers.TryAddWithoutValidation("Authorization", "Basic YWxpY2U6YWxpY2U="))),
        new("two authorization headers", 401, f => Raw(HttpMethod.Get, "/api/videos", r =>
        {
            r.Headers.TryAddWithoutValidation("Authorization", "Bearer " + f.AliceToken);
            r.Headers.TryAddWithoutValidation("Authorization", "Bearer " + f.BobToken);
        })),
        new("8 KB token", 401, f => Get("/api/videos", f.AliceToken + new string('A', 8192))),
        new("body user id without a token", 401, f => Send(HttpMethod.Post, "/api/uploads", null, JsonBody(new { fileName = "a.mp4", contentType = "video/mp4", sizeBytes = 10, ownerId = "dev-bob" }))),

        // Operator routes.
        new("user token on an operator route", 401, f => Send(HttpMethod.Post, "/api/operator/recommendations/retrain", f.AliceToken, null)),
        new("wrong operator key", 401, f => Raw(HttpMethod.Post, "/api/operator/recommendations/retrain", r => r.Headers.Add("x-functions-key", "test-operator-kez"))),
        new("operator key with different case", 401, f => Raw(HttpMethod.Post, "/api/operator/videos/" + f.AliceVideo + "/reprocess", r => r.Headers.Add("x-functions-key", FunctionsAppFactory.OperatorKey.ToUpperInvariant()))),
        new("operator key as a query string", 401, f => Raw(HttpMethod.Post, "/api/operator/videos/" + f.AliceVideo + "/reprocess?code=" + FunctionsAppFactory.OperatorKey, _ => { })),
        new("operator key on a user route", 401, f => Raw(HttpMethod.Get, "/api/videos", r => r.Headers.Add("x-functions-key", FunctionsAppFactory.OperatorKey))),
        new("reprocess a video still uploading", 409, f => Raw(HttpMethod.Post, "/api/operator/videos/" + f.AliceVideo + "/reprocess", r => r.Headers.Add("x-functions-key", FunctionsAppFactory.OperatorKey))),
        new("reprocess a path-traversal id", 404, f => Raw(HttpMethod.Post, "/api/operator/videos/..%2F..%2Fmedia/reprocess", r => r.Headers.Add("x-functions-key", FunctionsAppFactory.OperatorKey))),

        // Other users' videos.
        new("bob reads alice's unpublished video", 404, f => Get("/api/videos/" + f.AliceVideo, f.BobToken)),
        new("bob deletes alice's video", 404, f => Send(HttpMethod.Delete, "/api/videos/" + f.AliceVideo, f.BobToken, null)),
        new("bob uploads into alice's video", 404, f => Send(HttpMethod.Post, $"/api/uploads/{f.AliceVideo}/file", f.BobToken, Multipart(withFile: true))),
        new("delete an unknown video", 404, f => Send(HttpMethod.Delete, "/api/videos/" + Guid.NewGuid().ToString("N"), f.AliceToken, null)),

        // Path traversal and odd ids.
        new("encoded ../ in a video id", 404, f => Get("/api/videos/..%2F..%2Fuploads", f.AliceToken)),
        new("%2e%2e as a video id", 404, f => Get("/api/videos/%2e%2e", f.AliceToken)),
        new("delete with an encoded traversal", 404, f => Send(HttpMethod.Delete, "/api/videos/..%2F" + f.AliceVideo, f.AliceToken, null)),
        new("delete with an absolute path as the id", 404, f => Send(HttpMethod.Delete, "/api/videos/%2Fetc%2Fpasswd", f.AliceToken, null)),
        new("upload file into a traversal id", 404, f => Send(HttpMethod.Post, "/api/uploads/..%2F..%2Fmedia/file", f.AliceToken, Multipart(withFile: true))),
        new("upper-case video id", 404, f => Get("/api/videos/" + f.AliceVideo.ToUpperInvariant(), f.AliceToken)),
        new("file name with ../", 400, f => CreateUpload(f, "../../etc/passwd")),
        new("absolute file name", 400, f => CreateUpload(f, "/var/data/x.mp4")),
        new("windows path file name", 400, f => CreateUpload(f, "C:\\Users\\x.mp4")),
        new("NUL in the file name", 400, f => CreateUpload(f, "clip\u0000.mp4")),
        new("256-character file name", 400, f => CreateUpload(f, new string('名', 252) + ".mp4")),
        new("right-to-left override in the file name", 400, f => CreateUpload(f, "clip\u202Egpj.mp4")),
        new("right-to-left isolate in the file name", 400, f => CreateUpload(f, "clip\u2067gpj.mp4\u2069")),
        new("right-to-left mark in the file name", 400, f => CreateUpload(f, "clip\u200F.mp4")),
        new("zero-width space in the file name", 400, f => CreateUpload(f, "cl\u200Bip.mp4")),
        new("BEL in the file name", 400, f => CreateUpload(f, "clip\u0007.mp4")),
        new("byte-order mark in the file name", 400, f => CreateUpload(f, "\uFEFFclip.mp4")),
        new("similar videos of a traversal id", 400, f => Get("/api/videos/..%2F..%2Fx/similar", f.AliceToken)),

        // Bodies and content types.
        new("create upload as text/plain", 415, f => Send(HttpMethod.Post, "/api/uploads", f.AliceToken, new StringContent("{\"fileName\":\"a.mp4\"}", Encoding.UTF8, "text/plain"))),
        new("create upload without a body", 400, f => Send(HttpMethod.Post, "/api/uploads", f.AliceToken, new StringContent(string.Empty, Encoding.UTF8, Json))),
        new("truncated JSON", 400, f => Send(HttpMethod.Post, "/api/uploads", f.AliceToken, new StringContent("{\"fileName\":\"a.mp4\",", Encoding.UTF8, Json))),
        new("deeply nested JSON", 400, f => Send(HttpMethod.Post, "/api/uploads", f.AliceToken, new StringContent(new string('[', 5000) + new string(']', 5000), Encoding.UTF8, Json))),
        new("deeply nested JSON in a field", 400, f => Send(HttpMethod.Post, "/api/uploads", f.AliceToken, new StringContent("{\"fileName\":" + new string('[', 2000) + new string(']', 2000) + "}", Encoding.UTF8, Json))),
        new("negative size", 400, f => CreateUpload(f, "a.mp4", sizeBytes: "-1")),
        new("NaN size", 400, f => CreateUpload(f, "a.mp4", sizeBytes: "NaN")),
        new("size as a string NaN", 400, f => CreateUpload(f, "a.mp4", sizeBytes: "\"NaN\"")),
        new("size 1e300", 400, f => CreateUpload(f, "a.mp4", sizeBytes: "1e300")),
        new("size over the limit", 413, f => CreateUpload(f, "a.mp4", sizeBytes: "99999999999999")),
        new("executable content type", 400, f => CreateUpload(f, "a.mp4", contentType: "application/x-msdownload")),
        new("unicode look-alike content type", 400, f => CreateUpload(f, "a.mp4", contentType: "vidеo/mp4")), // Cyrillic е
        new("multipart without a file", 400, f => Send(HttpMethod.Post, $"/api/uploads/{f.AliceVideo}/file", f.AliceToken, Multipart(withFile: false))),
        new("file upload as JSON", 415, f => Send(HttpMethod.Post, $"/api/uploads/{f.AliceVideo}/file", f.AliceToken, JsonBody(new { data = "AAAA" }))),
        new("multipart without a boundary", 415, f => Send(HttpMethod.Post, $"/api/uploads/{f.AliceVideo}/file", f.AliceToken, new StringContent("--x\r\n", Encoding.UTF8, "multipart/form-data"))),
        new("list with count 0", 400, f => Get("/api/videos?count=0", f.AliceToken)),
        new("list with a forged cursor", 400, f => Get("/api/videos?cursor=%00%00garbage", f.AliceToken)),
        new("recommendations with a negative count", 400, f => Get("/api/recommendations?count=-5", f.AliceToken)),
        new("recommendations with a non-numeric count", 400, f => Get("/api/recommendations?count=NaN", f.AliceToken)),

        // Events.
        new("replayed event id (stored once)", 202, f => Send(HttpMethod.Post, "/api/events", f.AliceToken, JsonBody(new { events = new[] { HostileFixture.Event(f.StoredEventId, f.AliceVideo, 3) } }))),
        new("negative watched seconds", 202, f => Send(HttpMethod.Post, "/api/events", f.AliceToken, JsonBody(new { events = new[] { HostileFixture.Event("evt-neg-" + Guid.NewGuid().ToString("N"), f.AliceVideo, -4) } }))),
        new("NaN watched seconds", 400, f => Send(HttpMethod.Post, "/api/events", f.AliceToken, new StringContent("{\"events\":[{\"eventId\":\"e1\",\"type\":\"view\",\"videoId\":\"v\",\"watchedSeconds\":NaN}]}", Encoding.UTF8, Json))),
        new("event id with ../", 202, f => Send(HttpMethod.Post, "/api/events", f.AliceToken, JsonBody(new { events = new[] { HostileFixture.Event("../../x", f.AliceVideo, 1) } }))),
        new("empty event batch", 400, f => Send(HttpMethod.Post, "/api/events", f.AliceToken, JsonBody(new { events = Array.Empty<object>() }))),
        new("event batch over the limit", 413, f => Send(HttpMethod.Post, "/api/events", f.AliceToken, JsonBody(new { events = Enumerable.Range(0, 101).Select(i => HostileFixture.Event("evt-many-" + i, f.AliceVideo, 1)).ToArray() }))),
        new("events without a token", 401, f => Send(HttpMethod.Post, "/api/events", null, JsonBody(new { events = new[] { HostileFixture.Event("evt-anon", f.AliceVideo, 1) } }))),

        // Playback.
        new("bob plays alice's unpublished video", 404, f => Get($"/api/videos/{f.AliceVideo}/playback", f.BobToken)),
        new("playback of a traversal id", 400, f => Get("/api/videos/..%2F..%2Fmedia/playback", f.AliceToken)),
        new("master playlist without a playback token", 403, f => Get($"/api/play/{f.AliceVideo}/master.m3u8", null)),
        new("master playlist with a forged playback token", 403, f => Get($"/api/play/{f.AliceVideo}/master.m3u8?token=AAAA.BBBB", null)),
        new("media playlist with a traversal rendition", 403, f => Get($"/api/play/{f.AliceVideo}/..%2F..%2Fuploads/index.m3u8?token=AAAA.BBBB", null)),
        new("playlist with a user token instead of a playback token", 403, f => Get($"/api/play/{f.AliceVideo}/master.m3u8?token=" + f.AliceToken, f.AliceToken)),

        // Templates.
        new("template manifest without a token", 401, f => Get("/api/templates/manifest", null)),
        new("template manifest with a negative version", 400, f => Get("/api/templates/manifest?since=-1", f.AliceToken)),
        new("template recommendations for 0 images", 400, f => Get("/api/templates/recommendations?imageCount=0", f.AliceToken)),
        new("timeline of an unknown template", 404, f => Send(HttpMethod.Post, "/api/templates/no-such-template/timeline", f.AliceToken, JsonBody(new { imageCount = 3 }))),
        new("timeline with deeply nested JSON", 400, f => Send(HttpMethod.Post, "/api/templates/t1/timeline", f.AliceToken, new StringContent(new string('{', 3000), Encoding.UTF8, Json))),
        new("template admin write with a user token", 401, f => Send(HttpMethod.Put, "/api/operator/templates/t1", f.AliceToken, JsonBody(new { id = "t1" }))),
        new("template admin write with malformed JSON", 400, f => Operator(HttpMethod.Put, "/api/operator/templates/t1", new StringContent("{\"id\":", Encoding.UTF8, Json))),
        new("template admin write to a traversal id", 400, f => Operator(HttpMethod.Put, "/api/operator/templates/..%2F..%2Fx", JsonBody(new { id = "../../x" }))),
        new("publish an unknown template", 404, f => Operator(HttpMethod.Post, "/api/operator/templates/no-such-template/publish", null)),
        new("review decision with malformed JSON", 400, f => Operator(HttpMethod.Post, "/api/operator/videos/" + f.AliceVideo + "/review", new StringContent("{\"decision\":", Encoding.UTF8, Json))),
        new("review decision for an unknown video", 404, f => Operator(HttpMethod.Post, "/api/operator/videos/" + new string('a', 32) + "/review", JsonBody(new { decision = "approve" }))),
        new("review decision on a video not in review", 409, f => Operator(HttpMethod.Post, "/api/operator/videos/" + f.AliceVideo + "/review", JsonBody(new { decision = "approve" }))),
        new("review decision with a user token", 401, f => Send(HttpMethod.Post, "/api/operator/videos/" + f.AliceVideo + "/review", f.AliceToken, JsonBody(new { decision = "approve" }))),
        new("review queue with count 0", 400, f => Operator(HttpMethod.Get, "/api/operator/reviews?count=0", null)),
        new("WeChat push without a signature", 400, f => Send(HttpMethod.Post, "/api/wechat/push", null, new StringContent("{\"MsgType\":\"event\"}", Encoding.UTF8, Json))),
        new("WeChat URL check with a forged signature", 403, f => Get("/api/wechat/push?signature=" + new string('0', 40) + "&timestamp=1&nonce=2&echostr=x", null)),

        // Sign-in.
        new("login with a number as code", 400, f => Send(HttpMethod.Post, "/api/auth/login", null, new StringContent("{\"code\":12345}", Encoding.UTF8, Json))),
        new("login as form data", 415, f => Send(HttpMethod.Post, "/api/auth/login", null, new FormUrlEncodedContent([new("code", "dev:alice")]))),
        new("login with a 10 KB code", 400, f => Send(HttpMethod.Post, "/api/auth/login", null, JsonBody(new { code = new string('x', 10_000) }))),
        new("login with a right-to-left override", 400, f => Send(HttpMethod.Post, "/api/auth/login", null, JsonBody(new { code = "dev:ali\u202Ece" }))),
    }.ToDictionary(c => c.Name);

    public static TheoryData<string> CaseNames => new(Cases.Keys);

    [Theory]
    [MemberData(nameof(CaseNames))]
    public async Task HostileRequest_AnswersExactStatus_StateUnchanged(string name)
    {
        var hostile = Cases[name];
        var before = await fixture.SnapshotAsync();

        using var request = hostile.Build(fixture);
        using var response = await fixture.App.CreateClient().SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(hostile.Status, (int)response.StatusCode);
        AssertNoInternals(body);
        Assert.Equal(before, await fixture.SnapshotAsync());
    }

    [Fact]
    public void Suite_HasAtLeastFortyDistinctCases()
    {
        Assert.True(Cases.Count >= 40, $"{Cases.Count} cases");
    }

    [Fact]
    public async Task BodyUserId_Ignored_UploadBelongsToTokenUser()
    {
        using var response = await fixture.Client(fixture.AliceToken).PostAsJsonAsync("/api/uploads", new { fileName = "a.mp4", contentType = "video/mp4", sizeBytes = 10, ownerId = "dev-bob", userId = "dev-bob" });
        var videoId = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("videoId").GetString()!;

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("dev-alice", (await fixture.App.Services.GetRequiredService<IVideoCatalog>().GetAsync(videoId, default))!.OwnerId);
        Assert.Equal(HttpStatusCode.NotFound, (await fixture.Client(fixture.BobToken).GetAsync("/api/videos/" + videoId)).StatusCode);
    }

    [Fact]
    public async Task CreateUpload_BidiOverrideInFileName_ProblemNamesFileName_NothingCreated()
    {
        var before = await fixture.SnapshotAsync();

        using var request = CreateUpload(fixture, "clip\u202Egpj.mp4");
        using var response = await fixture.App.CreateClient().SendAsync(request);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(Serverless.Problems.TypeBase + "invalid-upload", problem.GetProperty("type").GetString());
        var errors = problem.GetProperty("errors");
        Assert.Equal(["fileName"], errors.EnumerateObject().Select(e => e.Name));
        Assert.Contains("U+202E", errors.GetProperty("fileName")[0].GetString(), StringComparison.Ordinal);
        Assert.Equal(before, await fixture.SnapshotAsync());
    }

    [Theory]
    [InlineData("我的视频.mp4", "我的视频.mp4")]
    [InlineData("家庭👨\u200D👩\u200D👧 🏴\U000E0067\U000E0062\U000E0073\U000E0063\U000E0074\U000E007F.mp4", "家庭👨\u200D👩\u200D👧 🏴\U000E0067\U000E0062\U000E0073\U000E0063\U000E0074\U000E007F.mp4")]
    [InlineData("  cafe\u0301.mp4 ", "caf\u00E9.mp4")]
    public async Task CreateUpload_RealWorldFileName_StoredTrimmedInNfc(string fileName, string stored)
    {
        using var request = CreateUpload(fixture, fileName);
        using var response = await fixture.App.CreateClient().SendAsync(request);
        var videoId = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("videoId").GetString()!;

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(stored, (await fixture.App.Services.GetRequiredService<IVideoCatalog>().GetAsync(videoId, default))!.FileName);
    }

    [Fact]
    public async Task UploadFile_BidiOverrideInPartFileName_StoredNameIsTheCreatedOne()
    {
        var alice = fixture.Client(fixture.AliceToken);
        using var created = await alice.PostAsJsonAsync("/api/uploads", new { fileName = "clip.mp4", contentType = "video/mp4", sizeBytes = 16 });
        var videoId = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("videoId").GetString()!;
        using var content = new MultipartFormDataContent { { new ByteArrayContent(new byte[16]), "file", "clip\u202Egpj.mp4" } };

        using var uploaded = await alice.PostAsync($"/api/uploads/{videoId}/file", content);

        // The part's file name is never stored: the catalog keeps the name the create call validated.
        Assert.Equal(HttpStatusCode.Accepted, uploaded.StatusCode);
        Assert.Equal("clip.mp4", (await fixture.App.Services.GetRequiredService<IVideoCatalog>().GetAsync(videoId, default))!.FileName);
    }

    [Fact]
    public async Task TamperedSas_Refused_NoBlobWritten()
    {
        var before = await fixture.SnapshotAsync();
        var url = fixture.AliceUploadUrl.ToString();
        var sigStart = url.IndexOf("sig=", StringComparison.Ordinal) + 4;
        var tamperedSig = url[..sigStart] + (url[sigStart] == 'A' ? 'B' : 'A') + url[(sigStart + 1)..];
        var otherBlob = url.Replace(fixture.AliceVideo, Guid.NewGuid().ToString("N"), StringComparison.Ordinal);
        var longerExpiry = System.Text.RegularExpressions.Regex.Replace(url, "se=[^&]+", "se=2099-01-01T00%3A00%3A00Z");
        var readInstead = url.Replace("sp=c", "sp=rcw", StringComparison.Ordinal);
        using var http = new HttpClient();

        foreach (var target in new[] { tamperedSig, otherBlob, longerExpiry, readInstead })
        {
            using var put = new HttpRequestMessage(HttpMethod.Put, target) { Content = new ByteArrayContent(new byte[16]) };
            put.Headers.Add("x-ms-blob-type", "BlockBlob");
            using var response = await http.SendAsync(put);
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        }

        Assert.Equal(before, await fixture.SnapshotAsync());
    }

    [Fact]
    public async Task OwnerDelete_UnpublishesAndDeletesMediaAndSource()
    {
        var alice = fixture.Client(fixture.AliceToken);
        using var created = await alice.PostAsJsonAsync("/api/uploads", new { fileName = "gone.mp4", contentType = "video/mp4", sizeBytes = 10 });
        var videoId = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("videoId").GetString()!;
        var blobs = fixture.App.Services.GetRequiredService<IBlobStore>();
        await blobs.UploadAsync(MediaLayout.UploadsContainer, MediaLayout.Source(videoId), new MemoryStream(new byte[10]), null, default);
        await blobs.UploadAsync(MediaLayout.Container, MediaLayout.MasterPlaylist(videoId), new MemoryStream("#EXTM3U\n"u8.ToArray()), null, default);

        using var deleted = await alice.DeleteAsync("/api/videos/" + videoId);
        using var again = await alice.DeleteAsync("/api/videos/" + videoId);

        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, again.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await alice.GetAsync("/api/videos/" + videoId)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await alice.GetAsync($"/api/videos/{videoId}/playback")).StatusCode);
        Assert.Equal(VideoStatus.Deleted, (await fixture.App.Services.GetRequiredService<IVideoCatalog>().GetAsync(videoId, default))!.Status);
        Assert.Empty(await blobs.ListAsync(MediaLayout.Container, MediaLayout.Prefix(videoId), default).ToListAsync());
        Assert.Empty(await blobs.ListAsync(MediaLayout.UploadsContainer, MediaLayout.Prefix(videoId), default).ToListAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await fixture.Client(fixture.BobToken).DeleteAsync("/api/videos/" + videoId)).StatusCode);
    }

    private static void AssertNoInternals(string body)
    {
        Assert.DoesNotContain("   at ", body, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", body, StringComparison.Ordinal);
        Assert.DoesNotContain("/work/", body, StringComparison.Ordinal);
        Assert.DoesNotContain(".cs:line", body, StringComparison.Ordinal);
    }

    private static HttpRequestMessage Get(string path, string? token) => Send(HttpMethod.Get, path, token, null);

    private static HttpRequestMessage Send(HttpMethod method, string path, string? token, HttpContent? content)
    {
        var request = new HttpRequestMessage(method, path) { Content = content };
        if (token is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + token);
        }

        return request;
    }

    private static HttpRequestMessage Operator(HttpMethod method, string path, HttpContent? content)
    {
        var request = new HttpRequestMessage(method, path) { Content = content };
        request.Headers.Add("x-functions-key", FunctionsAppFactory.OperatorKey);
        return request;
    }

    private static HttpRequestMessage Raw(HttpMethod method, string path, Action<HttpRequestMessage> configure)
    {
        var request = new HttpRequestMessage(method, path);
        configure(request);
        return request;
    }

    private static StringContent JsonBody(object value) => new(JsonSerializer.Serialize(value), Encoding.UTF8, Json);

    private static HttpRequestMessage CreateUpload(HostileFixture f, string fileName, string sizeBytes = "10", string contentType = "video/mp4") =>
        Send(HttpMethod.Post, "/api/uploads", f.AliceToken, new StringContent(
            "{\"fileName\":" + JsonSerializer.Serialize(fileName) + ",\"contentType\":" + JsonSerializer.Serialize(contentType) + ",\"sizeBytes\":" + sizeBytes + "}",
            Encoding.UTF8,
            Json));

    private static MultipartFormDataContent Multipart(bool withFile)
    {
        var content = new MultipartFormDataContent { { new StringContent("just a field"), "note" } };
        if (withFile)
        {
            content.Add(new ByteArrayContent(new byte[16]), "file", "../../../etc/clip.mp4");
        }

        return content;
    }

    private static string Tamper(string token, string from, string to)
    {
        var parts = token.Split('.');
        var payload = Encoding.UTF8.GetString(Base64UrlEncoder.DecodeBytes(parts[1])).Replace(from, to, StringComparison.Ordinal);
        return parts[0] + "." + Base64UrlEncoder.Encode(Encoding.UTF8.GetBytes(payload)) + "." + parts[2];
    }

    private static string AlgNone(string token)
    {
        var parts = token.Split('.');
        return Base64UrlEncoder.Encode("{\"alg\":\"none\",\"typ\":\"JWT\"}") + "." + parts[1] + ".";
    }

    /// <summary>The same claims under another algorithm, signed with HMAC-SHA512 over the test key (what a confused validator might accept).</summary>
    private static string Resign(string token, string alg)
    {
        var parts = token.Split('.');
        var header = Base64UrlEncoder.Encode("{\"alg\":\"" + alg + "\",\"kid\":\"test-current\",\"typ\":\"JWT\"}");
        var key = Convert.FromBase64String(FunctionsAppFactory.SigningKeys.Split(',')[0].Split(':')[1]);
        var signature = System.Security.Cryptography.HMACSHA512.HashData(key, Encoding.ASCII.GetBytes(header + "." + parts[1]));
        return header + "." + parts[1] + "." + Base64UrlEncoder.Encode(signature);
    }

    private sealed record HostileCase(string Name, int Status, Func<HostileFixture, HttpRequestMessage> Build);
}
