using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Serverless.Functions;
using Serverless.IntegrationTests.Infrastructure;

namespace Serverless.IntegrationTests.RealHost;

/// <summary>
/// The deployment package under the Functions host, as an operator runs it: every setting of local.settings.sample.json as
/// an environment variable (app settings in Azure), storage in an account of its own on the run's Azurite, and Event Grid's
/// part played by the uploads watcher. A few settings differ from the sample on purpose: the upload queue and the task hub
/// have other names (so the suite proves the host resolves them), the timers fire every few seconds, and the keys are the
/// tests' own.
/// </summary>
public sealed class RealHostApp : IAsyncDisposable
{
    public const string UploadQueue = "conformance-uploads";

    private readonly string _work;
    private EventGridProcess? _events;

    private RealHostApp(FunctionsHostLocation location, string package, AzuriteAccount storage, string work, Dictionary<string, string> settings)
    {
        Location = location;
        Package = package;
        Storage = storage;
        _work = work;
        Settings = settings;
    }

    public FunctionsHostLocation Location { get; }

    public string Package { get; }

    public AzuriteAccount Storage { get; }

    public IReadOnlyDictionary<string, string> Settings { get; }

    public FunctionsHostProcess Host { get; private set; } = null!;

    /// <summary>Publishes (once per run), starts the uploads watcher and the host. Fails, saying how to get one, when no host is found.</summary>
    public static async Task<RealHostApp> StartAsync(string taskHub, IReadOnlyDictionary<string, string>? overrides = null)
    {
        var location = FunctionsHostLocation.Find() ?? throw new InvalidOperationException(FunctionsHostLocation.HowToGetOne);
        var (package, _) = await DeploymentPackage.GetAsync();
        var storage = await AzuriteFixture.NewAccountAsync();
        var work = Directory.CreateTempSubdirectory("real-host-").FullName;
        var settings = RepoFiles.SampleSettings().Where(s => s.Value is not null).ToDictionary(s => s.Key, s => s.Value!, StringComparer.OrdinalIgnoreCase);
        foreach (var (key, value) in new Dictionary<string, string>
        {
            ["AzureWebJobsStorage"] = storage.ConnectionString,
            ["Identity__OperatorKeys"] = FunctionsAppFactory.OperatorKey,
            ["Identity__SigningKeys"] = FunctionsAppFactory.SigningKeys,
            ["Identity__UserIdKey"] = FunctionsAppFactory.UserIdKey,
            ["Playback__SigningKey"] = FunctionsAppFactory.PlaybackSigningKey,
            ["Media__WorkDirectory"] = Path.Combine(work, "media"),
            ["Media__FfmpegPath"] = Path.Combine(package, "tools", "ffmpeg"),
            ["Media__FfprobePath"] = Path.Combine(package, "tools", "ffprobe"),
            ["Media__Preset"] = "ultrafast",
            ["Pipeline__UploadQueue"] = UploadQueue,
            ["Pipeline__RetryBaseDelaySeconds"] = "0.2",
            ["Pipeline__SweepSchedule"] = "*/2 * * * * *",
            ["Pipeline__StuckAfterSeconds"] = "5",
            ["Recommendations__RetrainSchedule"] = "*/5 * * * * *",
            ["AzureFunctionsJobHost__extensions__durableTask__hubName"] = taskHub,
        })
        {
            settings[key] = value;
        }

        foreach (var (key, value) in overrides ?? new Dictionary<string, string>())
        {
            settings[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        var app = new RealHostApp(location, package, storage, work, settings);
        app._events = EventGridProcess.Start(new Dictionary<string, string>
        {
            ["AzureWebJobsStorage"] = storage.ConnectionString,
            [BindingSettings.UploadQueue] = UploadQueue,
        });
        app.Host = await FunctionsHostProcess.StartAsync(location, package, settings);
        return app;
    }

    /// <summary>Starts the host again on the same package, storage and settings (after <see cref="FunctionsHostProcess.KillAsync"/>).</summary>
    public async Task RestartHostAsync()
    {
        await Host.DisposeAsync();
        Host = await FunctionsHostProcess.StartAsync(Location, Package, Settings);
    }

    public async ValueTask DisposeAsync()
    {
        if (Host is not null)
        {
            await Host.DisposeAsync();
        }

        if (_events is not null)
        {
            await _events.DisposeAsync();
        }

        try
        {
            Directory.Delete(_work, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>The upload and status calls the real-host tests make, as the mini-program makes them.</summary>
public static class VideoApi
{
    public static async Task<JsonElement> CreateUploadAsync(HttpClient client, string clip)
    {
        using var created = await client.PostAsJsonAsync("/api/uploads", new { fileName = "clip.mp4", contentType = "video/mp4", sizeBytes = new FileInfo(clip).Length });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        return await created.Content.ReadFromJsonAsync<JsonElement>();
    }

    public static async Task PutAsync(string uploadUrl, string clip)
    {
        using var http = new HttpClient();
        using var put = new HttpRequestMessage(HttpMethod.Put, uploadUrl) { Content = new ByteArrayContent(await File.ReadAllBytesAsync(clip)) };
        put.Headers.Add("x-ms-blob-type", "BlockBlob");
        Assert.Equal(HttpStatusCode.Created, (await http.SendAsync(put)).StatusCode);
    }

    public static async Task<string> UploadAsync(HttpClient client, string clip)
    {
        var created = await CreateUploadAsync(client, clip);
        await PutAsync(created.GetProperty("uploadUrl").GetString()!, clip);
        return created.GetProperty("videoId").GetString()!;
    }

    public static async Task<JsonElement> WaitForStatusAsync(HttpClient client, string videoId, string wanted, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        JsonElement status = default;
        while (clock.Elapsed < timeout)
        {
            status = await client.GetFromJsonAsync<JsonElement>($"/api/videos/{videoId}");
            var now = status.GetProperty("status").GetString();
            if (now == wanted)
            {
                return status;
            }

            Assert.False(now is "Failed" or "Deleted" or "Rejected", $"Video {videoId} ended {now}: {status}");
            await Task.Delay(250);
        }

        throw new TimeoutException($"Video {videoId} was not {wanted} within {timeout.TotalSeconds:0} s: {status}");
    }

}
