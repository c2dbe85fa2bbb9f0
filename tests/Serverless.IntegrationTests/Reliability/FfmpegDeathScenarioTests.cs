using System.Globalization;
using Serverless.IntegrationTests.Infrastructure;
using Serverless.Videos;
using Xunit.Abstractions;

namespace Serverless.IntegrationTests.Reliability;

/// <summary>
/// Scenario 3: the app lives but its ffmpeg dies (SIGKILL, as the OOM killer would). Killed once mid-transcode, the
/// step retries and the video ends Ready with complete outputs; killed on every attempt, the video ends Failed after
/// Pipeline:MaxStepAttempts with a reason naming the transcode, its original kept, no media and no temp files left.
/// </summary>
[Trait("Category", "Reliability")]
public sealed class FfmpegDeathScenarioTests(ITestOutputHelper output)
{
    private const int MaxAttempts = 3;

    [Fact]
    public async Task FfmpegKilled_OnceRetriesToReady_EveryTimeFailsWithReason()
    {
        await using var env = await ReliabilityEnvironment.StartAsync();
        var app = await env.StartAppAsync("a", new Dictionary<string, string>
        {
            ["Pipeline:MaxStepAttempts"] = MaxAttempts.ToString(CultureInfo.InvariantCulture),
            ["Pipeline:ProgressIntervalSeconds"] = "0.2",
        });
        var clip = await TestClips.Shared.GenerateAsync(new ClipSpec(640, 360, 4));
        var client = app.CreateClient().As("ffmpeg-death");
        var work = env.WorkDirectory("a");

        // Each killer starts as soon as its upload is stored: the pipeline reaches the transcode within a second.
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(240));
        var once = await ReliabilityEnvironment.UploadAsync(client, "ffmpeg-death", clip);
        var killedOnce = KillOnceMidTranscodeAsync(env, work, once.VideoId, stop.Token);
        var always = await ReliabilityEnvironment.UploadAsync(client, "ffmpeg-death", clip, expectFailure: true);
        var killedAlways = KillEveryTranscodeAsync(env, work, always.VideoId, stop.Token);
        var problems = new List<string>();
        var drained = TimeSpan.Zero;
        try
        {
            drained = await env.WaitForTerminalAsync([once.VideoId, always.VideoId], TimeSpan.FromSeconds(240));
        }
        catch (TimeoutException ex)
        {
            problems.Add(ex.Message.Split('\n')[0]); // Recorded with the row below; the audit names what was left.
        }

        await stop.CancelAsync();
        var (killedAt, seenOnce) = await killedOnce;
        var kills = await killedAlways;

        var audit = await env.AuditAsync([once, always], client);
        problems.AddRange(audit.Problems);
        var onceEntry = await env.Videos.GetEntryAsync(once.VideoId, default);
        var alwaysEntry = await env.Videos.GetEntryAsync(always.VideoId, default);
        var onceAttempts = onceEntry?.State?[PipelineStep.TranscodeLadder].Attempts ?? 0;
        var alwaysAttempts = alwaysEntry?.State?[PipelineStep.TranscodeLadder].Attempts ?? 0;
        var reason = alwaysEntry?.Video.Error ?? string.Empty;
        if (killedAt is null)
        {
            problems.Add($"the transcode of the kill-once video finished before it could be killed ({seenOnce})");
        }
        else if (onceAttempts < 2)
        {
            problems.Add($"the kill-once video's transcode ran {onceAttempts} time(s) after its ffmpeg was killed");
        }

        if (alwaysAttempts != MaxAttempts || kills < MaxAttempts)
        {
            problems.Add($"the kill-always video's transcode ran {alwaysAttempts} time(s) with {kills} ffmpeg killed; expected {MaxAttempts} of each");
        }

        if (!reason.Contains("Transcod", StringComparison.Ordinal) || !reason.Contains($"{MaxAttempts} attempts", StringComparison.Ordinal)
            || !reason.Contains("killed", StringComparison.Ordinal) || reason.TrimEnd().EndsWith(':'))
        {
            problems.Add($"the kill-always video's reason does not say the transcode's ffmpeg was killed, on every attempt: '{reason}'");
        }

        var latencies = onceEntry?.Video is { ReadyAt: { } readyAt } ready ? new List<double> { (readyAt - ready.CreatedAt).TotalMilliseconds } : [];
        ReliabilityReport.Record(
            new ReliabilityRow(
                "ffmpeg dies (SIGKILL mid-transcode)",
                Runs: 1,
                Uploads: 2,
                audit.Ready,
                audit.FailedExpected,
                audit.FailedUnexpected,
                audit.Lost,
                audit.Duplicated,
                P50Ms: ReliabilityReport.Percentile(latencies, 50),
                P99Ms: ReliabilityReport.Percentile(latencies, 99),
                PeakMemoryBytes: env.PeakMemory(),
                Notes: string.Create(CultureInfo.InvariantCulture,
                    $"killed once at {killedAt?.ToString("0", CultureInfo.InvariantCulture) ?? "-"} %: Ready after {onceAttempts} transcode attempts; " +
                    $"killed on every attempt ({kills} kills): Failed after {alwaysAttempts} attempts: \"{reason}\"; both terminal in {drained.TotalSeconds:0.0} s")),
            output);
        Assert.True(problems.Count == 0, string.Join("\n", problems) + "\n" + env.AppOutputs());
        Assert.Equal(VideoStatus.Ready, onceEntry?.Video.Status);
        Assert.Equal(VideoStatus.Failed, alwaysEntry?.Video.Status);
    }

    /// <summary>
    /// Kills the video's transcode ffmpeg the moment it is seen running (a running transcode is mid-transcode by
    /// definition); returns the progress the row showed right after the kill, or what was seen when the window was
    /// missed. Runs on its own thread and polls only /proc (milliseconds) between kills: this test process's thread
    /// pool is busy with the app processes' output readers, and a killer waiting there for each poll (or a storage read
    /// on every poll) let a whole 1 s transcode run unseen on a loaded machine.
    /// </summary>
    private static Task<(double? KilledAt, string Seen)> KillOnceMidTranscodeAsync(ReliabilityEnvironment env, string work, string videoId, CancellationToken cancellationToken) =>
        OnOwnThread(() =>
        {
            var polls = 0;
            var seen = false;
            var last = "nothing";
            while (!cancellationToken.IsCancellationRequested)
            {
                polls++;
                var transcode = MediaProcesses.Find(work, videoId).FirstOrDefault(p => p.IsTranscode);
                if (transcode is not null)
                {
                    seen = true;
                    if (transcode.Kill())
                    {
                        var killed = env.Videos.GetAsync(videoId, default).GetAwaiter().GetResult();
                        return ((double?)(killed?.Progress ?? 0), last);
                    }
                }
                else if (polls % 100 == 0)
                {
                    var video = env.Videos.GetAsync(videoId, default).GetAwaiter().GetResult();
                    last = string.Create(CultureInfo.InvariantCulture, $"{video?.Status}/{video?.Stage}/{video?.Progress:0}");
                    if (video?.Status is VideoStatus.Ready or VideoStatus.Failed)
                    {
                        break;
                    }
                }

                Thread.Sleep(2);
            }

            return ((double?)null, $"{polls} polls, transcode {(seen ? "seen" : "never seen")}, last {last}");
        });

    /// <summary>Kills every transcode ffmpeg of the video as soon as it appears (own thread, like the kill-once killer); returns how many it killed.</summary>
    private static Task<int> KillEveryTranscodeAsync(ReliabilityEnvironment env, string work, string videoId, CancellationToken cancellationToken) =>
        OnOwnThread(() =>
        {
            var killed = new HashSet<int>();
            var polls = 0;
            while (!cancellationToken.IsCancellationRequested)
            {
                polls++;
                foreach (var transcode in MediaProcesses.Find(work, videoId).Where(p => p.IsTranscode && !killed.Contains(p.ProcessId)))
                {
                    if (transcode.Kill())
                    {
                        killed.Add(transcode.ProcessId);
                    }
                }

                if (polls % 100 == 0 && env.Videos.GetAsync(videoId, default).GetAwaiter().GetResult() is { Status: VideoStatus.Ready or VideoStatus.Failed })
                {
                    break;
                }

                Thread.Sleep(2);
            }

            return killed.Count;
        });

    private static Task<T> OnOwnThread<T>(Func<T> loop) =>
        Task.Factory.StartNew(loop, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
}
