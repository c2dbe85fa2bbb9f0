using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;

namespace Serverless.Playback.Benchmarks;

/// <summary>Throughput and latency of one run.</summary>
internal sealed record LoadResult(long Requests, long Errors, TimeSpan Elapsed, TimeSpan P50, TimeSpan P99, TimeSpan Max)
{
    public double RequestsPerSecond => Requests / Elapsed.TotalSeconds;

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{RequestsPerSecond,9:F0} req/s  p50 {P50.TotalMilliseconds,6:F2} ms  p99 {P99.TotalMilliseconds,6:F2} ms  max {Max.TotalMilliseconds,7:F2} ms  ({Requests} requests, {Errors} errors)");
}

/// <summary>The URLs each run cycles through: a player's playlist fetches, and the trivial endpoint.</summary>
internal sealed record PlaybackTargets(IReadOnlyList<string> Playlists, IReadOnlyList<string> Trivial, int Renditions, int Segments)
{
    /// <summary>
    /// Grants <paramref name="tokens"/> playback URLs (as many clients would hold) and lists, per token, the master and
    /// each rendition's media playlist: every request validates a token and serves a signed playlist.
    /// </summary>
    public static async Task<PlaybackTargets> CreateAsync(Uri app, string videoId, int tokens)
    {
        using var http = new HttpClient { BaseAddress = app };
        await Net.SignInAsync(http);
        var playlists = new List<string>();
        var renditions = 0;
        var segments = 0;
        for (var i = 0; i < tokens; i++)
        {
            var grant = await http.GetFromJsonAsync<JsonElement>($"/api/videos/{videoId}/playback");
            var master = new Uri(grant.GetProperty("url").GetString()!);
            playlists.Add(master.PathAndQuery);
            var children = (await http.GetStringAsync(master)).Split('\n').Where(l => l.Length > 0 && l[0] != '#').ToList();
            playlists.AddRange(children.Select(c => new Uri(master, c).PathAndQuery));
            renditions = children.Count;
            if (i == 0)
            {
                var media = await http.GetStringAsync(new Uri(master, children[0]));
                segments = media.Split('\n').Count(l => l.Length > 0 && l[0] != '#');
            }
        }

        return new PlaybackTargets(playlists, ["/api/health"], renditions, segments);
    }
}

/// <summary>A closed-loop HTTP load: N connections, each sending its next request as soon as the last one is read.</summary>
internal static class LoadGenerator
{
    public static async Task<LoadResult> RunAsync(Uri app, IReadOnlyList<string> paths, BenchmarkOptions options)
    {
        using var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = options.Connections,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            UseCookies = false,
            UseProxy = false,
            AllowAutoRedirect = false,
        };
        using var client = new HttpMessageInvoker(handler);
        var urls = paths.Select(p => new Uri(app, p)).ToArray();

        await RunWorkersAsync(client, urls, options.Connections, TimeSpan.FromSeconds(options.WarmupSeconds));
        var clock = Stopwatch.StartNew();
        var workers = await RunWorkersAsync(client, urls, options.Connections, TimeSpan.FromSeconds(options.Seconds));
        var elapsed = clock.Elapsed;

        var latencies = workers.SelectMany(w => w.Latencies).Order().ToArray();
        return new LoadResult(
            latencies.Length,
            workers.Sum(w => w.Errors),
            elapsed,
            Percentile(latencies, 0.50),
            Percentile(latencies, 0.99),
            latencies.Length == 0 ? TimeSpan.Zero : Stopwatch.GetElapsedTime(0, latencies[^1]));
    }

    private static async Task<Worker[]> RunWorkersAsync(HttpMessageInvoker client, Uri[] urls, int connections, TimeSpan duration)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var workers = Enumerable.Range(0, connections).Select(i => new Worker(i * 7)).ToArray();
        await Task.WhenAll(workers.Select(w => Task.Run(() => w.RunAsync(client, urls, deadline))));
        return workers;
    }

    private static TimeSpan Percentile(long[] sorted, double p) =>
        sorted.Length == 0 ? TimeSpan.Zero : Stopwatch.GetElapsedTime(0, sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)]);

    private sealed class Worker(int offset)
    {
        public List<long> Latencies { get; } = new(1 << 16);

        public long Errors { get; private set; }

        public async Task RunAsync(HttpMessageInvoker client, Uri[] urls, long deadline)
        {
            var next = offset;
            while (Stopwatch.GetTimestamp() < deadline)
            {
                var started = Stopwatch.GetTimestamp();
                using var request = new HttpRequestMessage(HttpMethod.Get, urls[next++ % urls.Length]);
                using var response = await client.SendAsync(request, CancellationToken.None);
                await response.Content.CopyToAsync(Stream.Null);
                Latencies.Add(Stopwatch.GetTimestamp() - started);
                if (!response.IsSuccessStatusCode)
                {
                    Errors++;
                }
            }
        }
    }
}
