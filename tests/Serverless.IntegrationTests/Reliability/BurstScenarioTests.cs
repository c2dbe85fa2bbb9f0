using Microsoft.Extensions.DependencyInjection;
using Serverless.IntegrationTests.Infrastructure;
using Serverless.Storage;
using Serverless.Videos;
using Xunit.Abstractions;

namespace Serverless.IntegrationTests.Reliability;

/// <summary>
/// Scenario 1: a burst of uploads at once into one app instance, then into two sharing the storage. Every upload ends
/// Ready (or Failed for the deliberately bad ones) exactly once with complete outputs; the only poison messages are
/// the deliberately malformed ones.
/// </summary>
[Trait("Category", "Reliability")]
public sealed class BurstScenarioTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task Burst_EveryUploadEndsOnce_WithCompleteOutputs(int instances)
    {
        var count = ReliabilityProfile.Current.BurstUploads;
        await using var env = await ReliabilityEnvironment.StartAsync();
        // Nothing crashes here: host.json's Durable settings, so no activity may run twice.
        var settings = new Dictionary<string, string>
        {
            ["LocalRuntime:MessageLeaseSeconds"] = "30",
            [ReliabilityEnvironment.DurableSetting("storageProvider:workItemQueueVisibilityTimeout")] = "00:00:30",

            // Two videos at a time per 2-core instance, as the setting's documentation says to configure a scale-out.
            ["Pipeline:MaxConcurrentVideos"] = (2 * instances).ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        var apps = new List<AppProcess>();
        for (var i = 0; i < instances; i++)
        {
            apps.Add(await env.StartAppAsync(((char)('a' + i)).ToString(), settings));
        }

        var good = await TestClips.Shared.GenerateAsync(new ClipSpec(320, 180, 2));
        var bad = await TestClips.Shared.TextAsMp4Async();
        var clients = Enumerable.Range(0, 5).Select(u => apps[u % apps.Count].CreateClient().As($"burst-{u}")).ToArray();

        // Every tenth upload is a text file named .mp4; all are sent at once, spread over users and instances.
        var uploads = await Task.WhenAll(Enumerable.Range(0, count).Select(i =>
            ReliabilityEnvironment.UploadAsync(clients[i % clients.Length], $"burst-{i % clients.Length}", i % 10 == 9 ? bad : good, expectFailure: i % 10 == 9)));

        // Deliberately malformed messages on the upload queue: they must end in its poison queue, nothing else may.
        await env.Queues.EnqueueAsync(FunctionsAppFactory.UploadQueue, "{\"not\":\"an event\"}", null, default);
        await env.Queues.EnqueueAsync(FunctionsAppFactory.UploadQueue, "not json", null, default);

        var drained = await env.WaitForTerminalAsync(uploads.Select(u => u.VideoId), TimeSpan.FromSeconds(120 + (count * 8)));
        await WaitForPoisonAsync(env, expected: 2, TimeSpan.FromSeconds(60));

        var audit = await env.AuditAsync(uploads, clients[0], expectedPoison: 2);
        var latencies = new List<double>();
        var ready = new List<VideoEntry>();
        var problems = audit.Problems.ToList();
        var duplicated = audit.Duplicated;
        foreach (var upload in uploads)
        {
            var entry = await env.Videos.GetEntryAsync(upload.VideoId, default);
            if (entry?.Video is { Status: VideoStatus.Ready, ReadyAt: { } readyAt } video)
            {
                latencies.Add((readyAt - video.CreatedAt).TotalMilliseconds);
                ready.Add(entry);
            }

            // No crash and no fault here: a step that ran twice is duplicated work (two instances took one message).
            foreach (var (step, state) in entry?.State?.Steps ?? new Dictionary<PipelineStep, StepState>())
            {
                if (state.Attempts > 1)
                {
                    duplicated++;
                    problems.Add($"{upload.VideoId}: {step} ran {state.Attempts} times");
                }
            }
        }

        ReliabilityReport.Record(
            new ReliabilityRow(
                $"burst, {instances} instance(s)",
                Runs: 1,
                Uploads: uploads.Length,
                audit.Ready,
                audit.FailedExpected,
                audit.FailedUnexpected,
                audit.Lost,
                duplicated,
                P50Ms: ReliabilityReport.Percentile(latencies, 50),
                P99Ms: ReliabilityReport.Percentile(latencies, 99),
                PeakMemoryBytes: env.PeakMemory(),
                Notes: $"all terminal {drained.TotalSeconds:0.0} s after the burst; latency = upload to Ready; 2 malformed messages poisoned"),
            output);
        var orchestrated = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        var tables = env.Services.GetRequiredService<ITableStore>();
        foreach (var entry in ready)
        {
            // The Durable provider's instances table (host.json's hub): when the upload's orchestration was created.
            if ((await tables.GetAsync(DurableInstancesTable, entry.Video.VideoId, string.Empty, default))?.GetDateTimeOffset("CreatedTime") is { } createdTime)
            {
                orchestrated[entry.Video.VideoId] = createdTime;
            }
        }

        output.WriteLine(Breakdown(ready, orchestrated));
        Assert.Equal(ready.Count, orchestrated.Count);
        Assert.True(problems.Count == 0, string.Join("\n", problems) + "\n" + env.AppOutputs());
        Assert.Equal(count, audit.Ready + audit.FailedExpected);

        // Depth-first: a started video is finished before the next upload's steps, so the first ones are Ready early.
        // Breadth-first (every step a queue hand-off to the back of the queue) made every video wait for the whole
        // burst: its fastest and slowest upload-to-Ready differed by 5 %.
        Assert.True(latencies.Min() < 0.8 * latencies.Max(), $"upload-to-Ready latencies {latencies.Min():0} to {latencies.Max():0} ms: the burst was processed breadth-first");

        // First come, first served: the fifth of the uploads whose pipelines started first is Ready before the fifth that started last.
        var byStart = ready.OrderBy(e => e.State!.StartedAt).ToList();
        var fifth = Math.Max(1, byStart.Count / 5);
        var firstReady = Median(byStart.Take(fifth).Select(e => (e.Video.ReadyAt!.Value - byStart[0].State!.StartedAt).TotalSeconds));
        var lastReady = Median(byStart.TakeLast(fifth).Select(e => (e.Video.ReadyAt!.Value - byStart[0].State!.StartedAt).TotalSeconds));
        Assert.True(firstReady < lastReady, $"the first-started fifth was Ready {firstReady:0.0} s after the first start (median), the last-started {lastReady:0.0} s");
    }

    /// <summary>The Durable Task provider's instances table of host.json's task hub (the apps here keep its name).</summary>
    private static readonly string DurableInstancesTable =
        Serverless.Functions.DurableHubSettings.Read(RepoFiles.Path("host.json"), new Microsoft.Extensions.Configuration.ConfigurationBuilder().Build()).HubName + "Instances";

    /// <summary>
    /// Where a video's time went, medians over the Ready videos (seconds): created → orchestration created (the PUT, the
    /// BlobCreated event, the upload queue's trigger), orchestration created → first step (admission: waiting for a pipeline
    /// slot, and the engine's hand-offs), the probe, probe → transcode (one hand-off), the transcode (ffmpeg and the live
    /// publishing), transcode → publish (a hand-off; the review when on), the publish, and the whole.
    /// </summary>
    private static string Breakdown(IReadOnlyList<VideoEntry> ready, IReadOnlyDictionary<string, DateTimeOffset> orchestrated)
    {
        static double Seconds(DateTimeOffset? from, DateTimeOffset? to) => from is { } f && to is { } t ? (t - f).TotalSeconds : double.NaN;
        static StepState? Step(VideoEntry e, PipelineStep step) => e.State?.Steps.GetValueOrDefault(step);
        var phases = new (string Name, Func<VideoEntry, double> Value)[]
        {
            ("created→orchestration", e => Seconds(e.Video.CreatedAt, orchestrated.TryGetValue(e.Video.VideoId, out var at) ? (DateTimeOffset?)at : null)),
            ("orchestration→first step (admission)", e => Seconds(orchestrated.TryGetValue(e.Video.VideoId, out var at) ? (DateTimeOffset?)at : null, Step(e, PipelineStep.ProbeSource)?.StartedAt)),
            ("probe", e => Seconds(Step(e, PipelineStep.ProbeSource)?.StartedAt, Step(e, PipelineStep.ProbeSource)?.CompletedAt)),
            ("probe→transcode", e => Seconds(Step(e, PipelineStep.ProbeSource)?.CompletedAt, Step(e, PipelineStep.TranscodeLadder)?.StartedAt)),
            ("transcode", e => Seconds(Step(e, PipelineStep.TranscodeLadder)?.StartedAt, Step(e, PipelineStep.TranscodeLadder)?.CompletedAt)),
            ("transcode→publish", e => Seconds(Step(e, PipelineStep.TranscodeLadder)?.CompletedAt, Step(e, PipelineStep.PublishVideo)?.StartedAt)),
            ("publish", e => Seconds(Step(e, PipelineStep.PublishVideo)?.StartedAt, Step(e, PipelineStep.PublishVideo)?.CompletedAt)),
            ("created→Ready", e => Seconds(e.Video.CreatedAt, e.Video.ReadyAt)),
        };
        return "per video, median (p90) seconds: " + string.Join(", ", phases.Select(p =>
        {
            var values = ready.Select(p.Value).Where(v => !double.IsNaN(v)).ToList();
            return System.FormattableString.Invariant($"{p.Name} {Median(values):0.00} ({Percentile(values, 90):0.00})");
        }));
    }

    private static double Median(IEnumerable<double> values) => Percentile(values.ToList(), 50);

    private static double Percentile(IReadOnlyList<double> values, int percentile)
    {
        if (values.Count == 0)
        {
            return double.NaN;
        }

        var sorted = values.Order().ToList();
        return sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(percentile / 100.0 * sorted.Count) - 1)];
    }

    private static async Task WaitForPoisonAsync(ReliabilityEnvironment env, int expected, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            var total = 0;
            foreach (var queue in new[] { FunctionsAppFactory.UploadQueue })
            {
                try
                {
                    total += await env.Queues.GetApproximateCountAsync(queue + "-poison", default);
                }
                catch (StorageException)
                {
                }
            }

            if (total >= expected)
            {
                return;
            }

            await Task.Delay(500);
        }
    }
}
