using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using Serverless.IntegrationTests.Infrastructure;
using Serverless.Pipeline;
using Serverless.Storage;
using Serverless.Videos;

namespace Serverless.IntegrationTests.Pipeline;

/// <summary>The sweep on its own storage, with no Durable worker running (nothing consumes the task hub), under a fake clock.</summary>
public sealed class PipelineSweepTests : IAsyncLifetime
{
    private AzuriteAccount _storage = null!;
    private readonly FakeTime _time = new(DateTimeOffset.UtcNow);
    private WebApplicationFactory<Program> _app = null!;

    public async Task InitializeAsync()
    {
        _storage = await AzuriteFixture.NewAccountAsync();
        _app = new FunctionsAppFactory(_storage.ConnectionString, new Dictionary<string, string?> { ["LocalRuntime:Enabled"] = "false" })
            .WithWebHostBuilder(b => b.ConfigureTestServices(s => s.AddSingleton<TimeProvider>(_time)));
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
    }

    [Fact]
    public async Task Sweep_UploadWhoseEventWasLost_StartsItsOrchestrationOnce()
    {
        var videoId = await CreateUploadWithFile();
        var starter = _app.Services.GetRequiredService<PipelineStarter>();

        Assert.Equal(0, await starter.SweepAsync(Durable, default));
        _time.Advance(TimeSpan.FromMinutes(20));
        Assert.Equal(1, await starter.SweepAsync(Durable, default));

        // No worker runs here: the orchestration waits in the task hub, and a second sweep does not start another.
        var instance = await Durable.GetInstanceAsync(videoId, getInputsAndOutputs: true);
        Assert.NotNull(instance);
        Assert.Equal(OrchestrationRuntimeStatus.Pending, instance.RuntimeStatus);
        Assert.Equal(VideoPipeline.Name, instance.Name);
        Assert.Equal(videoId, instance.ReadInputAs<PipelineInput>()!.VideoId);
        Assert.Equal(0, await starter.SweepAsync(Durable, default));
        Assert.False(await starter.StartAsync(Durable, videoId, default));
    }

    [Fact]
    public async Task Sweep_ProcessingVideoWhoseOrchestrationIsGone_FailedWithAReasonAndTheUploadKept()
    {
        var videoId = await CreateUploadWithFile();
        await _app.Services.GetRequiredService<VideoRepository>().UpdateAsync(
            videoId,
            e => e with { Video = e.Video with { Status = VideoStatus.Processing, Stage = nameof(PipelineStep.TranscodeLadder) }, State = PipelineState.Start(_time.GetUtcNow()) },
            default);
        var starter = _app.Services.GetRequiredService<PipelineStarter>();
        Assert.Equal(0, await starter.SweepAsync(Durable, default));

        _time.Advance(TimeSpan.FromMinutes(20));
        Assert.Equal(1, await starter.SweepAsync(Durable, default));

        var failed = await Entry(videoId);
        Assert.Equal(VideoStatus.Failed, failed.Video.Status);
        Assert.Equal("The pipeline stopped without finishing.", failed.Video.Error);
        Assert.NotNull(await _app.Services.GetRequiredService<IBlobStore>().GetInfoAsync(MediaLayout.UploadsContainer, MediaLayout.Source(videoId), default));
        Assert.Equal(0, await starter.SweepAsync(Durable, default));
    }

    [Fact]
    public async Task Sweep_UploadWhoseFileNeverArrived_FailedAfterItsExpiry()
    {
        var client = _app.CreateClient().As("sweeper");
        var response = await client.PostAsJsonAsync("/api/uploads", new { fileName = "a.mp4", contentType = "video/mp4", sizeBytes = 4 });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var videoId = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("videoId").GetString()!;
        var starter = _app.Services.GetRequiredService<PipelineStarter>();

        // Stale, but its file may still come within the expiry (24 h by default): left alone.
        _time.Advance(TimeSpan.FromHours(1));
        Assert.Equal(0, await starter.SweepAsync(Durable, default));
        Assert.Equal(VideoStatus.Uploading, (await Entry(videoId)).Video.Status);

        _time.Advance(TimeSpan.FromHours(23));
        Assert.Equal(1, await starter.SweepAsync(Durable, default));
        var failed = await Entry(videoId);
        Assert.Equal(VideoStatus.Failed, failed.Video.Status);
        Assert.Equal(PipelineStarter.UploadNeverCompleted, failed.Video.Error);
        Assert.Equal(0, await starter.SweepAsync(Durable, default));

        // A file arriving after all is not processed: the video stays Failed with its reason.
        await _app.Services.GetRequiredService<IBlobStore>().UploadAsync(
            MediaLayout.UploadsContainer, MediaLayout.Source(videoId), new MemoryStream([1, 2, 3, 4]), null, default);
        Assert.False(await starter.StartAsync(Durable, videoId, default));
        Assert.Equal(VideoStatus.Failed, (await Entry(videoId)).Video.Status);
        Assert.Null(await Durable.GetInstanceAsync(videoId));
    }

    [Fact]
    public async Task Sweep_UploadFailedAsBadInput_FileDeletedAfterTheRetentionOnly_OtherFailuresKeepTheirs()
    {
        var junk = await CreateUploadWithFile();
        var unlucky = await CreateUploadWithFile();
        var activities = _app.Services.GetRequiredService<PipelineActivities>();
        await activities.FailVideoAsync(new FailVideoInput(junk, PipelineStep.ProbeSource, "The file is a text file, not a video file.", BadInput: true), default);
        await activities.FailVideoAsync(new FailVideoInput(unlucky, PipelineStep.TranscodeLadder, "Transcoding failed after 3 attempts: ffmpeg was killed."), default);
        var starter = _app.Services.GetRequiredService<PipelineStarter>();
        var blobs = _app.Services.GetRequiredService<IBlobStore>();

        _time.Advance(TimeSpan.FromDays(6.9));
        Assert.Equal(0, await starter.SweepAsync(Durable, default));
        Assert.NotNull(await blobs.GetInfoAsync(MediaLayout.UploadsContainer, MediaLayout.Source(junk), default));

        _time.Advance(TimeSpan.FromDays(0.2));
        Assert.Equal(1, await starter.SweepAsync(Durable, default));

        Assert.Null(await blobs.GetInfoAsync(MediaLayout.UploadsContainer, MediaLayout.Source(junk), default));
        Assert.NotNull(await blobs.GetInfoAsync(MediaLayout.UploadsContainer, MediaLayout.Source(unlucky), default));
        var deleted = await Entry(junk);
        Assert.Equal((VideoStatus.Failed, "The file is a text file, not a video file.", _time.GetUtcNow()), (deleted.Video.Status, deleted.Video.Error, deleted.Video.SourceDeletedAt));
        Assert.Equal(0, await starter.SweepAsync(Durable, default));
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

    private DurableTaskClient Durable => _app.Services.GetRequiredService<DurableTaskClient>();
}
