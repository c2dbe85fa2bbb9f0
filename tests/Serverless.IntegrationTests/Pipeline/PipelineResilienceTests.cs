using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Serverless.IntegrationTests.Infrastructure;
using Serverless.Pipeline;
using Serverless.Storage;

namespace Serverless.IntegrationTests.Pipeline;

/// <summary>
/// The app as real processes: killed mid-transcode, and two instances on one storage account. Each test has its own
/// Azurite: on the shared one, other tests' in-process apps would pick up these uploads.
/// </summary>
public sealed class PipelineResilienceTests : IAsyncLifetime
{
    private static readonly IReadOnlyDictionary<string, string> FastRecovery = new Dictionary<string, string>
    {
        // A killed worker's activity message comes back once its visibility timeout lapses (the provider renews it only
        // while the process lives): the restarted app runs the step again. Shorter than host.json's 30 s, to keep the test short.
        [DurableOverride("storageProvider:workItemQueueVisibilityTimeout")] = "00:00:10",
        ["Pipeline:RetryBaseDelaySeconds"] = "0.2",
    };

    private string _work = null!;

    private readonly AzuriteProcess _azurite = new();

    public async Task InitializeAsync()
    {
        _work = Directory.CreateTempSubdirectory("pipeline-resilience-").FullName;
        await _azurite.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await _azurite.DisposeAsync();
        Directory.Delete(_work, recursive: true);
    }

    [Fact]
    public async Task KillDuringTranscode_RestartedApp_ResumesToReadyWithCompleteOutputs()
    {
        var clip = await TestClips.Shared.GenerateAsync(new ClipSpec(1280, 720, 10));
        var settings = WithWorkDirectory(FastRecovery, "crash");
        string videoId;
        await using (var first = await AppProcess.StartAsync(_azurite.ConnectionString, settings))
        {
            var client = first.CreateClient().As("crash-user");
            videoId = await Upload(client, clip);
            var clock = Stopwatch.StartNew();
            while (true)
            {
                var status = await client.GetFromJsonAsync<JsonElement>($"/api/videos/{videoId}");
                // Mid-ffmpeg: progress reaches 95 when ffmpeg ends and the renditions start uploading.
                if (status.GetProperty("stage").GetString() == nameof(PipelineStep.TranscodeLadder) && status.GetProperty("progress").GetDouble() is > 0 and < 80)
                {
                    break;
                }

                Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"never reached the transcode: {status}\n{first.Output}");
                Assert.NotEqual("Ready", status.GetProperty("status").GetString());
                await Task.Delay(50);
            }

            await first.KillAsync();
        }

        await using var second = await AppProcess.StartAsync(_azurite.ConnectionString, settings);
        var final = await WaitForTerminal(second.CreateClient().As("crash-user"), videoId, second);

        Assert.Equal("Ready", final.GetProperty("status").GetString());
        var entry = await ReadEntry(videoId);
        Assert.True(entry.State![PipelineStep.TranscodeLadder].Attempts >= 2, "the transcode should have been taken over after the kill");
        await AssertCompleteOutputs(videoId, final);
    }

    [Fact]
    public async Task TwoInstances_SharedStorage_ProcessEachUploadOnce()
    {
        // host.json's Durable settings: nothing crashes here, so no activity may run twice.
        var settings = new Dictionary<string, string> { ["Media:WorkDirectory"] = Path.Combine(_work, "pair"), ["Pipeline:RetryBaseDelaySeconds"] = "0.2" };
        await using var a = await AppProcess.StartAsync(_azurite.ConnectionString, settings);
        await using var b = await AppProcess.StartAsync(_azurite.ConnectionString, settings);
        var clip = await TestClips.Shared.GenerateAsync(new ClipSpec(640, 360, 2));
        var ids = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            ids.Add(await Upload((i % 2 == 0 ? a : b).CreateClient().As("pair-user"), clip));
        }

        foreach (var id in ids)
        {
            var final = await WaitForTerminal(a.CreateClient().As("pair-user"), id, a);
            Assert.Equal("Ready", final.GetProperty("status").GetString());
            var entry = await ReadEntry(id);
            Assert.All(entry.State!.Steps.Values, s => Assert.Equal((StepStatus.Succeeded, 1), (s.Status, s.Attempts)));
            await AssertCompleteOutputs(id, final);
        }
    }

    private static string DurableOverride(string key) => "AzureFunctionsJobHost:extensions:durableTask:" + key;

    private Dictionary<string, string> WithWorkDirectory(IReadOnlyDictionary<string, string> settings, string name) =>
        new(settings) { ["Media:WorkDirectory"] = Path.Combine(_work, name) };

    private async Task<VideoEntry> ReadEntry(string videoId)
    {
        await using var reader = new FunctionsAppFactory(_azurite.ConnectionString, new Dictionary<string, string?> { ["LocalRuntime:Enabled"] = "false" });
        _ = reader.Server;
        var repository = reader.Services.GetRequiredService<VideoRepository>();
        return (await repository.GetEntryAsync(videoId, default))!;
    }

    /// <summary>Every rendition's playlist names exactly the segments stored under it: none missing, none left over.</summary>
    private async Task AssertCompleteOutputs(string videoId, JsonElement status)
    {
        await using var reader = new FunctionsAppFactory(_azurite.ConnectionString, new Dictionary<string, string?> { ["LocalRuntime:Enabled"] = "false" });
        _ = reader.Server;
        var blobs = reader.Services.GetRequiredService<IBlobStore>();
        var stored = new List<string>();
        await foreach (var blob in blobs.ListAsync(MediaLayout.Container, MediaLayout.Prefix(videoId), default))
        {
            stored.Add(blob.Name);
        }

        var expected = new List<string> { MediaLayout.MasterPlaylist(videoId), MediaLayout.Poster(videoId) };
        foreach (var rendition in status.GetProperty("renditions").EnumerateArray())
        {
            var name = rendition.GetProperty("name").GetString()!;
            var playlist = Serverless.Media.HlsPlaylists.ParseMedia((await blobs.ReadTextAsync(MediaLayout.Container, MediaLayout.RenditionPlaylist(videoId, name), default))!);
            expected.Add(MediaLayout.RenditionPlaylist(videoId, name));
            expected.AddRange(playlist.Segments.Select(s => MediaLayout.RenditionFolder(videoId, name) + s.Uri));
            Assert.Empty(Serverless.Media.PlaylistValidator.Validate(playlist, status.GetProperty("durationSeconds").GetDouble()));
        }

        Assert.Equal(expected.Order(StringComparer.Ordinal), stored.Order(StringComparer.Ordinal));
    }

    private static async Task<string> Upload(HttpClient client, string clip) =>
        (await Reliability.ReliabilityEnvironment.UploadAsync(client, "resilience", clip)).VideoId;

    private static async Task<JsonElement> WaitForTerminal(HttpClient client, string videoId, AppProcess app)
    {
        var clock = Stopwatch.StartNew();
        JsonElement status = default;
        while (clock.Elapsed < TimeSpan.FromSeconds(180))
        {
            status = await client.GetFromJsonAsync<JsonElement>($"/api/videos/{videoId}");
            if (status.GetProperty("status").GetString() is "Ready" or "Failed")
            {
                return status;
            }

            await Task.Delay(250);
        }

        throw new TimeoutException($"Video {videoId} did not finish: {status}\n{app.Output}");
    }
}
