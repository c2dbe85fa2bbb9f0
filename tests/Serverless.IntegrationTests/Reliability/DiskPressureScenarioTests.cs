using System.Diagnostics;
using Serverless.IntegrationTests.Infrastructure;
using Serverless.Pipeline;
using Serverless.Videos;
using Xunit.Abstractions;

namespace Serverless.IntegrationTests.Reliability;

/// <summary>
/// Scenario 5: the app's work folder on a small tmpfs that is nearly full. (a) Too little space from the start: the
/// transcode step fails cleanly before ffmpeg fills the disk, is retried, and the video ends Failed with a readable
/// reason, its upload kept. (b) Space freed between attempts: the retry succeeds, Ready with complete outputs.
/// (c) A crash leaves a work folder filling the disk: the restarted app removes it at start-up, so the next video is
/// Ready. Temp files never remain.
/// </summary>
/// <remarks>
/// A real disk that fills up needs a mount (root or CAP_SYS_ADMIN, as on the dev machine and in CI); without it the
/// test fails saying so (<see cref="TmpfsMount"/>) rather than passing on the big disk. ffmpeg's own ENOSPC (the disk
/// filling while it writes) is covered by <c>DiskFullTests</c> and the pipeline's reason for it by <c>DiskSpaceTests</c>.
/// </remarks>
[Trait("Category", "Reliability")]
public sealed class DiskPressureScenarioTests(ITestOutputHelper output)
{
    /// <summary>Space left when "nearly full": far below what a 2 s 180p transcode needs (over 256 KB by the estimate).</summary>
    private const long NearlyFull = 48 * 1024;

    [Fact]
    public async Task DiskPressure_NearlyFullWorkDisk_FailsCleanlyOrSucceedsOnceSpaceIsFreed()
    {
        var runs = ReliabilityProfile.Current.DiskPressureRuns;
        using var disk = await TmpfsMount.CreateAsync(8L << 20);
        await using var env = await ReliabilityEnvironment.StartAsync();
        var work = Path.Combine(disk.Path, "work");
        var settings = new Dictionary<string, string>
        {
            ["Media:WorkDirectory"] = work,
            ["Pipeline:RetryBaseDelaySeconds"] = "2", // attempts 2 s and 4 s apart: time to free the space in (b)
        };
        var app = await env.StartAppAsync("a", settings);
        var clip = await TestClips.Shared.GenerateAsync(new ClipSpec(320, 180, 2));
        var client = app.CreateClient().As("disk");
        var uploads = new List<UploadedVideo>();
        var problems = new List<string>();
        var recoveries = new List<double>();
        var clock = Stopwatch.StartNew();
        var timeout = TimeSpan.FromSeconds(90);

        for (var run = 0; run < runs; run++)
        {
            // (a) Nearly full throughout: every attempt fails before ffmpeg starts; Failed with the reason.
            var filler = disk.Fill(NearlyFull);
            var starved = await ReliabilityEnvironment.UploadAsync(client, "disk", clip, expectFailure: true);
            uploads.Add(starved);
            await env.WaitForTerminalAsync([starved.VideoId], timeout);
            var failed = (await env.Videos.GetEntryAsync(starved.VideoId, default))!;
            var attempts = failed.State?[PipelineStep.TranscodeLadder].Attempts;
            if (failed.Video.Error?.Contains("Not enough temporary disk space", StringComparison.Ordinal) != true || attempts != new PipelineOptions().MaxStepAttempts)
            {
                problems.Add($"{starved.VideoId}: expected Failed for disk space after every attempt: {failed.Video.Status} " +
                    $"after {attempts} attempt(s): {failed.Video.Error}");
            }

            // (b) Nearly full, then freed after the first failure: the retry succeeds.
            var relieved = await ReliabilityEnvironment.UploadAsync(client, "disk", clip);
            uploads.Add(relieved);
            await WaitForAsync(
                async () => (await env.Videos.GetEntryAsync(relieved.VideoId, default))?.State?[PipelineStep.TranscodeLadder].LastError is { } error
                    && error.Contains("disk space", StringComparison.Ordinal),
                timeout,
                $"{relieved.VideoId}: no disk-space failure of its transcode\n{env.AppOutputs()}");
            File.Delete(filler);
            var freed = clock.Elapsed;
            await env.WaitForTerminalAsync([relieved.VideoId], timeout);
            recoveries.Add((clock.Elapsed - freed).TotalSeconds);
            var retried = (await env.Videos.GetEntryAsync(relieved.VideoId, default))!;
            if (retried.State?[PipelineStep.TranscodeLadder].Attempts != 2)
            {
                problems.Add($"{relieved.VideoId}: transcode ran {retried.State?[PipelineStep.TranscodeLadder].Attempts} times, expected 2 (one failure, one success)");
            }
        }

        // (c) A crash with a work folder filling the disk (as a killed transcode leaves it): the restart removes it.
        await app.KillAsync();
        var owner = Assert.Single(Directory.GetDirectories(work), d => File.Exists(Path.Combine(d, WorkArea.LockFileName)));
        var leftover = Path.Combine(owner, "v_crashed", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(leftover);
        disk.Fill(NearlyFull, Path.Combine(leftover, "seg_00000.ts"));
        app = await env.StartAppAsync("a", settings);
        await WaitForAsync(() => Task.FromResult(!Directory.Exists(owner)), TimeSpan.FromSeconds(30), $"the crashed process's work folder {owner} is still there");
        var afterCrash = await ReliabilityEnvironment.UploadAsync(app.CreateClient().As("disk"), "disk", clip);
        uploads.Add(afterCrash);
        await env.WaitForTerminalAsync([afterCrash.VideoId], timeout);

        var audit = await env.AuditAsync(uploads, app.CreateClient().As("auditor"));
        problems.AddRange(audit.Problems);
        var latencies = new List<double>();
        foreach (var upload in uploads)
        {
            if (await env.Videos.GetAsync(upload.VideoId, default) is { Status: VideoStatus.Ready, ReadyAt: { } readyAt } video)
            {
                latencies.Add((readyAt - video.CreatedAt).TotalMilliseconds);
            }
        }

        ReliabilityReport.Record(
            new ReliabilityRow(
                "disk pressure (8 MB tmpfs work folder)",
                Runs: runs,
                Uploads: uploads.Count,
                audit.Ready,
                audit.FailedExpected,
                audit.FailedUnexpected,
                audit.Lost,
                audit.Duplicated,
                MaxRecoverySeconds: recoveries.DefaultIfEmpty(0).Max(),
                P50Ms: ReliabilityReport.Percentile(latencies, 50),
                P99Ms: ReliabilityReport.Percentile(latencies, 99),
                PeakMemoryBytes: env.PeakMemory(),
                Notes: "per run: 1 upload on a nearly full disk (Failed: not enough temporary disk space, after 3 attempts) and 1 freed " +
                    "after its first failure (Ready on the retry), then once: a kill -9 with a disk-filling leftover in its work folder, removed at restart (next upload Ready); " +
                    "recovery = space freed to Ready; latency = upload to Ready"),
            output);
        Assert.True(problems.Count == 0, string.Join("\n", problems) + "\n" + env.AppOutputs());
        Assert.Equal(runs + 1, audit.Ready);
        Assert.Equal(runs, audit.FailedExpected);
    }

    private static async Task WaitForAsync(Func<Task<bool>> condition, TimeSpan timeout, string failure)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            if (clock.Elapsed > timeout)
            {
                throw new TimeoutException(failure);
            }

            await Task.Delay(100);
        }
    }
}
