using System.Diagnostics;
using System.Globalization;
using Serverless.IntegrationTests.Identity;
using Serverless.IntegrationTests.Infrastructure;
using Serverless.IntegrationTests.Review;
using Serverless.Storage;
using Serverless.Videos;
using Xunit.Abstractions;

namespace Serverless.IntegrationTests.Reliability;

/// <summary>
/// kill -9 while the content review waits for WeChat's verdicts (every sample submitted, no verdict yet): after the
/// restart the orchestrations are still waiting, and the verdicts pushed then publish every video, no sample submitted twice.
/// </summary>
[Trait("Category", "Reliability")]
public sealed class ReviewWaitCrashScenarioTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly FakeWeChat _wechat = new();

    public Task InitializeAsync() => _wechat.InitializeAsync();

    public Task DisposeAsync() => _wechat.DisposeAsync();

    [Fact]
    public async Task KilledWhileWaitingForVerdicts_StillWaitingAfterRestart_PublishedOnTheNextPush()
    {
        var count = ReliabilityProfile.Current.Name == "full" ? 8 : 2;
        await using var env = await ReliabilityEnvironment.StartAsync();
        var settings = ReviewTwoInstancesTests.Settings(_wechat);
        var app = await env.StartAppAsync("a", settings);
        _wechat.HoldPushes();
        var clip = ReviewTestKit.Clip();
        var uploads = new List<UploadedVideo>();
        for (var i = 0; i < count; i++)
        {
            var user = "waiter" + i;
            var owner = await ReviewTestKit.SignInWithWeChatAsync(app.CreateClient(), user);
            uploads.Add(new UploadedVideo(await ReviewTestKit.UploadAsync(owner, clip), user));
        }

        // Every sample of every video submitted, and the orchestrations waiting: only then the kill. Each video is judged
        // from one read of its row (a video that reached the review between two reads was once counted with no sample).
        var tables = env.Services.GetService(typeof(ITableStore)) as ITableStore;
        var waiting = Stopwatch.StartNew();
        int samples;
        while (true)
        {
            samples = 0;
            var allWaiting = true;
            foreach (var upload in uploads)
            {
                var video = await env.Videos.GetAsync(upload.VideoId, default);
                if (video is not { Status: VideoStatus.Processing, Stage: nameof(PipelineStep.ReviewContent) })
                {
                    allWaiting = false;
                    continue;
                }

                // The transcode stored every sample before the review step began; the submissions follow one by one.
                var stored = (await env.Blobs.ListAsync(MediaLayout.ReviewContainer, MediaLayout.Prefix(upload.VideoId), default).ToListAsync()).Count;
                var submitted = await tables!.QueryAsync(Serverless.Review.ReviewTraces.Table, TableFilter.Equal("VideoId", upload.VideoId), default).CountAsync();
                allWaiting &= stored > 0 && submitted == stored;
                samples += stored;
            }

            if (allWaiting)
            {
                break;
            }

            Assert.True(waiting.Elapsed < TimeSpan.FromMinutes(4), "the videos never all waited for their verdicts\n" + env.AppOutputs());
            await Task.Delay(250);
        }

        await app.KillAsync();
        var restart = Stopwatch.StartNew();
        app = await env.StartAppAsync("a", settings);
        _wechat.PushTo = app.CreateClient();
        _wechat.ReleasePushes();
        var recovered = await env.WaitForTerminalAsync(uploads.Select(u => u.VideoId), TimeSpan.FromMinutes(4));
        var recovery = restart.Elapsed.TotalSeconds;

        var audit = await env.AuditAsync(uploads, app.CreateClient().As("auditor"));
        ReliabilityReport.Record(
            new ReliabilityRow(
                "kill -9 while waiting for verdicts",
                Runs: 1,
                Uploads: uploads.Count,
                audit.Ready,
                audit.FailedExpected,
                audit.FailedUnexpected,
                audit.Lost,
                audit.Duplicated,
                MaxRecoverySeconds: recovery,
                PeakMemoryBytes: env.PeakMemory(),
                Notes: string.Create(CultureInfo.InvariantCulture,
                    $"{samples} samples submitted before the kill, {_wechat.Checks.Count} checks in all (none twice); verdicts held until the restart; recovery = restart to every video Ready ({recovered.TotalSeconds:0.0} s after the release)")),
            output);

        Assert.True(audit.Problems.Count == 0, string.Join("\n", audit.Problems) + "\n" + env.AppOutputs());
        Assert.Equal(uploads.Count, audit.Ready);
        Assert.Equal(samples, _wechat.Checks.Count);
    }
}
