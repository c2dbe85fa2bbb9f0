using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Serverless.IntegrationTests.Infrastructure;
using Serverless.Pipeline;
using Serverless.Videos;

namespace Serverless.IntegrationTests.Pipeline;

/// <summary>Admission slots on Azurite, one slot, no Durable worker: who holds it, who waits, who it is handed to.</summary>
public sealed class PipelineSlotsTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>, IAsyncLifetime
{
    private readonly FakeTime _time = new(DateTimeOffset.UtcNow);
    private WebApplicationFactory<Program> _app = null!;

    public Task InitializeAsync()
    {
        _app = new FunctionsAppFactory(azurite.ConnectionString, new Dictionary<string, string?>
            {
                ["LocalRuntime:Enabled"] = "false",
                ["Pipeline:MaxConcurrentVideos"] = "1",
            })
            .WithWebHostBuilder(b => b.ConfigureTestServices(s => s.AddSingleton<TimeProvider>(_time)));
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private PipelineSlots Slots => _app.Services.GetRequiredService<PipelineSlots>();

    [Fact]
    public async Task Release_HandsTheSlotToTheLongestWaitingVideo_InTheOrderTheyAsked()
    {
        var (a, b, c) = (await CreateUpload(), await CreateUpload(), await CreateUpload());
        Assert.True(await Slots.TryAcquireAsync(a, default));
        Assert.True(await Slots.TryAcquireAsync(a, default)); // it holds it already
        Assert.False(await Slots.TryAcquireAsync(b, default));
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.False(await Slots.TryAcquireAsync(c, default));
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.False(await Slots.TryAcquireAsync(b, default)); // asking again keeps its place
        Assert.Equal(PipelineSlots.Queued, (await Entry(b)).Video.Stage);

        Assert.Equal(b, await Slots.ReleaseAsync(a, default));

        // The slot is b's: c cannot take it in between, b finds it held for it.
        Assert.False(await Slots.TryAcquireAsync(c, default));
        Assert.False(await Slots.TryAcquireAsync(a, default));
        Assert.True(await Slots.TryAcquireAsync(b, default));

        Assert.Equal(c, await Slots.ReleaseAsync(b, default));
        Assert.True(await Slots.TryAcquireAsync(c, default));

        // a asked again after being released: it waits behind nobody and is handed c's slot; then nobody waits.
        Assert.Equal(a, await Slots.ReleaseAsync(c, default));
        Assert.Null(await Slots.ReleaseAsync(a, default));
        Assert.Null(await Slots.ReleaseAsync(a, default)); // idempotent
        Assert.True(await Slots.TryAcquireAsync(b, default));
    }

    [Fact]
    public async Task Release_PassesOverWaitersThatLeftThePipeline()
    {
        var (a, b, c) = (await CreateUpload(), await CreateUpload(), await CreateUpload());
        Assert.True(await Slots.TryAcquireAsync(a, default));
        Assert.False(await Slots.TryAcquireAsync(b, default));
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.False(await Slots.TryAcquireAsync(c, default));
        await _app.Services.GetRequiredService<VideoRepository>().UpdateAsync(
            b, e => e with { Video = e.Video with { Status = VideoStatus.Failed, Error = "gone" } }, default);

        Assert.Equal(c, await Slots.ReleaseAsync(a, default));
        Assert.True(await Slots.TryAcquireAsync(c, default));
        Assert.Null(await Slots.ReleaseAsync(c, default));
    }

    [Fact]
    public async Task Revoke_FreesAGrantNobodyCouldBeTold()
    {
        var (a, b, c) = (await CreateUpload(), await CreateUpload(), await CreateUpload());
        Assert.True(await Slots.TryAcquireAsync(a, default));
        Assert.False(await Slots.TryAcquireAsync(b, default));
        Assert.Equal(b, await Slots.ReleaseAsync(a, default));

        await Slots.RevokeAsync(b, default);
        Assert.True(await Slots.TryAcquireAsync(c, default));
    }

    private async Task<string> CreateUpload()
    {
        var client = _app.CreateClient().As("slots");
        var response = await client.PostAsJsonAsync("/api/uploads", new { fileName = "a.mp4", contentType = "video/mp4", sizeBytes = 4 });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("videoId").GetString()!;
    }

    private async Task<VideoEntry> Entry(string videoId) =>
        (await _app.Services.GetRequiredService<VideoRepository>().GetEntryAsync(videoId, default))!;
}
