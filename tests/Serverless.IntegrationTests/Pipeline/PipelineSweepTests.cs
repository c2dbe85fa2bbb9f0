using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Serverless.IntegrationTests.Infrastructure;
using Serverless.Pipeline;
using Serverless.Storage;

namespace Serverless.IntegrationTests.Pipeline;

/// <summary>The stuck-work sweep on its own storage (no other app may consume its messages), under a fake clock.</summary>
public sealed class PipelineSweepTests : IAsyncLifetime
{
    private readonly AzuriteProcess _azurite = new();
    private readonly FakeTime _time = new(DateTimeOffset.UtcNow);
    private WebApplicationFactory<Program> _app = null!;

    public async Task InitializeAsync()
    {
        await _azurite.InitializeAsync();
        _app = new FunctionsAppFactory(_azurite.ConnectionString, new Dictionary<string, string?> { ["LocalRuntime:Enabled"] = "false" })
            .WithWebHostBuilder(b => b.ConfigureTestServices(s => s.AddSingleton<TimeProvider>(_time)));
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _azurite.DisposeAsync();
    }

    [Fact]
    public async Task Sweep_UploadWhoseEventWasLost_StartsThePipeline()
    {
        var videoId = await CreateUploadWithFile();
        var runner = _app.Services.GetRequiredService<PipelineRunner>();

        Assert.Equal(0, await runner.SweepAsync(default));
        _time.Advance(TimeSpan.FromMinutes(20));
        Assert.Equal(1, await runner.SweepAsync(default));

        var entry = await Entry(videoId);
        Assert.Equal(VideoStatus.Processing, entry.Video.Status);
        Assert.Equal(PipelineStep.ProbeSource, entry.State!.Current);
        Assert.Equal(1, await StepMessages());
    }

    [Fact]
    public async Task Sweep_StepMessageLost_ResendsItThenFailsWhenOutOfAttempts()
    {
        var videoId = await CreateUploadWithFile();
        var runner = _app.Services.GetRequiredService<PipelineRunner>();
        await runner.StartAsync(videoId, default);
        var queues = _app.Services.GetRequiredService<IQueueStore>();
        foreach (var message in await queues.ReceiveAsync(PipelineOptions.StepQueue, 32, TimeSpan.FromMinutes(5), default))
        {
            await queues.DeleteAsync(PipelineOptions.StepQueue, message, default); // the message is lost
        }

        _time.Advance(TimeSpan.FromMinutes(20));
        Assert.Equal(1, await runner.SweepAsync(default));
        Assert.Equal(1, (await Entry(videoId)).State!.Resumes);
        Assert.Equal(1, await StepMessages());
        Assert.Equal(0, await runner.SweepAsync(default));

        // A worker that keeps dying on the step: the row shows it running, attempts used up, no heartbeat.
        await _app.Services.GetRequiredService<VideoRepository>().UpdateAsync(
            videoId,
            e => e with { State = PipelineOrchestrator.OnStarted(e.State!, PipelineStep.ProbeSource, 3, _time.GetUtcNow()) },
            default);
        _time.Advance(TimeSpan.FromMinutes(20));
        Assert.Equal(1, await runner.SweepAsync(default));

        var failed = await Entry(videoId);
        Assert.Equal(VideoStatus.Failed, failed.Video.Status);
        Assert.Contains("3 attempts", failed.Video.Error, StringComparison.Ordinal);
        Assert.NotNull(await _app.Services.GetRequiredService<IBlobStore>().GetInfoAsync(MediaLayout.UploadsContainer, MediaLayout.Source(videoId), default));
    }

    [Fact]
    public async Task Sweep_UploadWhoseFileNeverArrived_FailedAfterItsExpiry()
    {
        var client = _app.CreateClient().As("sweeper");
        var response = await client.PostAsJsonAsync("/api/uploads", new { fileName = "a.mp4", contentType = "video/mp4", sizeBytes = 4 });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var videoId = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("videoId").GetString()!;
        var runner = _app.Services.GetRequiredService<PipelineRunner>();

        // Stale, but its file may still come within the expiry (24 h by default): left alone.
        _time.Advance(TimeSpan.FromHours(1));
        Assert.Equal(0, await runner.SweepAsync(default));
        Assert.Equal(VideoStatus.Uploading, (await Entry(videoId)).Video.Status);

        _time.Advance(TimeSpan.FromHours(23));
        Assert.Equal(1, await runner.SweepAsync(default));
        var failed = await Entry(videoId);
        Assert.Equal(VideoStatus.Failed, failed.Video.Status);
        Assert.Equal(PipelineRunner.UploadNeverCompleted, failed.Video.Error);
        Assert.Equal(0, await runner.SweepAsync(default));

        // A file arriving after all is not processed: the video stays Failed with its reason.
        await _app.Services.GetRequiredService<IBlobStore>().UploadAsync(
            MediaLayout.UploadsContainer, MediaLayout.Source(videoId), new MemoryStream([1, 2, 3, 4]), null, default);
        await runner.StartAsync(videoId, default);
        Assert.Equal(VideoStatus.Failed, (await Entry(videoId)).Video.Status);
        Assert.Equal(0, await StepMessages());
    }

    private async Task<string> CreateUploadWithFile()
    {
        var client = _app.CreateClient().As("sweeper");
        var response = await client.PostAsJsonAsync("/api/uploads", new { fileName = "a.mp4", contentType = "video/mp4", sizeBytes = 4 });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var videoId = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("videoId").GetString()!;
        await _app.Services.GetRequiredService<IBlobStore>().UploadAsync(
            MediaLayout.UploadsContainer, MediaLayout.Source(videoId), new MemoryStream([1, 2, 3, 4]), null, default);
        return videoId;
    }

    private async Task<VideoEntry> Entry(string videoId) =>
        (await _app.Services.GetRequiredService<VideoRepository>().GetEntryAsync(videoId, default))!;

    private async Task<int> StepMessages() =>
        (await _app.Services.GetRequiredService<IQueueStore>().PeekAsync(PipelineOptions.StepQueue, 32, default)).Count;
}
