using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Serverless.IntegrationTests.Infrastructure;
using Serverless.Storage;
using Serverless.Videos;
using Xunit.Abstractions;

namespace Serverless.IntegrationTests.Reliability;

/// <summary>
/// Scenario 4: Azurite stops for <see cref="ReliabilityProfile.OutageLength"/> while a video is mid-transcode and a client
/// is sending a burst of events, then comes back. Every video ends Ready with complete outputs, every event is stored
/// exactly once, the HTTP API answers 503 + Retry-After (or a cached success) fast while storage is down, never a 500
/// or a hang, and the app process survives.
/// </summary>
[Trait("Category", "Reliability")]
public sealed class StorageOutageScenarioTests(ITestOutputHelper output)
{
    private const int EventBatchSize = 50;

    /// <summary>What one API probe during the outage saw.</summary>
    private sealed record Probe(string Name, int Status, double Milliseconds, string? Problem);

    [Fact]
    public async Task StorageOutage_MidPipelineAndEventsBurst_NothingLostApiFailsFast()
    {
        var profile = ReliabilityProfile.Current;
        var run = "out" + Guid.NewGuid().ToString("N")[..8];
        await using var env = await ReliabilityEnvironment.StartAsync(ownAzurite: true);
        var app = await env.StartAppAsync("a", new Dictionary<string, string>
        {
            // Step retries faster than production, so the scenario's recovery takes seconds; everything else as in production.
            // In particular the liveness settings: a worker silenced by an outage longer than the heartbeat timeout looks
            // dead, and its step is taken over as an attempt (FastRecovery's 10 s timeout would make every outage do that).
            ["Pipeline:RetryBaseDelaySeconds"] = "1",
            ["LocalRuntime:MessageLeaseSeconds"] = "30",
            [ReliabilityEnvironment.DurableSetting("storageProvider:workItemQueueVisibilityTimeout")] = "00:00:30",
        });

        var clip = await TestClips.Shared.GenerateAsync(new ClipSpec(320, 180, 4));
        var owner = app.CreateClient().As($"{run}-owner");

        // A video Ready before the outage, for the read probes (details, playback, lists).
        var warm = await ReliabilityEnvironment.UploadAsync(owner, $"{run}-owner", clip);
        await env.WaitForTerminalAsync([warm.VideoId], TimeSpan.FromSeconds(120));

        // The pipeline part: a few uploads at once; the outage starts as soon as one of them is transcoding.
        var uploads = new List<UploadedVideo> { warm };
        var fresh = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => ReliabilityEnvironment.UploadAsync(owner, $"{run}-owner", clip)));
        uploads.AddRange(fresh);
        var midTranscode = await WaitForStageAsync(env, fresh.Select(u => u.VideoId), nameof(PipelineStep.TranscodeLadder), TimeSpan.FromSeconds(60));

        // The events part: a client that spreads its batches over twice the outage, starting just before it.
        using var eventsHttp = new HttpClient { BaseAddress = app.BaseAddress, Timeout = TimeSpan.FromSeconds(100) };
        eventsHttp.As($"{run}-viewer");
        var eventsClient = SendEventsAsync(eventsHttp, run, warm.VideoId, profile.OutageEvents, profile.OutageLength * 2);

        using var probeHttp = new HttpClient { BaseAddress = app.BaseAddress, Timeout = TimeSpan.FromSeconds(100) };
        probeHttp.As($"{run}-prober");
        var probes = new ConcurrentBag<Probe>();

        await Task.Delay(TimeSpan.FromSeconds(1));
        await env.Azurite.StopAsync();
        var outage = Stopwatch.StartNew();
        using (var stopProbing = new CancellationTokenSource())
        {
            var prober = ProbeAsync(probeHttp, run, warm.VideoId, probes, stopProbing.Token);
            await Task.Delay(profile.OutageLength);
            await stopProbing.CancelAsync();
            await prober;
        }

        await env.Azurite.RestartAsync();
        var restarted = Stopwatch.StartNew();
        var pipeline = Task.Run(async () =>
        {
            await env.WaitForTerminalAsync(uploads.Select(u => u.VideoId), TimeSpan.FromSeconds(240));
            return restarted.Elapsed;
        });
        var apiRecovered = await WaitForApiAsync(probeHttp, warm.VideoId, TimeSpan.FromSeconds(120));
        var pipelineRecovered = await pipeline;
        var eventsSent = await eventsClient;
        var eventsDone = restarted.Elapsed;

        var audit = await env.AuditAsync(uploads, owner);
        var problems = audit.Problems.ToList();
        var (byTime, byUser, distinct) = await CountEventsAsync(env, run);
        var lost = audit.Lost + Math.Max(0, profile.OutageEvents - distinct);
        var duplicated = audit.Duplicated + Math.Max(0, byTime - distinct) + Math.Max(0, byUser - distinct);
        if (distinct != profile.OutageEvents || byTime != distinct || byUser != distinct)
        {
            problems.Add($"events: {profile.OutageEvents} sent, {distinct} distinct stored, {byTime} rows by time, {byUser} rows by user");
        }

        foreach (var probe in probes.Where(p => p.Problem is not null))
        {
            problems.Add($"probe {probe.Name}: {probe.Problem}");
        }

        if (app.HasExited)
        {
            problems.Add("the app process died during the outage");
        }

        // A storage outage is not the video's fault: a run it cut short is retried without using up an attempt when the
        // failure is seen while storage is down (recognition is a check at failure time, so a failure reported just as
        // storage stops or comes back can still count as one attempt: reported in the notes; no video may fail).
        var interrupted = await env.Videos.GetEntryAsync(midTranscode, default);
        var transcodeAttempts = interrupted?.State?[PipelineStep.TranscodeLadder].Attempts ?? 0;
        var attemptsCost = 0;
        foreach (var upload in uploads)
        {
            var steps = (await env.Videos.GetEntryAsync(upload.VideoId, default))?.State?.Steps ?? new Dictionary<PipelineStep, StepState>();
            attemptsCost += steps.Values.Sum(s => Math.Max(0, s.Attempts - 1));
        }

        var latencies = probes.Select(p => p.Milliseconds).ToList();
        var statuses = string.Join(", ", probes.GroupBy(p => p.Status).OrderBy(g => g.Key).Select(g => $"{g.Key}×{g.Count()}"));
        ReliabilityReport.Record(
            new ReliabilityRow(
                $"storage outage {profile.OutageLength.TotalSeconds:0} s",
                Runs: 1,
                Uploads: uploads.Count,
                audit.Ready,
                audit.FailedExpected,
                audit.FailedUnexpected,
                lost,
                duplicated,
                MaxRecoverySeconds: Math.Max(apiRecovered.TotalSeconds, pipelineRecovered.TotalSeconds),
                P50Ms: ReliabilityReport.Percentile(latencies, 50),
                P99Ms: ReliabilityReport.Percentile(latencies, 99),
                PeakMemoryBytes: env.PeakMemory(),
                Notes: string.Create(
                    CultureInfo.InvariantCulture,
                    $"outage began with a video transcoding (its transcode took {transcodeAttempts} attempt(s)); attempts the outage cost (runs it cut short are retried without one when seen while storage is down): {attemptsCost}; {probes.Count} API probes during the outage ({statuses}), latency = probe round trip; " +
                    $"{profile.OutageEvents} events in {eventsSent.Batches} batches, {eventsSent.Retries} retried after 503; " +
                    $"after restart: API healthy in {apiRecovered.TotalSeconds:0.0} s, every video terminal in {pipelineRecovered.TotalSeconds:0.0} s, last event batch stored at {eventsDone.TotalSeconds:0.0} s")),
            output);
        Assert.True(problems.Count == 0, string.Join("\n", problems) + "\n" + env.AppOutputs());
        Assert.Equal(uploads.Count, audit.Ready);
        Assert.Equal(0, lost);
        Assert.Equal(0, duplicated);
    }

    /// <summary>Waits until one of the videos is running <paramref name="stage"/> and returns its id.</summary>
    private static async Task<string> WaitForStageAsync(ReliabilityEnvironment env, IEnumerable<string> videoIds, string stage, TimeSpan timeout)
    {
        var ids = videoIds.ToList();
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            foreach (var id in ids)
            {
                var entry = await env.Videos.GetEntryAsync(id, default);
                if (entry?.Video is { Status: VideoStatus.Processing } video && video.Stage == stage
                    && entry.State is { } state && state[state.Current].Status == StepStatus.Running)
                {
                    return id;
                }
            }

            await Task.Delay(25);
        }

        throw new TimeoutException($"No video reached {stage} within {timeout}.\n{env.AppOutputs()}");
    }

    /// <summary>
    /// The mini-program's event sender: <paramref name="total"/> events in batches spread over <paramref name="span"/>;
    /// a batch answered 503 (or not answered) is sent again, unchanged, after the Retry-After the server asked for.
    /// </summary>
    private static async Task<(int Batches, int Retries)> SendEventsAsync(HttpClient http, string run, string videoId, int total, TimeSpan span)
    {
        var batches = (total + EventBatchSize - 1) / EventBatchSize;
        var pace = span / batches;
        var retries = 0;
        var at = DateTimeOffset.UtcNow.AddMinutes(-1).ToString("O", CultureInfo.InvariantCulture);
        for (var b = 0; b < batches; b++)
        {
            var events = Enumerable.Range(b * EventBatchSize, Math.Min(EventBatchSize, total - (b * EventBatchSize)))
                .Select(i => new { eventId = $"{run}-e{i:D5}", type = i % 3 == 0 ? "complete" : "play", videoId, occurredAt = at })
                .ToArray();
            var next = Task.Delay(pace);
            for (var attempt = 1; ; attempt++)
            {
                TimeSpan wait;
                try
                {
                    var response = await http.PostAsJsonAsync("/api/events", new { events });
                    if (response.StatusCode == HttpStatusCode.Accepted)
                    {
                        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
                        if (body.GetProperty("accepted").GetInt32() != events.Length)
                        {
                            throw new InvalidOperationException($"events batch {b}: {body}");
                        }

                        break;
                    }

                    if (response.StatusCode != HttpStatusCode.ServiceUnavailable)
                    {
                        throw new InvalidOperationException($"events batch {b} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
                    }

                    wait = response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(5);
                }
                catch (TaskCanceledException)
                {
                    wait = TimeSpan.FromSeconds(1);
                }

                if (attempt > 50)
                {
                    throw new TimeoutException($"events batch {b} still refused after {attempt} attempts");
                }

                retries++;
                await Task.Delay(wait);
            }

            await next;
        }

        return (batches, retries);
    }

    /// <summary>Calls the API's main endpoints in turn until stopped; every answer must be a success or a 503 with Retry-After and problem+json.</summary>
    private static async Task ProbeAsync(HttpClient http, string run, string videoId, ConcurrentBag<Probe> probes, CancellationToken stop)
    {
        var calls = new (string Name, Func<int, HttpRequestMessage> Request)[]
        {
            ("GET video", _ => new HttpRequestMessage(HttpMethod.Get, $"/api/videos/{videoId}")),
            ("GET videos", _ => new HttpRequestMessage(HttpMethod.Get, "/api/videos?count=10")),
            ("POST events", i => new HttpRequestMessage(HttpMethod.Post, "/api/events")
            {
                Content = JsonContent.Create(new { events = new[] { new { eventId = $"{run}-probe{i}", type = "play", videoId, occurredAt = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture) } } }),
            }),
            ("GET recommendations", _ => new HttpRequestMessage(HttpMethod.Get, "/api/recommendations?count=5")),
            ("GET playback", _ => new HttpRequestMessage(HttpMethod.Get, $"/api/videos/{videoId}/playback")),
            ("POST uploads", _ => new HttpRequestMessage(HttpMethod.Post, "/api/uploads")
            {
                Content = JsonContent.Create(new { fileName = "clip.mp4", contentType = "video/mp4", sizeBytes = 1000 }),
            }),
            ("GET template manifest", _ => new HttpRequestMessage(HttpMethod.Get, "/api/templates/manifest")),
        };
        for (var i = 0; !stop.IsCancellationRequested; i++)
        {
            var (name, request) = calls[i % calls.Length];
            using var message = request(i);
            var clock = Stopwatch.StartNew();
            try
            {
                using var response = await http.SendAsync(message, CancellationToken.None);
                var ms = clock.Elapsed.TotalMilliseconds;
                var status = (int)response.StatusCode;
                string? problem = null;
                if (status == 503)
                {
                    if (response.Headers.RetryAfter is null)
                    {
                        problem = "503 without Retry-After";
                    }
                    else if (response.Content.Headers.ContentType?.MediaType != "application/problem+json")
                    {
                        problem = $"503 as {response.Content.Headers.ContentType?.MediaType}";
                    }
                }
                else if (status is < 200 or >= 300)
                {
                    problem = $"answered {status}: {await response.Content.ReadAsStringAsync(CancellationToken.None)}";
                }

                if (ms > 10_000)
                {
                    problem = $"took {ms:0} ms to answer {status}";
                }

                probes.Add(new Probe(name, status, ms, problem));
            }
            catch (TaskCanceledException)
            {
                probes.Add(new Probe(name, 0, clock.Elapsed.TotalMilliseconds, $"no answer within {http.Timeout.TotalSeconds:0} s"));
            }
            catch (HttpRequestException ex)
            {
                probes.Add(new Probe(name, 0, clock.Elapsed.TotalMilliseconds, $"connection failed: {ex.Message}"));
            }
        }
    }

    /// <summary>Time until the API serves the video, its playback and events again.</summary>
    private static async Task<TimeSpan> WaitForApiAsync(HttpClient http, string videoId, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                var video = await http.GetAsync($"/api/videos/{videoId}");
                var playback = await http.GetAsync($"/api/videos/{videoId}/playback");
                var list = await http.GetAsync("/api/videos?count=10");
                if (video.IsSuccessStatusCode && playback.IsSuccessStatusCode && list.IsSuccessStatusCode)
                {
                    return clock.Elapsed;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }

            if (clock.Elapsed > timeout)
            {
                throw new TimeoutException($"The API did not recover within {timeout}.");
            }

            await Task.Delay(100);
        }
    }

    /// <summary>Rows of this run's events client in both event tables, and its distinct event ids.</summary>
    private static async Task<(int ByTime, int ByUser, int Distinct)> CountEventsAsync(ReliabilityEnvironment env, string run)
    {
        var tables = env.Services.GetRequiredService<ITableStore>();
        var prefix = $"{run}-e";
        var ids = new HashSet<string>(StringComparer.Ordinal);
        var counts = new int[2];
        var names = new[] { "RecEvents", "RecUserEvents" };
        for (var t = 0; t < names.Length; t++)
        {
            await foreach (var row in tables.QueryAsync(names[t], null, default))
            {
                if (row.GetString("EventId") is { } id && id.StartsWith(prefix, StringComparison.Ordinal))
                {
                    counts[t]++;
                    ids.Add(id);
                }
            }
        }

        return (counts[0], counts[1], ids.Count);
    }
}
