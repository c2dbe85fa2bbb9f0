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
    public async Task<LoadResult> RunAsync(int concurrency, TimeSpan duration, Func<LoadWorker, CancellationToken, Task> iteration, CancellationToken cancellationToken = default)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var clock = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, concurrency).Select(i => new LoadWorker(http, i, clock)).ToArray();
        stop.CancelAfter(duration);
        await Task.WhenAll(workers.Select(w => Task.Run(() => w.LoopAsync(iteration, stop.Token), CancellationToken.None)));
        clock.Stop();
        return new LoadResult(
            concurrency,
            clock.Elapsed,
            workers.SelectMany(w => w.Latencies).ToList(),
            workers.SelectMany(w => w.ByLabel).GroupBy(l => l.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.SelectMany(l => l.Value).ToList(), StringComparer.Ordinal),
            workers.SelectMany(w => w.Timeline).ToList(),
            workers.Sum(w => w.Errors),
            workers.SelectMany(w => w.ErrorSamples).Take(20).ToList());
    }
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

    private void Record(string label, long started)
    {
        var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        Latencies.Add(elapsed);
        Timeline.Add((_run.Elapsed.TotalSeconds, elapsed));
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
