using System.Diagnostics;
using System.Text.Json;
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
/// The messages are lost deterministically: the test itself plays the worker for the first steps (the pipeline's own
/// runner, in-process, on the same storage, with no queue listener), then deletes the next step's message instead of
/// leaving it to a worker. Only then does the app start, as a process, with a sweep every 2 s.
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
        var clip = await TestClips.Shared.GenerateAsync(new ClipSpec(320, 180, 2));
        using var http = env.CreateReaderClient();
        var client = http.As("stuck");
        var runner = env.Services.GetRequiredService<PipelineRunner>();
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
            lostAt[upload.VideoId] = await RunUntilLostAsync(env, runner, upload.VideoId, losable[i % losable.Length], clock);
        }

        // One more whose worker died on every attempt of its step and whose last message was lost: out of attempts.
        var doomed = await ReliabilityEnvironment.UploadAsync(client, "stuck", clip, expectFailure: true);
        uploads.Add(doomed);
        await RunUntilLostAsync(env, runner, doomed.VideoId, PipelineStep.TranscodeLadder, clock);
        var maxAttempts = new PipelineOptions().MaxStepAttempts;
        await env.Videos.UpdateAsync(
            doomed.VideoId,
            e => e with { State = PipelineOrchestrator.OnStarted(e.State!, PipelineStep.TranscodeLadder, maxAttempts, DateTimeOffset.UtcNow) },
            default);
        lostAt[doomed.VideoId] = clock.Elapsed;

        // Lost indeed: nothing queued, every video sits in Processing.
        Assert.Empty(await env.Queues.PeekAsync(PipelineOptions.StepQueue, 32, default));
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
    /// Plays the BlobCreated event and the worker for every step before <paramref name="lost"/>, then deletes that
    /// step's message unprocessed; returns when it was lost.
    /// </summary>
    private static async Task<TimeSpan> RunUntilLostAsync(ReliabilityEnvironment env, PipelineRunner runner, string videoId, PipelineStep lost, Stopwatch clock)
    {
        await runner.StartAsync(videoId, default);
        while (true)
        {
            var received = await env.Queues.ReceiveAsync(PipelineOptions.StepQueue, 1, TimeSpan.FromMinutes(5), default);
            var message = Assert.Single(received);
            var step = JsonSerializer.Deserialize<StepMessage>(message.Body, VideoRepository.Json)!;
            Assert.Equal(videoId, step.VideoId);
            if (step.Step == lost)
            {
                await env.Queues.DeleteAsync(PipelineOptions.StepQueue, message, default);
                var entry = await env.Videos.GetEntryAsync(videoId, default);
                Assert.Equal(VideoStatus.Processing, entry!.Video.Status);
                Assert.Equal(lost, entry.State!.Current);
                return clock.Elapsed;
            }

            await runner.RunStepAsync(step, default);
            await env.Queues.DeleteAsync(PipelineOptions.StepQueue, message, default);
        }
    }
}
