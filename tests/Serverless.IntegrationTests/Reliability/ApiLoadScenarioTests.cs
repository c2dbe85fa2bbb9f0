using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Serverless.IntegrationTests.Infrastructure;
using Serverless.IntegrationTests.Templates;
using Xunit.Abstractions;

namespace Serverless.IntegrationTests.Reliability;

/// <summary>
/// Scenario 7: mixed API traffic (playback grant + signed master and media playlists, event batches, recommendations,
/// template manifest polls) at the highest rate the machine sustains with p99 under 100 ms, for
/// <see cref="ReliabilityProfile.LoadDuration"/>, while uploads keep arriving and transcoding. No request may fail,
/// every upload ends Ready exactly once, and the app's memory shows no growth trend.
/// <para>
/// The rate is found, not assumed: a short closed-loop ramp finds where latency turns up, then the measured run is an
/// open loop whose rate follows the latency window by window (<see cref="LoadGenerator.RunAdaptiveAsync"/>). A fixed rate
/// picked from a short calibration does not hold for ten minutes here: the storage emulator's writes get slower as the
/// event tables grow (its sorted in-memory indexes make each insert cost grow with the table), so what the machine
/// sustains falls during the run, and the run reports the rate it settled at as well as its mean.
/// </para>
/// </summary>
[Trait("Category", "Reliability")]
public sealed class ApiLoadScenarioTests(ITestOutputHelper output)
{
    private const int Users = 8;
    private const int SetupVideos = 3;

    /// <summary>The calibration keeps the largest concurrency whose p99 stays under this, leaving headroom below the 100 ms target.</summary>
    private const double CalibrationP99Ms = 60;

    /// <summary>
    /// The measured run's rate steering: every 5 s and 1,000 requests, down by 15 % when that window's p99 passed 80 ms,
    /// up by 5 % when it stayed under 60 ms. Not lower: as the event tables grow, storage-bound requests here reach a
    /// p99 floor of some 80 ms whatever the rate (they wait behind the single-threaded emulator's table scans), and a
    /// controller steering below that floor only ever cuts the rate.
    /// </summary>
    private static readonly RateControl Control = new(TimeSpan.FromSeconds(5), HighMs: 80, LowMs: 60);

    private static readonly int[] CalibrationSteps = [1, 2, 4, 8, 16];
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    [Fact]
    public async Task MixedTraffic_WhileTranscoding_NoErrorsLowLatencyFlatMemory()
    {
        var profile = ReliabilityProfile.Current;
        var run = Guid.NewGuid().ToString("N")[..8];
        // Hundreds of thousands of event rows: Azurite's disk persistence snapshots its whole database periodically,
        // which stalls the emulator (not a property of Azure Storage); this scenario never restarts it, so memory only.
        await using var env = await ReliabilityEnvironment.StartAsync(ownAzurite: true, inMemoryStorage: true);
        var app = await env.StartAppAsync("a", new Dictionary<string, string>
        {
            // Nothing crashes here: production liveness settings, so a busy worker is never mistaken for a dead one.
            ["LocalRuntime:MessageLeaseSeconds"] = "30",
            [ReliabilityEnvironment.DurableSetting("storageProvider:workItemQueueVisibilityTimeout")] = "00:00:30",
            ["RecommenderServing:ReloadIntervalSeconds"] = "1",
            ["RecommenderTraining:AlsIterations"] = "5",
        });

        // One shared connection pool for all load workers; each request carries its user's token itself.
        using var http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
        {
            BaseAddress = app.BaseAddress,
            Timeout = TimeSpan.FromSeconds(30),
        };
        var tokens = new List<string>();
        for (var u = 0; u < Users; u++)
        {
            tokens.Add((await http.SignInAsync($"load-{run}-{u}")).Token);
        }

        var uploader = app.CreateClient().As($"load-{run}-uploader");
        var admin = app.CreateClient().AsOperator();
        var clips = new[]
        {
            await TestClips.Shared.GenerateAsync(new ClipSpec(320, 180, 2)),
            await TestClips.Shared.GenerateAsync(new ClipSpec(320, 180, 3)),
        };

        // Setup: a few Ready videos, published templates, events from every user and a trained model being served.
        var uploads = new List<UploadedVideo>();
        for (var i = 0; i < SetupVideos; i++)
        {
            uploads.Add(await ReliabilityEnvironment.UploadAsync(uploader, "uploader", clips[i % clips.Length]));
        }

        await env.WaitForTerminalAsync(uploads.Select(u => u.VideoId), TimeSpan.FromSeconds(180));
        var videos = uploads.Select(u => u.VideoId).ToArray();

        await TemplateTestData.RegisterAssetsAsync(admin);
        for (var t = 0; t < 3; t++)
        {
            var id = TemplateTestData.UniqueId($"load{t}");
            await TemplateTestData.PutAndPublishAsync(admin, id, TemplateTestData.Template(id, loop: t == 2));
        }

        var now = DateTimeOffset.UtcNow;
        for (var u = 0; u < Users; u++)
        {
            var events = new List<object>();
            for (var v = 0; v < videos.Length; v++)
            {
                if ((u + v) % 3 != 0)
                {
                    events.Add(Event($"{run}-seed-{u}-{v}-p", "play", videos[v], now.AddMinutes(-30)));
                    events.Add(Event($"{run}-seed-{u}-{v}-c", "complete", videos[v], now.AddMinutes(-29)));
                }
            }

            using var seeded = await http.SendAsync(Authorized(HttpMethod.Post, "/api/events", tokens[u], JsonContent.Create(new { events })));
            Assert.Equal(HttpStatusCode.Accepted, seeded.StatusCode);
        }

        var retrain = await admin.PostAsync("/api/operator/recommendations/retrain", null);
        var report = await retrain.Content.ReadFromJsonAsync<JsonElement>(Json);
        Assert.True(retrain.StatusCode == HttpStatusCode.OK, report.ToString());
        var model = report.GetProperty("status").GetString();
        if (model == "published")
        {
            await WaitForModelAsync(http, tokens[0], report.GetProperty("version").GetString()!);
        }

        // Transcodes run during the whole measurement: a new tiny upload every few seconds until the load stops.
        using var stopUploads = new CancellationTokenSource();
        var uploadErrors = new List<string>();
        var background = Task.Run(async () =>
        {
            var n = 0;
            while (!stopUploads.IsCancellationRequested)
            {
                try
                {
                    // Not cancelled midway: a PUT cut off by the stop may still have stored the file, and its video would
                    // then be processed without being in the audit's list.
                    var upload = await ReliabilityEnvironment.UploadAsync(uploader, "uploader", clips[n++ % clips.Length]);
                    lock (uploads)
                    {
                        uploads.Add(upload);
                    }

                    await Task.Delay(profile.LoadUploadInterval, stopUploads.Token);
                }
                catch (OperationCanceledException) when (stopUploads.IsCancellationRequested)
                {
                }
                catch (Exception ex) when (ex is InvalidOperationException or HttpRequestException)
                {
                    lock (uploadErrors)
                    {
                        uploadErrors.Add(ex.Message);
                    }
                }
            }
        });

        // This process reads Azurite's and the app's output: on Linux each redirected stream holds a thread-pool thread
        // blocked in read(), and the pool retires idle threads between bursts, then adds them back one by one (about
        // two a second) when a burst of responses arrives. Without a floor the generator itself stalls for up to a second
        // and charges that to the app's latency.
        ThreadPool.GetMinThreads(out var minWorkers, out var minIo);
        ThreadPool.SetMinThreads(Math.Max(minWorkers, 4 * Control.Slots), minIo);
        var mix = new TrafficMix(run, tokens, videos);
        var generator = new LoadGenerator(http);

        // Calibration: the largest concurrency of the ramp whose p99 stays under the threshold (stop at the first miss);
        // the measured run starts at half its rate. RELIABILITY_LOAD_WORKERS replaces both by a closed loop of that many
        // workers (to profile one concurrency); RELIABILITY_LOAD_SECONDS shortens or lengthens the measured run.
        var duration = Environment.GetEnvironmentVariable("RELIABILITY_LOAD_SECONDS") is { } seconds
            ? TimeSpan.FromSeconds(int.Parse(seconds, CultureInfo.InvariantCulture))
            : profile.LoadDuration;
        var forced = Environment.GetEnvironmentVariable("RELIABILITY_LOAD_WORKERS") is { } w ? int.Parse(w, CultureInfo.InvariantCulture) : (int?)null;
        var calibration = new List<LoadResult>();
        LoadResult? knee = null;
        foreach (var step in forced is null ? CalibrationSteps : [])
        {
            var result = await generator.RunAsync(step, profile.LoadCalibrationStep, mix.IterationAsync);
            calibration.Add(result);
            output.WriteLine("calibration " + result.Summary() + "\n" + result.Breakdown());
            if (result.Errors > 0 || result.P99Ms >= CalibrationP99Ms)
            {
                break;
            }

            knee = result;
        }

        // The ramp ends past the knee: let what its last step queued drain before the measured run starts.
        await Task.Delay(profile.LoadCalibrationStep);
        var startRate = Math.Max((knee ?? calibration.FirstOrDefault())?.IterationsPerSecond / 2 ?? 0, Control.MinIterationsPerSecond);

        // The measured run, with the app's resident memory sampled every second.
        var memory = new List<(double Seconds, double Megabytes)>();
        using var stopSampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            var clock = Stopwatch.StartNew();
            while (!stopSampling.IsCancellationRequested)
            {
                if (app.ReadMemory() is { } m)
                {
                    memory.Add((clock.Elapsed.TotalSeconds, m.Rss / 1048576.0));
                }

                try
                {
                    await Task.Delay(1000, stopSampling.Token);
                }
                catch (OperationCanceledException)
                {
                }
            }
        });
        var pauseBefore = GC.GetTotalPauseDuration();
        var cpuBefore = (App: ProcessCpu.Seconds(app.ProcessId), Storage: ProcessCpu.Seconds(env.Azurite.ProcessId), Self: ProcessCpu.Seconds(Environment.ProcessId));
        var load = forced is { } workers
            ? await generator.RunAsync(workers, duration, mix.IterationAsync)
            : await Task.Run(() => generator.RunAdaptiveAsync(startRate, Control, duration, mix.IterationAsync));
        var mode = forced is { } closed
            ? $"closed loop of {closed} workers"
            : string.Create(CultureInfo.InvariantCulture, $"open loop steered by p99, started at {startRate * load.RequestsPerSecond / Math.Max(load.IterationsPerSecond, 0.001):0} req/s");
        var cpuAfter = (App: ProcessCpu.Seconds(app.ProcessId), Storage: ProcessCpu.Seconds(env.Azurite.ProcessId), Self: ProcessCpu.Seconds(Environment.ProcessId));
        await stopSampling.CancelAsync();
        await sampler;
        await stopUploads.CancelAsync();
        await background;
        // Which process the load saturates: CPU seconds used per second of the run (1.0 = one whole core of the two).
        var cpu = string.Create(CultureInfo.InvariantCulture,
            $"CPU cores used: app {Share(cpuBefore.App, cpuAfter.App, load.Elapsed):0.00}, Azurite {Share(cpuBefore.Storage, cpuAfter.Storage, load.Elapsed):0.00}, load generator (test process) {Share(cpuBefore.Self, cpuAfter.Self, load.Elapsed):0.00}");
        // The generator's own health: iterations it started late (its process stalled, or every slot was busy).
        var late = generator.Diagnostics.Where(d => d.WakeLateMs + d.SlotWaitMs > 20).ToList();
        var generatorHealth = string.Create(CultureInfo.InvariantCulture,
            $"generator: {late.Count} of {generator.Diagnostics.Count} iterations started > 20 ms late (max {(late.Count == 0 ? 0 : late.Max(d => d.WakeLateMs + d.SlotWaitMs)):0} ms), GC paused {(GC.GetTotalPauseDuration() - pauseBefore).TotalMilliseconds:0} ms");
        output.WriteLine(generatorHealth);
        output.WriteLine("load (" + mode + ") " + load.Summary() + "\n" + load.Breakdown() + "\n" + load.Windows(10) + "\n" + cpu);

        var drained = await env.WaitForTerminalAsync(uploads.Select(u => u.VideoId), TimeSpan.FromSeconds(120 + (uploads.Count * 10)));
        var audit = await env.AuditAsync(uploads, uploader);

        // Memory: the second half of the run is past warm-up (JIT, caches, connection pools, GC heap sizing), so a leak
        // shows there as a steady upward slope while GC shows as a sawtooth around a flat line. The least-squares slope
        // over that half, extrapolated over one more run of the same length, must stay within a fraction of the RSS
        // plus a constant (one GC sawtooth's worth): 20 % + 32 MB in the full profile (10 minutes, ~300 samples);
        // the short profile's 10-second half is too short for a meaningful slope, so it gets 50 % + 96 MB (it still
        // catches a gross leak).
        var tail = memory.Where(s => s.Seconds >= duration.TotalSeconds / 2).ToList();
        var slopePerSecond = Slope(tail);
        var tailMedian = ReliabilityReport.Percentile(tail.Select(s => s.Megabytes).ToList(), 50) ?? 0;
        var projectedGrowth = slopePerSecond * duration.TotalSeconds;
        var full = profile == ReliabilityProfile.Full;
        var allowedGrowth = full ? (0.2 * tailMedian) + 32 : (0.5 * tailMedian) + 96;

        var problems = audit.Problems.Concat(uploadErrors.Select(e => "upload: " + e)).Concat(load.ErrorSamples.Select(e => "request: " + e)).ToList();
        ReliabilityReport.Record(
            new ReliabilityRow(
                "API load",
                Runs: 1,
                Uploads: uploads.Count,
                audit.Ready,
                audit.FailedExpected,
                audit.FailedUnexpected,
                audit.Lost,
                audit.Duplicated,
                P50Ms: load.P50Ms,
                P99Ms: load.P99Ms,
                PeakMemoryBytes: env.PeakMemory(),
                Notes: string.Create(CultureInfo.InvariantCulture,
                    $"{load.RequestsPerSecond:0} req/s mean, {load.FinalRequestsPerSecond(0.1):0} req/s over the last tenth ({mode}), {load.Requests} requests in {load.Elapsed.TotalSeconds:0} s, {load.Errors} error(s); " +
                    $"RSS slope {slopePerSecond * 60:0.00} MB/min over the 2nd half (median {tailMedian:0} MB, projected {projectedGrowth:0} MB/run, allowed {allowedGrowth:0}); " +
                    $"calibration {string.Join(" | ", calibration.Select(c => c.Summary()))}; {cpu}; {generatorHealth}; model {model}; uploads terminal {drained.TotalSeconds:0} s after the load")),
            output);

        Assert.True(problems.Count == 0 && load.Errors == 0, $"{load.Errors} request error(s)\n" + string.Join("\n", problems) + "\n" + env.AppOutputs());
        Assert.Equal(uploads.Count, audit.Ready);
        Assert.True(load.Requests > 0);

        // The issue's targets are a latency and a memory slope: the full profile (./dev.sh reliability, nothing else
        // running) asserts them. The short profile runs beside the rest of the suite on 2 shared cores, where a latency or
        // a 20 s memory slope measures the machine, not the app: it records them in its row and asserts behaviour (every
        // request answered, every upload Ready).
        if (full)
        {
            Assert.True(load.P99Ms < 100, $"p99 {load.P99Ms:0.0} ms ({mode}), bound 100 ms");
            Assert.True(projectedGrowth < allowedGrowth, $"RSS grows {slopePerSecond * 60:0.00} MB/min: {projectedGrowth:0} MB over a run, allowed {allowedGrowth:0} MB");
        }
    }

    private static double? Share(double? before, double? after, TimeSpan elapsed) => after - before is { } used ? used / elapsed.TotalSeconds : null;

    /// <summary>Least-squares slope of megabytes over seconds (0 with fewer than two samples).</summary>
    internal static double Slope(IReadOnlyList<(double Seconds, double Megabytes)> samples)
    {
        if (samples.Count < 2)
        {
            return 0;
        }

        var meanX = samples.Average(s => s.Seconds);
        var meanY = samples.Average(s => s.Megabytes);
        var covariance = samples.Sum(s => (s.Seconds - meanX) * (s.Megabytes - meanY));
        var variance = samples.Sum(s => (s.Seconds - meanX) * (s.Seconds - meanX));
        return variance == 0 ? 0 : covariance / variance;
    }

    private static object Event(string id, string type, string video, DateTimeOffset at) =>
        new { eventId = id, type, videoId = video, occurredAt = at.ToString("O", CultureInfo.InvariantCulture) };

    private static HttpRequestMessage Authorized(HttpMethod method, string uri, string token, HttpContent? content = null)
    {
        var request = new HttpRequestMessage(method, uri) { Content = content };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return request;
    }

    private static async Task WaitForModelAsync(HttpClient http, string token, string version)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            using var response = await http.SendAsync(Authorized(HttpMethod.Get, "/api/recommendations?count=5", token));
            var body = await response.Content.ReadFromJsonAsync<JsonElement>(Json);
            if (response.StatusCode == HttpStatusCode.OK && body.GetProperty("modelVersion").GetString() == version)
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, $"model {version} not served within 60 s: {body}");
            await Task.Delay(250);
        }
    }

    /// <summary>
    /// One iteration of a worker, by turns: playback (grant, master, media playlist: 4 in 10), an event batch (2 in 10),
    /// recommendations (2 in 10), a template manifest poll (2 in 10: If-None-Match, so mostly 304, with an occasional
    /// full fetch).
    /// </summary>
    private sealed class TrafficMix(string run, IReadOnlyList<string> tokens, IReadOnlyList<string> videos)
    {
        private readonly string?[] _etags = new string?[Math.Max(CalibrationSteps.Max(), Control.Slots)];
        private long _batches;

        public async Task IterationAsync(LoadWorker worker, CancellationToken cancellationToken)
        {
            var token = tokens[worker.Index % tokens.Count];
            var turn = (worker.Index + worker.Iteration) % 10;
            switch (turn)
            {
                case < 4:
                    await PlaybackAsync(worker, token, videos[(int)((worker.Index + worker.Iteration) % videos.Count)], cancellationToken);
                    break;
                case < 6:
                    await EventsAsync(worker, token, cancellationToken);
                    break;
                case < 8:
                    using (var request = Authorized(HttpMethod.Get, "/api/recommendations?count=10", token))
                    {
                        if (await worker.SendAsync("recommendations", request, cancellationToken, HttpStatusCode.OK) is { } response && !response.Body.Contains("\"items\"", StringComparison.Ordinal))
                        {
                            worker.Error("recommendations without items: " + response.Body);
                        }
                    }

                    break;
                default:
                    await ManifestAsync(worker, token, cancellationToken);
                    break;
            }
        }

        private static async Task PlaybackAsync(LoadWorker worker, string token, string videoId, CancellationToken cancellationToken)
        {
            using var grant = Authorized(HttpMethod.Get, $"/api/videos/{videoId}/playback", token);
            if (await worker.SendAsync("playback grant", grant, cancellationToken, HttpStatusCode.OK) is not { } granted)
            {
                return;
            }

            var master = new Uri(JsonDocument.Parse(granted.Body).RootElement.GetProperty("url").GetString()!);
            using var masterRequest = new HttpRequestMessage(HttpMethod.Get, master);
            if (await worker.SendAsync("master playlist", masterRequest, cancellationToken, HttpStatusCode.OK) is not { } playlist)
            {
                return;
            }

            var child = playlist.Body.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.Length > 0 && !l.StartsWith('#'));
            if (child is null)
            {
                worker.Error($"master playlist of {videoId} names no rendition");
                return;
            }

            using var mediaRequest = new HttpRequestMessage(HttpMethod.Get, new Uri(master, child));
            if (await worker.SendAsync("media playlist", mediaRequest, cancellationToken, HttpStatusCode.OK) is { } media && !media.Body.Contains("#EXTINF", StringComparison.Ordinal))
            {
                worker.Error($"media playlist of {videoId} has no segments");
            }
        }

        private async Task EventsAsync(LoadWorker worker, string token, CancellationToken cancellationToken)
        {
            var now = DateTimeOffset.UtcNow;
            var batch = Interlocked.Increment(ref _batches);
            var events = Enumerable.Range(0, 5).Select(k => Event(
                $"{run}-b{batch}-{k}",
                k % 2 == 0 ? "play" : "complete",
                videos[(int)((worker.Iteration + k) % videos.Count)],
                now.AddSeconds(-k))).ToArray();
            using var request = Authorized(HttpMethod.Post, "/api/events", token, JsonContent.Create(new { events }));
            if (await worker.SendAsync("events", request, cancellationToken, HttpStatusCode.Accepted) is { } response)
            {
                var accepted = JsonDocument.Parse(response.Body).RootElement.GetProperty("accepted").GetInt32();
                if (accepted != events.Length)
                {
                    worker.Error($"event batch: {accepted} of {events.Length} accepted: {response.Body}");
                }
            }
        }

        private async Task ManifestAsync(LoadWorker worker, string token, CancellationToken cancellationToken)
        {
            // Every fifth poll of a worker is a full fetch (a client with an empty cache); the rest revalidate.
            var etag = worker.Iteration % 50 < 10 ? null : _etags[worker.Index];
            using var request = Authorized(HttpMethod.Get, "/api/templates/manifest", token);
            if (etag is not null)
            {
                request.Headers.TryAddWithoutValidation("If-None-Match", etag);
            }

            var response = await worker.SendAsync(etag is null ? "manifest full" : "manifest 304", request, cancellationToken, etag is null ? HttpStatusCode.OK : HttpStatusCode.NotModified);
            if (response is { Status: HttpStatusCode.OK })
            {
                if (response.ETag is null || !response.Body.Contains("\"upserts\"", StringComparison.Ordinal))
                {
                    worker.Error("manifest without an ETag or templates");
                }

                _etags[worker.Index] = response.ETag;
            }
        }
    }
}
