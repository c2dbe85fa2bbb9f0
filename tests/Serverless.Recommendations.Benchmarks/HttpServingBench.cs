using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;

namespace Serverless.Recommendations.Benchmarks;

/// <summary>
/// <c>GET /api/recommendations</c> over HTTP on loopback: each snapshot served by its own <c>serve</c> child process and
/// loaded by a separate <c>load</c> child process (never by the training process, whose large heap would add its GC
/// pauses to the client's latencies). Rounds alternate between the snapshots so both see the same machine.
/// </summary>
internal static class HttpServingBench
{
    public static async Task RunAsync(IReadOnlyList<(string Label, string ModelFile)> snapshots, IReadOnlyList<string> requestUsers, int rounds, TextWriter output)
    {
        var usersFile = Path.Combine(Path.GetTempPath(), $"rec-bench-users-{Environment.ProcessId}.txt");
        await File.WriteAllLinesAsync(usersFile, requestUsers);
        var servers = new List<(string Label, Process Process, int Port)>();
        try
        {
            foreach (var (label, model) in snapshots)
            {
                var port = FreePort();
                servers.Add((label, Start("serve", model, port.ToString(CultureInfo.InvariantCulture)), port));
            }

            foreach (var (_, _, port) in servers)
            {
                await WaitReadyAsync(port);
            }

            var results = servers.ToDictionary(s => s.Label, _ => new List<LoadResult>());
            for (var round = 0; round < rounds; round++)
            {
                foreach (var (label, _, port) in round % 2 == 0 ? servers : Enumerable.Reverse(servers))
                {
                    var result = await LoadAsync(port, usersFile);
                    results[label].Add(result);
                    output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  round {round + 1} {label,-34} {result}"));
                }
            }

            foreach (var (label, list) in results)
            {
                var median = list.OrderBy(r => r.RequestsPerSecond).ElementAt(list.Count / 2);
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"Serving over HTTP, {label} (separate server and load processes, loopback, {LoadCommand.Clients} clients, {LoadCommand.Seconds} s, median of {list.Count} rounds by req/s): {median}"));
            }
        }
        finally
        {
            foreach (var (_, process, _) in servers)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
                process.Dispose();
            }

            File.Delete(usersFile);
        }
    }

    private static async Task<LoadResult> LoadAsync(int port, string usersFile)
    {
        using var load = Start("load", port.ToString(CultureInfo.InvariantCulture), usersFile);
        var line = await load.StandardOutput.ReadToEndAsync();
        await load.WaitForExitAsync();
        return load.ExitCode == 0
            ? JsonSerializer.Deserialize<LoadResult>(line.Trim())!
            : throw new InvalidOperationException($"The load process failed ({load.ExitCode}): {await load.StandardError.ReadToEndAsync()}");
    }

    private static Process Start(params string[] args)
    {
        var psi = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            psi.ArgumentList.Add(arg);
        }

        return Process.Start(psi)!;
    }

    private static async Task WaitReadyAsync(int port)
    {
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                using var ready = await http.GetAsync("/api/recommendations?count=1");
                if (ready.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException) when (attempt < 600)
            {
                await Task.Delay(100);
            }
        }
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>Throughput and latency of one load run.</summary>
internal sealed record LoadResult(double RequestsPerSecond, double P50Ms, double P99Ms, long Requests, long Errors)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{RequestsPerSecond,7:F0} req/s, p50 {P50Ms:F2} ms, p99 {P99Ms:F2} ms ({Requests:N0} requests, {Errors} errors)");
}

/// <summary>
/// <c>load &lt;port&gt; &lt;users-file&gt;</c>: the load generator as its own small process. <see cref="Clients"/> closed-loop
/// clients, each sending its next request as soon as the last answer is read, for a warm-up and then
/// <see cref="Seconds"/> measured seconds; prints one JSON <see cref="LoadResult"/>.
/// </summary>
internal static class LoadCommand
{
    public const int Clients = 32;
    public const int Seconds = 10;

    public static async Task<int> RunAsync(int port, string usersFile)
    {
        var users = await File.ReadAllLinesAsync(usersFile);
        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = Clients, UseProxy = false, UseCookies = false, PooledConnectionLifetime = Timeout.InfiniteTimeSpan };
        using var http = new HttpClient(handler) { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        await RunClientsAsync(http, users, TimeSpan.FromSeconds(3), measure: false);
        var wall = Stopwatch.StartNew();
        var (latencies, errors) = await RunClientsAsync(http, users, TimeSpan.FromSeconds(Seconds), measure: true);
        var seconds = wall.Elapsed.TotalSeconds;
        Array.Sort(latencies);
        var result = new LoadResult(latencies.Length / seconds, latencies[latencies.Length / 2], latencies[(int)(latencies.Length * 0.99)], latencies.Length, errors);
        Console.WriteLine(JsonSerializer.Serialize(result));
        return 0;
    }

    private static async Task<(double[] Latencies, long Errors)> RunClientsAsync(HttpClient http, string[] users, TimeSpan duration, bool measure)
    {
        long errors = 0;
        var perClient = await Task.WhenAll(Enumerable.Range(0, Clients).Select(async client =>
        {
            var random = new Random(client);
            var latencies = new List<double>(measure ? 16_384 : 0);
            var stop = Stopwatch.StartNew();
            while (stop.Elapsed < duration)
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, "/api/recommendations?count=20");
                request.Headers.Add("X-Dev-User", users[random.Next(users.Length)]);
                var t = Stopwatch.GetTimestamp();
                using var response = await http.SendAsync(request);
                await response.Content.ReadAsByteArrayAsync();
                if (!response.IsSuccessStatusCode)
                {
                    Interlocked.Increment(ref errors);
                }

                if (measure)
                {
                    latencies.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
                }
            }

            return latencies;
        }));
        return ([.. perClient.SelectMany(l => l)], errors);
    }
}
