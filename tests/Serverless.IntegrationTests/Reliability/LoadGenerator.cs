using System.Diagnostics;
using System.Globalization;
using System.Net;

namespace Serverless.IntegrationTests.Reliability;

/// <summary>What one load run measured: every request's latency, the requests that were not answered as expected, and the rate.</summary>
public sealed record LoadResult(
    int Concurrency,
    TimeSpan Elapsed,
    IReadOnlyList<double> LatenciesMs,
    IReadOnlyDictionary<string, List<double>> ByLabel,
    IReadOnlyList<(double AtSeconds, double Ms)> Timeline,
    long Errors,
    IReadOnlyList<string> ErrorSamples)
{
    public long Requests => LatenciesMs.Count;

    /// <summary>Iterations completed (an iteration is one or more requests).</summary>
    public long Iterations { get; init; }

    public double IterationsPerSecond => Iterations / Math.Max(Elapsed.TotalSeconds, 0.001);

    /// <summary>Requests per second completed in the last <paramref name="fraction"/> of the run (the rate the run ended at).</summary>
    public double FinalRequestsPerSecond(double fraction)
    {
        var from = Elapsed.TotalSeconds * (1 - fraction);
        return Timeline.Count(t => t.AtSeconds >= from) / Math.Max(Elapsed.TotalSeconds - from, 0.001);
    }

    /// <summary>An adaptive run's iteration rate over time (empty for a closed loop).</summary>
    public IReadOnlyList<(double AtSeconds, double IterationsPerSecond)> Rates { get; init; } = [];

    public double RequestsPerSecond => Requests / Math.Max(Elapsed.TotalSeconds, 0.001);

    public double? P50Ms => ReliabilityReport.Percentile(LatenciesMs, 50);

    public double? P99Ms => ReliabilityReport.Percentile(LatenciesMs, 99);

    public string Summary() => string.Create(CultureInfo.InvariantCulture,
        $"{Concurrency} workers: {RequestsPerSecond:0} req/s, p50 {P50Ms:0.0} ms, p99 {P99Ms:0.0} ms, {Errors} error(s)");

    /// <summary>Count, p50, p99 and max per request label, one line each (to see which endpoint the tail comes from).</summary>
    public string Breakdown() => string.Join("\n", ByLabel.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => string.Create(CultureInfo.InvariantCulture,
        $"  {l.Key}: {l.Value.Count} requests, p50 {ReliabilityReport.Percentile(l.Value, 50):0.0} ms, p99 {ReliabilityReport.Percentile(l.Value, 99):0.0} ms, max {l.Value.Max():0.0} ms")));

    /// <summary>Rate and p99 in <paramref name="windows"/> equal slices of the run, one line each (to see whether latency drifts as the run goes on).</summary>
    public string Windows(int windows)
    {
        var width = Math.Max(Elapsed.TotalSeconds / windows, 0.001);
        return string.Join("\n", Timeline
            .GroupBy(t => Math.Min((int)(t.AtSeconds / width), windows - 1))
            .OrderBy(g => g.Key)
            .Select(g =>
            {
                var ms = g.Select(t => t.Ms).ToList();
                return string.Create(CultureInfo.InvariantCulture,
                    $"  {g.Key * width:0}-{(g.Key + 1) * width:0} s: {ms.Count / width:0} req/s, p50 {ReliabilityReport.Percentile(ms, 50):0.0} ms, p99 {ReliabilityReport.Percentile(ms, 99):0.0} ms, max {ms.Max():0.0} ms");
            }));
    }
}

/// <summary>
/// A closed-loop load generator: <c>concurrency</c> workers each run an iteration (one or more requests) after another
/// until the duration is over, sending through one shared <see cref="HttpClient"/>. Each request's latency is recorded
/// (headers and body read); a request answered with a status the iteration did not expect, or not answered, is an error.
/// </summary>
public sealed class LoadGenerator(HttpClient http)
{
    /// <summary>
    /// Open loop at the highest rate the app sustains: iterations start on a schedule (not when the previous one ends),
    /// at a rate that follows the latency every <see cref="RateControl.Window"/> (and at least
    /// <see cref="RateControl.MinRequests"/> requests): multiplied down when the window's p99
    /// went over <see cref="RateControl.HighMs"/>, raised a little when it stayed under <see cref="RateControl.LowMs"/>.
    /// So the rate tracks what the machine sustains as the run goes on (it falls when storage gets slower as its tables
    /// grow), and the result's <see cref="LoadResult.Rates"/> shows it. Latency is measured from each iteration's
    /// scheduled start, so an iteration delayed because every slot was busy counts its wait (no coordinated omission).
    /// </summary>
    /// <summary>Per iteration of an adaptive run: when it started, how late the scheduler woke for it, how long it waited for a free slot.</summary>
    public List<(double At, double WakeLateMs, double SlotWaitMs)> Diagnostics { get; } = [];

    public async Task<LoadResult> RunAdaptiveAsync(double startIterationsPerSecond, RateControl control, TimeSpan duration, Func<LoadWorker, CancellationToken, Task> iteration, CancellationToken cancellationToken = default)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var clock = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, control.Slots).Select(i => new LoadWorker(http, i, clock)).ToArray();
        var free = new System.Threading.Channels.UnboundedChannelOptions();
        var slots = System.Threading.Channels.Channel.CreateUnbounded<LoadWorker>(free);
        foreach (var worker in workers)
        {
            slots.Writer.TryWrite(worker);
        }

        var rates = new List<(double AtSeconds, double IterationsPerSecond)>();
        var rate = startIterationsPerSecond;
        var running = new List<Task>();
        var next = 0.0;
        var windowStart = 0.0;
        stop.CancelAfter(duration);
        rates.Add((0, rate));
        try
        {
            while (!stop.IsCancellationRequested)
            {
                // Wait for the scheduled start of the next iteration, then for a free slot; the slot's worker counts the
                // time past the schedule into its first request.
                var wait = next - clock.Elapsed.TotalSeconds;
                if (wait > 0)
                {
                    await Task.Delay(TimeSpan.FromSeconds(wait), stop.Token);
                }

                var woke = clock.Elapsed.TotalSeconds;
                var worker = await slots.Reader.ReadAsync(stop.Token);
                var scheduled = next;
                Diagnostics.Add((clock.Elapsed.TotalSeconds, (woke - scheduled) * 1000, (clock.Elapsed.TotalSeconds - woke) * 1000));
                worker.StartLate((clock.Elapsed.TotalSeconds - scheduled) * 1000);
                running.Add(Task.Run(
                    async () =>
                    {
                        try
                        {
                            await worker.RunOnceAsync(iteration, stop.Token);
                        }
                        finally
                        {
                            slots.Writer.TryWrite(worker);
                        }
                    },
                    CancellationToken.None));
                next += 1 / rate;

                if (clock.Elapsed.TotalSeconds - windowStart >= control.Window.TotalSeconds)
                {
                    // A window decides only once it holds enough requests for its p99 to mean something (at a low rate
                    // the p99 of a few dozen requests is their maximum, and one slow request would cut the rate again).
                    var window = workers.SelectMany(w => w.TimelineSince(windowStart)).ToList();
                    if (window.Count < control.MinRequests)
                    {
                        continue;
                    }

                    windowStart = clock.Elapsed.TotalSeconds;
                    var p99 = ReliabilityReport.Percentile(window, 99) ?? 0;
                    rate = p99 > control.HighMs ? Math.Max(rate * control.Decrease, control.MinIterationsPerSecond)
                        : p99 < control.LowMs ? rate * control.Increase
                        : rate;
                    rates.Add((windowStart, rate));
                    running.RemoveAll(t => t.IsCompleted);
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }

        await Task.WhenAll(running);
        clock.Stop();
        return Collect(control.Slots, clock.Elapsed, workers) with { Rates = rates };
    }

    public async Task<LoadResult> RunAsync(int concurrency, TimeSpan duration, Func<LoadWorker, CancellationToken, Task> iteration, CancellationToken cancellationToken = default)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var clock = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, concurrency).Select(i => new LoadWorker(http, i, clock)).ToArray();
        stop.CancelAfter(duration);
        await Task.WhenAll(workers.Select(w => Task.Run(() => w.LoopAsync(iteration, stop.Token), CancellationToken.None)));
        clock.Stop();
        return Collect(concurrency, clock.Elapsed, workers);
    }

    /// <summary>Every worker's records merged into one result.</summary>
    private static LoadResult Collect(int concurrency, TimeSpan elapsed, IReadOnlyList<LoadWorker> workers) => new(
        concurrency,
        elapsed,
        workers.SelectMany(w => w.Latencies).ToList(),
        workers.SelectMany(w => w.ByLabel).GroupBy(l => l.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.SelectMany(l => l.Value).ToList(), StringComparer.Ordinal),
        workers.SelectMany(w => w.Timeline).ToList(),
        workers.Sum(w => w.Errors),
        workers.SelectMany(w => w.ErrorSamples).Take(20).ToList())
    {
        Iterations = workers.Sum(w => w.Iteration),
    };
}

/// <summary>A response as the expected status, its body and its ETag.</summary>
public sealed record LoadResponse(HttpStatusCode Status, string Body, string? ETag);

/// <summary>One closed-loop worker: sends an iteration's requests one after another and records them.</summary>
public sealed class LoadWorker
{
    private readonly HttpClient _http;
    private readonly Stopwatch _run;

    internal LoadWorker(HttpClient http, int index, Stopwatch run)
    {
        _http = http;
        Index = index;
        _run = run;
    }

    public int Index { get; }

    /// <summary>How many iterations this worker has started (0 during the first).</summary>
    public long Iteration { get; private set; }

    internal List<double> Latencies { get; } = [];

    /// <summary>Each request's completion time (seconds since the run started) and latency.</summary>
    internal List<(double AtSeconds, double Ms)> Timeline { get; } = [];

    internal Dictionary<string, List<double>> ByLabel { get; } = new(StringComparer.Ordinal);

    internal List<string> ErrorSamples { get; } = [];

    internal long Errors { get; private set; }

    private double _lateMs;

    /// <summary>
    /// Sends <paramref name="request"/> (<paramref name="label"/> groups it in <see cref="LoadResult.Breakdown"/>) and reads the whole body; returns the status and body, or null when the status
    /// is not one of <paramref name="expected"/> or the request failed (both counted as errors). A request cut short
    /// because the run ended is neither recorded nor an error.
    /// </summary>
    public async Task<LoadResponse?> SendAsync(string label, HttpRequestMessage request, CancellationToken cancellationToken, params HttpStatusCode[] expected)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            Record(label, started);
            if (Array.IndexOf(expected, response.StatusCode) < 0)
            {
                Error($"{request.Method} {request.RequestUri?.AbsolutePath}: {(int)response.StatusCode} {Truncate(body)}");
                return null;
            }

            return new LoadResponse(response.StatusCode, body, response.Headers.ETag?.ToString());
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return null;
        }
        catch (HttpRequestException ex)
        {
            Record(label, started);
            Error($"{request.Method} {request.RequestUri?.AbsolutePath}: {ex.Message}");
            return null;
        }
        catch (TaskCanceledException ex)
        {
            Record(label, started);
            Error($"{request.Method} {request.RequestUri?.AbsolutePath}: timed out ({ex.Message})");
            return null;
        }
    }

    /// <summary>Counts a response that had the expected status but the wrong content.</summary>
    public void Error(string description)
    {
        Errors++;
        if (ErrorSamples.Count < 20)
        {
            ErrorSamples.Add(description);
        }
    }

    /// <summary>The next iteration starts <paramref name="lateMs"/> after its scheduled time: its first request counts that wait.</summary>
    internal void StartLate(double lateMs) => _lateMs = Math.Max(lateMs, 0);

    internal async Task RunOnceAsync(Func<LoadWorker, CancellationToken, Task> iteration, CancellationToken cancellationToken)
    {
        await iteration(this, cancellationToken);
        Iteration++;
    }

    /// <summary>Latencies of the requests that completed at or after <paramref name="seconds"/> into the run (read while workers run: a snapshot).</summary>
    internal List<double> TimelineSince(double seconds)
    {
        lock (Timeline)
        {
            var result = new List<double>();
            for (var i = Timeline.Count - 1; i >= 0 && Timeline[i].AtSeconds >= seconds; i--)
            {
                result.Add(Timeline[i].Ms);
            }

            return result;
        }
    }

    private void Record(string label, long started)
    {
        var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds + _lateMs;
        _lateMs = 0;
        Latencies.Add(elapsed);
        lock (Timeline)
        {
            Timeline.Add((_run.Elapsed.TotalSeconds, elapsed));
        }
        if (!ByLabel.TryGetValue(label, out var list))
        {
            ByLabel[label] = list = [];
        }

        list.Add(elapsed);
    }

    internal async Task LoopAsync(Func<LoadWorker, CancellationToken, Task> iteration, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            await iteration(this, cancellationToken);
            Iteration++;
        }
    }

    private static string Truncate(string text) => text.Length <= 200 ? text : text[..200];
}

/// <summary>How an adaptive run steers its rate (see <see cref="LoadGenerator.RunAdaptiveAsync"/>).</summary>
public sealed record RateControl(
    TimeSpan Window,
    double HighMs,
    double LowMs,
    double Decrease = 0.85,
    double Increase = 1.05,
    double MinIterationsPerSecond = 5,
    int MinRequests = 1000,
    int Slots = 64);
