using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Serverless.IntegrationTests.Infrastructure;
using Serverless.Videos;
using Xunit.Abstractions;

namespace Serverless.IntegrationTests.Reliability;

/// <summary>
/// Scenario 2: kill -9 the app at random moments across the pipeline (probe, transcode, after the segments are
/// uploaded, during a model retrain), restart it on the same work folder, as a restarted host would, and check that
/// every video ends terminal once with complete outputs, nothing is left in the work folder (the killed process's ffmpeg
/// keeps running: the restarted instance must deal with it), and the model pointer names a complete, loadable model.
/// </summary>
[Trait("Category", "Reliability")]
public sealed class CrashScenarioTests(ITestOutputHelper output)
{
    private const string Instance = "a";

    /// <summary>Where the recommender's model and its <c>latest</c> pointer live (ModelRepository).</summary>
    private const string ModelContainer = "models";

    private const string PointerBlob = "recommender/latest.json";

    /// <summary>A heavier ALS model than the default, so a retrain on this scenario's few events lasts long enough (a second or more) to be killed inside.</summary>
    private static readonly Dictionary<string, string> Settings = new()
    {
        ["RecommenderTraining:AlsFactors"] = "256",
        ["RecommenderTraining:AlsIterations"] = "30",
    };

    /// <summary>Where each run kills; cycled, so the short profile covers the first three and the full one all, five times each.</summary>
    private static readonly Target[] Targets = [Target.Transcode, Target.Retrain, Target.AfterTranscode, Target.Probe];

    private enum Target
    {
        Probe,
        Transcode,
        AfterTranscode,
        Retrain,
    }

    [Fact]
    public async Task Crash_KilledAtRandomMoments_EveryVideoEndsOnce_AndAModelAlwaysServes()
    {
        var runs = ReliabilityProfile.Current.CrashRuns;
        var seed = Environment.GetEnvironmentVariable("RELIABILITY_SEED") is { Length: > 0 } s ? int.Parse(s, CultureInfo.InvariantCulture) : Random.Shared.Next();
        output.WriteLine($"seed {seed} (RELIABILITY_SEED={seed} repeats these moments)");
        var random = new Random(seed);
        await using var env = await ReliabilityEnvironment.StartAsync();
        string[] clips = [await TestClips.Shared.GenerateAsync(new ClipSpec(320, 180, 2)), await TestClips.Shared.GenerateAsync(new ClipSpec(640, 360, 3))];

        var uploads = new List<UploadedVideo>();
        var recoveries = new List<double>();
        var kills = new List<string>();
        var problems = new List<string>();
        var orphans = 0;
        var app = await env.StartAppAsync(Instance, Settings);
        _ = env.Services; // The outside reader starts now, not inside the first run's tight polling.
        for (var run = 0; run < runs; run++)
        {
            var target = Targets[run % Targets.Length];
            var user = $"crash-{run % 3}";
            var client = app.CreateClient().As(user);
            var batch = await Task.WhenAll(new[] { clips[random.Next(clips.Length)], clips[random.Next(clips.Length)] }
                .Select(clip => ReliabilityEnvironment.UploadAsync(client, user, clip)));

            uploads.AddRange(batch);
            var ids = batch.Select(b => b.VideoId).ToList();
            RetrainProbe? retrain = null;
            switch (target)
            {
                case Target.Probe:
                    await WaitForAsync(env, ids, v => v.Stage == nameof(PipelineStep.ProbeSource));
                    await Task.Delay(random.Next(0, 150));
                    break;
                case Target.Transcode:
                    await WaitForAsync(env, ids, v => v.Stage == nameof(PipelineStep.TranscodeLadder));
                    await Task.Delay(random.Next(0, 1500));
                    break;
                case Target.AfterTranscode:
                    await WaitForAsync(env, ids, v => v.PlayableAt is not null || v.Stage == nameof(PipelineStep.PublishVideo));
                    await Task.Delay(random.Next(0, 60));
                    break;
                case Target.Retrain:
                    retrain = await StartRetrainAsync(env, app, uploads, run);
                    await Task.Delay(random.Next(0, (int)Math.Max(50, retrain.WarmUp.TotalMilliseconds / 3)));
                    break;
            }

            await app.KillAsync();
            var cut = string.Empty;
            if (retrain is not null)
            {
                var answer = retrain.Request.IsCompletedSuccessfully ? $"had answered {(int)(await retrain.Request).StatusCode}" : "in flight";
                cut = string.Create(CultureInfo.InvariantCulture, $", retrain {answer} (a complete one took {retrain.WarmUp.TotalSeconds:0.00} s)");
            }


            // The killed process's ffmpeg children outlive it; the restarted instance must stop them before reusing the folder.
            var survivors = MediaProcesses.Find(env.WorkDirectory(Instance));
            orphans += survivors.Count;
            kills.Add($"run {run} {target}: {await DescribeAsync(env, ids)}{(survivors.Count > 0 ? $", {survivors.Count} ffmpeg orphaned" : string.Empty)}{cut}");
            var restarted = Stopwatch.StartNew();
            app = await env.StartAppAsync(Instance, Settings);
            var stillRunning = survivors.Where(p => MediaProcesses.Find(env.WorkDirectory(Instance)).Any(q => q.ProcessId == p.ProcessId)).ToList();
            if (stillRunning.Count > 0)
            {
                problems.Add($"run {run}: {stillRunning.Count} ffmpeg of the killed instance still running after the restart: {string.Join(" ", stillRunning[0].Arguments)}");
            }

            try
            {
                await env.WaitForTerminalAsync(ids, TimeSpan.FromSeconds(180));
            }
            catch (TimeoutException ex)
            {
                // Recorded, not thrown: the row is written before asserting, and the audit names what was left.
                problems.Add($"run {run}: {ex.Message.Split('\n')[0]}");
            }

            recoveries.Add(restarted.Elapsed.TotalSeconds);
            kills[^1] += string.Create(CultureInfo.InvariantCulture, $"; recovered in {recoveries[^1]:0.0} s");
            if (retrain is not null)
            {
                var (outcome, wrong) = await CheckModelAsync(env, app, retrain);
                kills[^1] += $", {outcome}";
                problems.AddRange(wrong);
            }

            output.WriteLine(kills[^1]);
        }

        var audit = await env.AuditAsync(uploads, app.CreateClient().As("crash-0"));
        problems.InsertRange(0, audit.Problems);
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
                "crash anywhere (kill -9, restart)",
                runs,
                uploads.Count,
                audit.Ready,
                audit.FailedExpected,
                audit.FailedUnexpected,
                audit.Lost,
                audit.Duplicated,
                MaxRecoverySeconds: recoveries.Max(),
                P50Ms: ReliabilityReport.Percentile(latencies, 50),
                P99Ms: ReliabilityReport.Percentile(latencies, 99),
                PeakMemoryBytes: env.PeakMemory(),
                Notes: $"seed {seed}; recovery = restart until the run's videos are terminal; latency = upload to Ready, across a crash; " +
                    $"{orphans} ffmpeg orphaned by the kills (still running after the kill; each stopped by the restarted instance's start-up cleanup); kills: {string.Join("; ", kills)}"),
            output);
        Assert.True(problems.Count == 0, string.Join("\n", problems) + "\n" + env.AppOutputs());
        Assert.Equal(uploads.Count, audit.Ready);
    }

    /// <summary>Polls (tightly: a probe takes a fraction of a second) until one video satisfies the predicate, or it cannot any more.</summary>
    private static async Task WaitForAsync(ReliabilityEnvironment env, IReadOnlyList<string> ids, Func<VideoRecord, bool> predicate)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(60))
        {
            var done = 0;
            foreach (var id in ids)
            {
                var video = await env.Videos.GetAsync(id, default);
                if (video is not null && predicate(video))
                {
                    return;
                }

                done += video?.Status is VideoStatus.Ready or VideoStatus.Failed ? 1 : 0;
            }

            if (done == ids.Count)
            {
                return; // Missed the moment: the kill lands wherever the pipeline is (the notes say where).
            }

            await Task.Delay(15);
        }
    }

    private static async Task<string> DescribeAsync(ReliabilityEnvironment env, IReadOnlyList<string> ids)
    {
        var parts = new List<string>();
        foreach (var id in ids)
        {
            var video = await env.Videos.GetAsync(id, default);
            parts.Add(video is null ? "missing" : string.Create(CultureInfo.InvariantCulture, $"{video.Status}/{video.Stage}/{video.Progress:0}"));
        }

        return string.Join(" + ", parts);
    }

    /// <summary>A retrain the run kills: the pointer before it, and the operator's request (which the kill may cut).</summary>
    private sealed record RetrainProbe(string? PointerBefore, TimeSpan WarmUp, Task<HttpResponseMessage> Request);

    /// <summary>
    /// Plays and completes the Ready videos so far for a few users, makes sure a model already serves (so a cut retrain
    /// has a previous model to leave in place), then starts the retrain the kill will land in.
    /// </summary>
    private static async Task<RetrainProbe> StartRetrainAsync(ReliabilityEnvironment env, AppProcess app, IReadOnlyList<UploadedVideo> uploads, int run)
    {
        var http = app.CreateClient();
        var now = DateTimeOffset.UtcNow;
        var videos = uploads.Select(u => u.VideoId).ToList();
        for (var u = 0; u < 12; u++)
        {
            var events = videos.Where((_, i) => (i + u) % 2 == 0).SelectMany(v => new object[]
            {
                new { eventId = $"r{run}-u{u}-{v}-play", type = "play", videoId = v, occurredAt = now.AddMinutes(-5).ToString("O") },
                new { eventId = $"r{run}-u{u}-{v}-done", type = "complete", videoId = v, occurredAt = now.AddMinutes(-4).ToString("O") },
            }).ToList();
            var posted = await http.As($"viewer-{u}").PostAsJsonAsync("/api/events", new { events });
            Assert.Equal(HttpStatusCode.Accepted, posted.StatusCode);
        }

        // Complete retrains first: a model serves before the cut one, and the second (warm) one's duration bounds the
        // moment of the kill (its first third), so it lands inside the retrain rather than after it.
        var operatorClient = app.CreateClient().AsOperator();
        var warmUp = TimeSpan.Zero;
        for (var i = 0; i < 2; i++)
        {
            var clock = Stopwatch.StartNew();
            var complete = await operatorClient.PostAsync("/api/operator/recommendations/retrain", null);
            warmUp = clock.Elapsed;
            if (await ReadPointerAsync(env) is null)
            {
                Assert.Fail($"no model after a complete retrain, which answered {(int)complete.StatusCode}: {await complete.Content.ReadAsStringAsync()}");
            }
        }

        var before = await ReadPointerAsync(env);
        return new RetrainProbe(before, warmUp, operatorClient.PostAsync("/api/operator/recommendations/retrain", null));
    }

    private static async Task<string?> ReadPointerAsync(ReliabilityEnvironment env) =>
        await env.Blobs.ReadTextAsync(ModelContainer, PointerBlob, default) is { } text
            ? JsonDocument.Parse(text).RootElement.GetProperty("version").GetString()
            : null;

    /// <summary>After the restart: the pointer is the previous one or a new complete one, and the app serves it. Returns which, and what is wrong.</summary>
    private static async Task<(string Outcome, IReadOnlyList<string> Problems)> CheckModelAsync(ReliabilityEnvironment env, AppProcess app, RetrainProbe retrain)
    {
        try
        {
            using var answered = await retrain.Request;
        }
        catch (HttpRequestException)
        {
            // The kill cut the request.
        }

        var problems = new List<string>();
        var text = await env.Blobs.ReadTextAsync(ModelContainer, PointerBlob, default);
        if (text is null)
        {
            return ("no model", retrain.PointerBefore is null ? problems : ["the model pointer disappeared"]);
        }

        var pointer = JsonDocument.Parse(text).RootElement;
        var version = pointer.GetProperty("version").GetString()!;
        var modelBlob = pointer.GetProperty("modelBlob").GetString()!;
        var outcome = version == retrain.PointerBefore ? "previous model kept" : "new model published";
        if (await env.Blobs.GetInfoAsync(ModelContainer, modelBlob, default) is not { Length: > 0 })
        {
            problems.Add($"the model pointer names {modelBlob}, which is missing or empty");
        }

        // The restarted app loads the pointer at start-up: it must answer with that version (so the blob loads).
        var http = app.CreateClient().As("viewer-0");
        string? served = null;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(30))
        {
            var response = await http.GetAsync("/api/recommendations?count=5");
            if (response.StatusCode != HttpStatusCode.OK)
            {
                problems.Add($"GET /api/recommendations answered {(int)response.StatusCode} after a retrain was killed");
                return (outcome, problems);
            }

            var feed = await response.Content.ReadFromJsonAsync<JsonElement>();
            served = feed.TryGetProperty("modelVersion", out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
            if (served == version)
            {
                return (outcome, problems);
            }

            await Task.Delay(500);
        }

        problems.Add($"the restarted app serves model {served ?? "none"}, not the pointer's {version}");
        return (outcome, problems);
    }
}
