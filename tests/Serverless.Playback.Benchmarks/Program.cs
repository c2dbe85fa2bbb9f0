using System.Globalization;
using Serverless.Playback.Benchmarks;

// Throughput of the signed playlist endpoints against a trivial endpoint (/api/health) of the same app, measured side
// by side: the app runs as its own process (the built Serverless.Functions on Kestrel, loopback, on a private Azurite
// with a video made by the real pipeline: a 60 s portrait 720x1280 clip, 3 renditions); this process is the load generator. Targets (issue 3): playlists reach at
// least 50% of the trivial endpoint's requests per second, with p99 under 20 ms at that load.
if (args is ["--signing", ..])
{
    // dotnet run -c Release --project tests/Serverless.Playback.Benchmarks -- --signing [segments] [rounds]
    var signingWork = Directory.CreateTempSubdirectory("signing-bench-").FullName;
    try
    {
        return await SigningBenchmark.RunAsync(
            signingWork,
            args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 30,
            args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 7);
    }
    finally
    {
        Directory.Delete(signingWork, recursive: true);
    }
}

if (Serverless.Testing.LocalTools.Missing("azurite", "ffmpeg", "ffprobe") is { } missing)
{
    Console.Error.WriteLine(missing);
    return 1;
}

var options = BenchmarkOptions.Parse(args);
var work = Directory.CreateTempSubdirectory("playback-bench-").FullName;
try
{
    await using var azurite = await AzuriteHost.StartAsync(Path.Combine(work, "azurite"));
    var videoId = await AppHost.SeedAsync(azurite.ConnectionString, work, options);
    await using var app = await AppHost.StartAsync(azurite.ConnectionString, work, localRuntime: false);
    var targets = await PlaybackTargets.CreateAsync(app.BaseAddress, videoId, tokens: 64);
    Console.WriteLine($"Video {videoId}: {targets.Renditions} renditions, {targets.Segments} segments per media playlist; {options.Connections} connections, {options.Seconds} s per run after {options.WarmupSeconds} s warm-up.");

    // One untimed pass over both first, so the first timed round is not also the JIT's warm-up.
    await LoadGenerator.RunAsync(app.BaseAddress, targets.Trivial, options);
    await LoadGenerator.RunAsync(app.BaseAddress, targets.Playlists, options);

    var results = new List<(string Name, LoadResult Result)>();
    for (var round = 1; round <= options.Rounds; round++)
    {
        // Alternate the order each round so neither endpoint always runs on a warmer (or hotter) machine.
        var phases = round % 2 == 1
            ? new[] { ("trivial /api/health", targets.Trivial), ("playlists (master + media)", targets.Playlists) }
            : new[] { ("playlists (master + media)", targets.Playlists), ("trivial /api/health", targets.Trivial) };
        foreach (var (name, urls) in phases)
        {
            var result = await LoadGenerator.RunAsync(app.BaseAddress, urls, options);
            results.Add((name, result));
            Console.WriteLine($"round {round} {name,-28} {result}");
        }
    }

    var trivial = Median(results.Where(r => r.Name.StartsWith("trivial", StringComparison.Ordinal)).Select(r => r.Result));
    var playlists = Median(results.Where(r => r.Name.StartsWith("playlists", StringComparison.Ordinal)).Select(r => r.Result));
    var ratio = playlists.RequestsPerSecond / trivial.RequestsPerSecond;
    Console.WriteLine();
    Console.WriteLine($"median trivial   {trivial}");
    Console.WriteLine($"median playlists {playlists}");
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"ratio playlists/trivial = {ratio:P1} (target >= 50%); playlists p99 = {playlists.P99.TotalMilliseconds:F2} ms (target < 20 ms)"));
    var met = ratio >= 0.5 && playlists.P99 < TimeSpan.FromMilliseconds(20) && playlists.Errors == 0;
    Console.WriteLine(met ? "TARGETS MET" : "TARGETS NOT MET");
    return met ? 0 : 1;
}
finally
{
    Directory.Delete(work, recursive: true);
}

static LoadResult Median(IEnumerable<LoadResult> results)
{
    var ordered = results.OrderBy(r => r.RequestsPerSecond).ToList();
    return ordered[ordered.Count / 2];
}
