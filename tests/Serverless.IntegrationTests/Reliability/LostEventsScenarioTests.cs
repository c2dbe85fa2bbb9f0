using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Serverless.IntegrationTests.Infrastructure;
using Serverless.LocalHost.Runtime;
using Serverless.Storage;
using Serverless.Videos;
using Xunit.Abstractions;

namespace Serverless.IntegrationTests.Reliability;

/// <summary>
/// Scenario 6: uploads whose BlobCreated event is lost never start a pipeline on their own; the app's periodic sweep finds
/// each once it has sat in Uploading for <c>Pipeline:StuckAfterSeconds</c> and starts its orchestration (→ Ready), once.
/// Inside the pipeline nothing is ours to lose: the Durable engine's own queues are at-least-once (kill -9 is scenario 2).
/// </summary>
/// <remarks>
/// The events are lost deterministically, the way they can be lost: the upload watcher claims a blob (its row in the watch
/// table) and the process dies before it sends the event. The test writes those claims itself while no app runs, then
/// starts the app, with a sweep every 2 s.
/// </remarks>
[Trait("Category", "Reliability")]
public sealed class LostEventsScenarioTests(ITestOutputHelper output)
{
    private const int StuckAfterSeconds = 12;

    [Fact]
    public async Task LostEvents_UploadEventsNeverSent_SweepStartsEachOnce()
    {
        var count = ReliabilityProfile.Current.StuckVideos;
        await using var env = await ReliabilityEnvironment.StartAsync();
        var clip = await TestClips.Shared.GenerateAsync(new ClipSpec(320, 180, 2));
        var uploads = new List<UploadedVideo>();
        await using (var uploader = new FunctionsAppFactory(env.ConnectionString, new Dictionary<string, string?> { ["LocalRuntime:Enabled"] = "false" }))
        {
            var client = uploader.CreateClient().As("lost");
            for (var i = 0; i < count; i++)
            {
                uploads.Add(await ReliabilityEnvironment.UploadAsync(client, "lost", clip));
            }
        }

        // The watcher's claims, with no event behind them.
        var tables = env.Services.GetRequiredService<ITableStore>();
        await foreach (var blob in env.Blobs.ListAsync(MediaLayout.UploadsContainer, null, default))
        {
            await tables.InsertAsync(
                UploadsWatcher.WatchTable,
                new TableRow(MediaLayout.UploadsContainer, UploadsWatcher.WatchRowKey(blob), new Dictionary<string, object?> { ["Blob"] = blob.Name, ["ETag"] = blob.ETag }),
                default);
        }

        var clock = Stopwatch.StartNew();
        var app = await env.StartAppAsync("a", new Dictionary<string, string>
        {
            ["Pipeline:StuckAfterSeconds"] = StuckAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Pipeline:SweepSchedule"] = "*/2 * * * * *",
        });

        // Time from the app's start to the sweep starting each (it leaves Uploading), and to the end.
        var started = new Dictionary<string, TimeSpan>(StringComparer.Ordinal);
        var terminal = new Dictionary<string, TimeSpan>(StringComparer.Ordinal);
        var deadline = clock.Elapsed + TimeSpan.FromSeconds(120 + (count * 10));
        while (terminal.Count < uploads.Count && clock.Elapsed < deadline)
        {
            foreach (var upload in uploads.Where(u => !terminal.ContainsKey(u.VideoId)))
            {
                var video = await env.Videos.GetAsync(upload.VideoId, default);
                var now = clock.Elapsed;
                if (video?.Status is not VideoStatus.Uploading)
                {
                    started.TryAdd(upload.VideoId, now);
                }

                if (video?.Status is VideoStatus.Ready or VideoStatus.Failed)
                {
                    terminal[upload.VideoId] = now;
                }
            }

            await Task.Delay(250);
        }

        var audit = await env.AuditAsync(uploads, app.CreateClient().As("auditor"));
        var problems = new List<string>(audit.Problems);
        var duplicated = audit.Duplicated;
        foreach (var upload in uploads)
        {
            // Started once: every step ran once.
            var entry = await env.Videos.GetEntryAsync(upload.VideoId, default);
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
        var maxRecovery = started.Values.DefaultIfEmpty().Max();
        ReliabilityReport.Record(
            new ReliabilityRow(
                "lost upload events",
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
                Notes: $"{count} BlobCreated events lost (claimed by the watcher, never sent); StuckAfterSeconds={StuckAfterSeconds}, " +
                    "sweep every 2 s; recovery = app start to the pipeline started; latency = app start to terminal"),
            output);
        Assert.True(problems.Count == 0, string.Join("\n", problems) + "\n" + env.AppOutputs());
        Assert.Equal(count, audit.Ready);

        // Generous for a loaded machine: the bound, the app's start-up, a sweep period.
        Assert.True(maxRecovery < TimeSpan.FromSeconds(StuckAfterSeconds + 60), $"the sweep took {maxRecovery} to start them");
    }
}
