using System.Diagnostics;
using System.Text.Json;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Serverless.IntegrationTests.Infrastructure;
using Serverless.Pipeline;
using Serverless.Storage;
using Xunit.Abstractions;

namespace Serverless.IntegrationTests.Reliability;

/// <summary>
/// Scenario 6: pipelines whose next step message is lost (deleted from the queue) sit in Processing; the app's
/// periodic sweep finds each once it has not moved for <c>Pipeline:StuckAfterSeconds</c> and resumes it (→ Ready), and
/// a video out of attempts is Failed with a reason rather than resumed forever.
/// </summary>
/// <remarks>
/// The messages are lost deterministically: the test itself plays the worker (the pipeline's own runner, in-process, on
/// the same storage, with no queue listener), which runs the steps depth-first and stops (shuts down) as the step to
/// lose is about to run; then every message of the step queue, the delayed hand-off records included, is cleared.
/// Only then does the app start, as a process, with a sweep every 2 s.
/// </remarks>
[Collection(ReliabilityCollection.Name)]
[Trait("Category", "Reliability")]
public sealed class StuckWorkScenarioTests(ITestOutputHelper output)
{
    private const int StuckAfterSeconds = 12;

    [Fact]
    public async Task StuckWork_StepMessagesLost_SweepResumesEachOrFailsItWhenOutOfAttempts()
    {
        var count = ReliabilityProfile.Current.StuckVideos;
        await using var env = await ReliabilityEnvironment.StartAsync();
        var stopper = new StopBeforeStep();
        await using var worker = new FunctionsAppFactory(env.Azurite.ConnectionString, new Dictionary<string, string?>
            {
                ["LocalRuntime:Enabled"] = "false",
                ["Media:WorkDirectory"] = Path.Combine(env.Root, "worker"),
            })
            .WithWebHostBuilder(b => b.ConfigureTestServices(services =>
            {
                services.AddSingleton<PipelineActivities>();
                services.AddSingleton<IPipelineActivities>(sp => stopper.Wrap(sp.GetRequiredService<PipelineActivities>()));
            }));
        var clip = await TestClips.Shared.GenerateAsync(new ClipSpec(320, 180, 2));
        var client = worker.CreateClient().As("stuck");
        var runner = worker.Services.GetRequiredService<PipelineRunner>();
        var clock = Stopwatch.StartNew();
        var lostAt = new Dictionary<string, TimeSpan>(StringComparer.Ordinal);
        var uploads = new List<UploadedVideo>();
        var problems = new List<string>();

        // Each video runs up to a step (cycling through every step after the probe), whose message is then lost.
        var losable = PipelineOrchestrator.Order.Skip(1).ToArray();
        for (var i = 0; i < count; i++)
        {
            var upload = await ReliabilityEnvironment.UploadAsync(client, "stuck", clip);
            uploads.Add(upload);
            await RunUntilStoppedAsync(env, runner, stopper, upload.VideoId, losable[i % losable.Length]);
        }

        // One more whose worker died on every attempt of its step and whose last message was lost: out of attempts.
        var doomed = await ReliabilityEnvironment.UploadAsync(client, "stuck", clip, expectFailure: true);
        uploads.Add(doomed);
        await RunUntilStoppedAsync(env, runner, stopper, doomed.VideoId, PipelineStep.TranscodeLadder);
        var maxAttempts = new PipelineOptions().MaxStepAttempts;
        await env.Videos.UpdateAsync(
            doomed.VideoId,
            e => e with { State = PipelineOrchestrator.OnStarted(e.State!, PipelineStep.TranscodeLadder, maxAttempts, DateTimeOffset.UtcNow) },
            default);

        // The messages are lost: every one on the step queue, visible or delayed.
        await env.Services.GetRequiredService<AzureStorageClients>().Queues.GetQueueClient(PipelineOptions.StepQueue).ClearMessagesAsync();
        foreach (var upload in uploads)
        {
            lostAt[upload.VideoId] = clock.Elapsed;
        }

        // Lost indeed: nothing queued, every video sits in Processing.
        Assert.Equal(0, await env.Queues.GetApproximateCountAsync(PipelineOptions.StepQueue, default));
        foreach (var upload in uploads)
        {
            Assert.Equal(VideoStatus.Processing, (await env.Videos.GetAsync(upload.VideoId, default))!.Status);
        }

        var app = await env.StartAppAsync("a", new Dictionary<string, string>
        {
            ["Pipeline:StuckAfterSeconds"] = StuckAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Pipeline:SweepSchedule"] = "*/2 * * * * *",
        });

        // Time from "message lost" to the sweep acting (resumed, or failed), and to the end.
        var recovered = new Dictionary<string, TimeSpan>(StringComparer.Ordinal);
        var terminal = new Dictionary<string, TimeSpan>(StringComparer.Ordinal);
        var deadline = clock.Elapsed + TimeSpan.FromSeconds(120 + (count * 10));
        while (terminal.Count < uploads.Count && clock.Elapsed < deadline)
        {
            foreach (var upload in uploads.Where(u => !terminal.ContainsKey(u.VideoId)))
            {
                var entry = await env.Videos.GetEntryAsync(upload.VideoId, default);
                var now = clock.Elapsed;
                if (entry?.State?.Resumes > 0 || entry?.Video.Status is VideoStatus.Ready or VideoStatus.Failed)
                {
                    recovered.TryAdd(upload.VideoId, now - lostAt[upload.VideoId]);
                }

                if (entry?.Video.Status is VideoStatus.Ready or VideoStatus.Failed)
                {
                    terminal[upload.VideoId] = now - lostAt[upload.VideoId];
                }
            }

            await Task.Delay(250);
        }

        var audit = await env.AuditAsync(uploads, app.CreateClient().As("auditor"));
        problems.AddRange(audit.Problems);
        var duplicated = audit.Duplicated;
        foreach (var upload in uploads)
        {
            var entry = await env.Videos.GetEntryAsync(upload.VideoId, default);
            if (upload.ExpectFailure)
            {
                if (entry?.Video.Error?.Contains($"after {maxAttempts} attempts", StringComparison.Ordinal) != true)
                {
                    problems.Add($"{upload.VideoId}: out of attempts but not Failed for it: {entry?.Video.Status} {entry?.Video.Error}");
                }

                continue;
            }

            if (entry?.State is not { Resumes: > 0 })
            {
                problems.Add($"{upload.VideoId}: not resumed by the sweep");
            }

            // The lost step ran once, after the resume: a second run would be duplicated work.
            foreach (var (step, state) in entry?.State?.Steps ?? new Dictionary<PipelineStep, StepState>())
            {
                if (state.Attempts > 1)
                {
                    duplicated++;
                    problems.Add($"{upload.VideoId}: {step} ran {state.Attempts} times");
                }
            }
        }

        var latencies = terminal.Values.Select(t => t.TotalMilliseconds).ToList();
        var maxRecovery = recovered.Values.DefaultIfEmpty().Max();
        ReliabilityReport.Record(
            new ReliabilityRow(
                "stuck work (lost step messages)",
                Runs: 1,
                Uploads: uploads.Count,
                audit.Ready,
                audit.FailedExpected,
                audit.FailedUnexpected,
                audit.Lost,
                duplicated,
                MaxRecoverySeconds: maxRecovery.TotalSeconds,
                P50Ms: ReliabilityReport.Percentile(latencies, 50),
                P99Ms: ReliabilityReport.Percentile(latencies, 99),
                PeakMemoryBytes: env.PeakMemory(),
                Notes: $"{count} messages lost (one per video, at every step after the probe) + 1 video out of attempts; " +
                    $"StuckAfterSeconds={StuckAfterSeconds}, sweep every 2 s, app started after the losses; " +
                    "recovery = message lost to resumed/Failed by the sweep; latency = message lost to terminal"),
            output);
        Assert.True(problems.Count == 0, string.Join("\n", problems) + "\n" + env.AppOutputs());
        Assert.Equal(count, audit.Ready);
        Assert.Equal(1, audit.FailedExpected);

        // No video stays in Processing longer than the bound without the sweep acting (generous for a loaded machine:
        // the bound, the app's start-up, a sweep period).
        Assert.True(maxRecovery < TimeSpan.FromSeconds(StuckAfterSeconds + 60), $"the sweep took {maxRecovery} to act");
    }

    /// <summary>
    /// Plays the BlobCreated event and the worker: takes the first step's message and runs the pipeline depth-first
    /// until the worker shuts down as <paramref name="lost"/> is about to run (the step is given back, Pending).
    /// </summary>
    private static async Task RunUntilStoppedAsync(ReliabilityEnvironment env, PipelineRunner runner, StopBeforeStep stopper, string videoId, PipelineStep lost)
    {
        await runner.StartAsync(videoId, default);
        QueueMessage message;
        StepMessage step;
        while (true)
        {
            // Earlier videos' delayed hand-off records may have come due: they are to be lost anyway.
            message = Assert.Single(await env.Queues.ReceiveAsync(PipelineOptions.StepQueue, 1, TimeSpan.FromMinutes(5), default));
            step = JsonSerializer.Deserialize<StepMessage>(message.Body, VideoRepository.Json)!;
            if ((step.VideoId, step.Step) == (videoId, PipelineStep.ProbeSource))
            {
                break;
            }

            await env.Queues.DeleteAsync(PipelineOptions.StepQueue, message, default);
        }

        using var shutdown = stopper.Arm(lost);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => runner.RunStepAsync(step, shutdown.Token));
        await env.Queues.DeleteAsync(PipelineOptions.StepQueue, message, default);

        var entry = await env.Videos.GetEntryAsync(videoId, default);
        Assert.Equal(VideoStatus.Processing, entry!.Video.Status);
        Assert.Equal((lost, StepStatus.Pending, 0), (entry.State!.Current, entry.State[lost].Status, entry.State[lost].Attempts));
    }

    /// <summary>The in-process worker's activities, which shut the worker down (cancel its token) as the armed step starts.</summary>
    private sealed class StopBeforeStep
    {
        private PipelineStep? _step;
        private CancellationTokenSource? _shutdown;

        public IPipelineActivities Wrap(IPipelineActivities inner) => new Activities(inner, this);

        public CancellationTokenSource Arm(PipelineStep step)
        {
            _step = step;
            _shutdown = new CancellationTokenSource();
            return _shutdown;
        }

        private sealed class Activities(IPipelineActivities inner, StopBeforeStep owner) : IPipelineActivities
        {
            public async Task<StepResult> RunAsync(PipelineStep step, VideoEntry entry, Action<double> progress, CancellationToken cancellationToken)
            {
                if (step == owner._step && owner._shutdown is { } shutdown)
                {
                    await shutdown.CancelAsync();
                    cancellationToken.ThrowIfCancellationRequested();
                }

                return await inner.RunAsync(step, entry, progress, cancellationToken);
            }
        }
    }
}
