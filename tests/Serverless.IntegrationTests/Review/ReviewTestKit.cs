using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Serverless.IntegrationTests.Identity;
using Serverless.IntegrationTests.Infrastructure;

namespace Serverless.IntegrationTests.Review;

/// <summary>What the content review tests share: the app's settings against the fake WeChat, WeChat sign-in, uploads and waits.</summary>
internal static class ReviewTestKit
{
    public static Dictionary<string, string?> Settings(FakeWeChat wechat, string work, double deadlineMinutes, bool safeMode = false) => new()
    {
        ["WeChat:AppId"] = FakeWeChat.AppId,
        ["WeChat:AppSecret"] = FakeWeChat.AppSecret,
        ["WeChat:BaseUrl"] = wechat.BaseAddress.ToString(),
        ["Review:Enabled"] = "true",
        ["Review:PushToken"] = FakeWeChat.PushToken,
        ["Review:EncodingAesKey"] = safeMode ? FakeWeChat.EncodingAesKey : string.Empty,
        ["Review:FrameIntervalSeconds"] = "1",
        ["Review:VerdictDeadlineMinutes"] = deadlineMinutes.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Pipeline:RetryBaseDelaySeconds"] = "0.2",
        ["Media:WorkDirectory"] = Path.Combine(work, "media-work"),
    };

    /// <summary>Signs in through WeChat (the fake's openid is "o" + the code), so the uploads have an openid to be checked under.</summary>
    public static async Task<HttpClient> SignInWithWeChatAsync(HttpClient client, string code)
    {
        using var response = await client.PostAsJsonAsync("/api/auth/login", new { code });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var login = await response.Content.ReadFromJsonAsync<JsonElement>();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", login.GetProperty("token").GetString());
        return client;
    }

    /// <summary>Creates an upload and puts the clip at its upload URL; returns the video id.</summary>
    public static async Task<string> UploadAsync(HttpClient client, string clip)
    {
        using var created = await client.PostAsJsonAsync("/api/uploads", new { fileName = Path.GetFileName(clip), contentType = "video/mp4", sizeBytes = new FileInfo(clip).Length });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var body = await created.Content.ReadFromJsonAsync<JsonElement>();
        using var http = new HttpClient();
        using var put = new HttpRequestMessage(HttpMethod.Put, body.GetProperty("uploadUrl").GetString()) { Content = new ByteArrayContent(await File.ReadAllBytesAsync(clip)) };
        put.Headers.Add("x-ms-blob-type", "BlockBlob");
        Assert.Equal(HttpStatusCode.Created, (await http.SendAsync(put)).StatusCode);
        return body.GetProperty("videoId").GetString()!;
    }

    /// <summary>Waits until the owner sees the video in one of <paramref name="statuses"/> (and fails at once on a different end).</summary>
    public static async Task<JsonElement> WaitForStatusAsync(HttpClient owner, string videoId, TimeSpan timeout, params string[] statuses)
    {
        var clock = Stopwatch.StartNew();
        JsonElement status = default;
        while (clock.Elapsed < timeout)
        {
            status = await owner.GetFromJsonAsync<JsonElement>($"/api/videos/{videoId}");
            var now = status.GetProperty("status").GetString();
            if (statuses.Contains(now))
            {
                return status;
            }

            Assert.False(now is "Failed" or "Deleted", $"Video {videoId} ended {now}: {status}");
            await Task.Delay(200);
        }

        throw new TimeoutException($"Video {videoId} was not {string.Join("/", statuses)} within {timeout.TotalSeconds:0} s: {status}");
    }

    public static string Clip() => TestClips.Shared.GenerateAsync(new ClipSpec(320, 180, 2)).GetAwaiter().GetResult();
}

/// <summary>
/// An app with the review on, against the fake WeChat, in a storage account of its own: in a shared one, another class's
/// app (review off) could take an upload event and publish the video unchecked. Pushes go to this app.
/// </summary>
internal sealed class ReviewApp : IAsyncDisposable
{
    private readonly FakeWeChat _wechat;
    private readonly string _work;

    private ReviewApp(FakeWeChat wechat, string work, FunctionsAppFactory app)
    {
        _wechat = wechat;
        _work = work;
        App = app;
    }

    public FunctionsAppFactory App { get; }

    /// <summary>The app's own temp folder (its media work folder is under it).</summary>
    public string Work => _work;

    /// <param name="settings">Settings over the review's (given the app's work folder).</param>
    public static async Task<ReviewApp> StartAsync(FakeWeChat wechat, double deadlineMinutes, bool safeMode = false, Func<string, IReadOnlyDictionary<string, string?>>? settings = null)
    {
        var storage = await AzuriteFixture.NewAccountAsync();
        var work = Directory.CreateTempSubdirectory("review-").FullName;
        var values = ReviewTestKit.Settings(wechat, work, deadlineMinutes, safeMode);
        foreach (var (key, value) in settings?.Invoke(work) ?? new Dictionary<string, string?>())
        {
            values[key] = value;
        }

        var app = new FunctionsAppFactory(storage.ConnectionString, values);
        wechat.PushTo = app.CreateClient();
        wechat.SafeMode = safeMode;
        return new ReviewApp(wechat, work, app);
    }

    public async ValueTask DisposeAsync()
    {
        _wechat.PushTo = null;
        await App.DisposeAsync();
        Directory.Delete(_work, recursive: true);
    }
}

