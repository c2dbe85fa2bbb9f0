using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Serverless.IntegrationTests.Infrastructure;
using Serverless.IntegrationTests.Reliability;
using Serverless.Videos;
using Xunit.Abstractions;

namespace Serverless.IntegrationTests.RealHost;

/// <summary>
/// A crash under the Functions host: kill -9 of the host and its worker while a video transcodes, then the host started
/// again, as the platform restarts a dead instance. The Durable extension (its Azure Storage provider, with host.json's
/// settings: a dequeued control message hidden 1 min, a work item 30 s) must finish the video; nothing of ours resumes it.
/// Its recovery time is recorded as a reliability row (printed at the end of ./dev.sh test).
/// </summary>
[Trait("Category", "RealHost")]
public sealed class RealHostCrashTests(ITestOutputHelper output) : IAsyncLifetime
{
    private RealHostApp _app = null!;
    private string _tools = null!;

    public async Task InitializeAsync()
    {
        // ffmpeg reading at the clip's own pace: the transcode lasts at least the clip's 6 s whatever the machine's load.
        _tools = Directory.CreateTempSubdirectory("real-host-ffmpeg-").FullName;
        _app = await RealHostApp.StartAsync("CrashHub", new Dictionary<string, string> { ["Media:FfmpegPath"] = PacedFfmpeg.Create(_tools) });
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        Directory.Delete(_tools, recursive: true);
    }

    [Fact]
    public async Task KillHostAndWorkerMidTranscode_RestartedHost_DurableFinishesTheVideo()
    {
        var clip = await TestClips.Shared.GenerateAsync(new ClipSpec(320, 180, 6));
        var user = "real-host-crash";
        string videoId;
        using (var client = _app.Host.CreateClient().As(user))
        {
            videoId = await VideoApi.UploadAsync(client, clip);
            await Eventually.TrueAsync(
                async () =>
                {
                    var status = await client.GetFromJsonAsync<JsonElement>($"/api/videos/{videoId}");
                    return status.GetProperty("stage").GetString() == nameof(PipelineStep.TranscodeLadder) && status.GetProperty("progress").GetDouble() > 0;
                },
                TimeSpan.FromSeconds(120),
                "the video was transcoding");
        }

        await _app.Host.KillAsync();
        var clock = Stopwatch.StartNew();
        await _app.RestartHostAsync();
        using var again = _app.Host.CreateClient().As(user);
        var ready = await VideoApi.WaitForStatusAsync(again, videoId, "Ready", TimeSpan.FromMinutes(5));
        var recovery = clock.Elapsed.TotalSeconds;

        ReliabilityReport.Record(
            new ReliabilityRow("kill -9 under the Functions host (host + worker, mid-transcode)", 1, 1, 1, 0, 0, 0, 0, MaxRecoverySeconds: recovery,
                Notes: "recovery = host restart to Ready (host start included), with host.json's Durable settings"),
            output);
        Assert.Equal(100, ready.GetProperty("progress").GetDouble());
        Assert.NotEmpty(ready.GetProperty("renditions").EnumerateArray());
    }
}
