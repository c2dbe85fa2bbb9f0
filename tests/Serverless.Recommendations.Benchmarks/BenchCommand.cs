using System.Diagnostics;
using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Serverless.Recommendations.Catalog;
using Serverless.Recommendations.Events;
using Serverless.Recommendations.Feedback;
using Serverless.Recommendations.Serving;
using Serverless.Recommendations.Training;

namespace Serverless.Recommendations.Benchmarks;

/// <summary>
/// <c>bench [--users 100000] [--videos 20000] [--events 2000000]</c>: training (events → preferences → every algorithm →
/// holdout → choice) time and peak memory, recall@20 of the chosen model vs popularity; then serving latency in-process
/// and throughput over HTTP from this process against a child <c>serve</c> process on loopback.
/// </summary>
internal static class BenchCommand
{
    public static async Task<int> RunAsync(int users, int videos, int events, int seed, TextWriter output)
    {
        var now = new DateTimeOffset(2025, 6, 1, 0, 0, 0, TimeSpan.Zero);
        var data = SyntheticEvents.Generate(users, videos, events, now, seed);
        var durations = data.Catalog.ToDictionary(v => v.VideoId, v => v.DurationSeconds, StringComparer.Ordinal);
        GC.Collect();
        var baseline = Process.GetCurrentProcess().WorkingSet64;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Generated {data.Events.Length:N0} events, {users:N0} users, {videos:N0} videos (working set {baseline / 1e6:F0} MB before training)"));

        var sw = Stopwatch.StartNew();
        var aggregator = new InteractionAggregator(new FeedbackOptions(), id => durations.TryGetValue(id, out var d) ? d : null);
        foreach (var e in data.Events)
        {
            aggregator.Add(data.UserIds[e.User], data.VideoIds[e.Video], e.Type, e.WatchedSeconds, new DateTimeOffset(e.Ticks, TimeSpan.Zero));
        }

        var dataset = aggregator.Build(now);
        var aggregateSeconds = sw.Elapsed.TotalSeconds;
        var options = new TrainingOptions();
        var outcome = TrainingCore.Run(dataset, options, CancellationToken.None);
        var total = sw.Elapsed.TotalSeconds;
        var peak = Process.GetCurrentProcess().PeakWorkingSet64;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Training: {total:F1} s total ({aggregateSeconds:F1} s events → {dataset.Matrix.Count:N0} preferences of {dataset.UserIds.Length:N0} users × {dataset.ItemIds.Length:N0} videos), peak working set {peak / 1e6:F0} MB (process, incl. the generated events)"));
        output.WriteLine($"{"algorithm",-14} {"fit s",7} {"eval s",7} {"NDCG@10",8} {"MAP@10",8} {"P@10",8} {"R@10",8} {"R@20",8}  (holdout users: {outcome.Candidates[0].Metrics?.Users})");
        foreach (var c in outcome.Candidates)
        {
            var m = c.Metrics;
            output.WriteLine(m is null
                ? $"{c.Algorithm,-14} failed: {c.Error}"
                : string.Create(CultureInfo.InvariantCulture, $"{c.Algorithm,-14} {c.FitSeconds,7:F1} {c.EvaluateSeconds,7:F1} {m.NdcgAt10,8:F4} {m.MapAt10,8:F4} {m.PrecisionAt10,8:F4} {m.RecallAt10,8:F4} {m.RecallAt20,8:F4}"));
        }

        var popularity = outcome.Candidates.First(c => c.Algorithm == "popularity").Metrics!.RecallAt20;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Chosen: {outcome.Chosen.Algorithm}; recall@20 {outcome.ChosenMetrics.RecallAt20:F4} = {outcome.ChosenMetrics.RecallAt20 / popularity:F2}× popularity's {popularity:F4}. {outcome.Reason}"));

        // Serving, in-process.
        var snapshot = new RecommenderSnapshot("bench", now, dataset.UserIds, dataset.ItemIds, outcome.Train, outcome.Chosen, outcome.Popularity, outcome.Similar);
        var modelFile = Path.Combine(Path.GetTempPath(), $"rec-bench-{Environment.ProcessId}.bin");
        await using (var file = File.Create(modelFile))
        {
            snapshot.Write(file);
        }

        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Model blob: {new FileInfo(modelFile).Length / 1e6:F1} MB"));
        await using (var provider = ServingProvider(snapshot, data.Catalog, now))
        {
            var service = provider.GetRequiredService<IRecommendationService>();
            var random = new Random(seed);
            var latencies = new double[20_000];
            for (var k = -2000; k < latencies.Length; k++)
            {
                var user = random.NextDouble() < 0.9 ? dataset.UserIds[random.Next(dataset.UserIds.Length)] : "cold-" + k;
                var t = Stopwatch.GetTimestamp();
                await service.RecommendAsync(user, 20, null, CancellationToken.None);
                if (k >= 0)
                {
                    latencies[k] = Stopwatch.GetElapsedTime(t).TotalMilliseconds;
                }
            }

            Array.Sort(latencies);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Serving in-process ({latencies.Length:N0} requests, 90% known users, count=20): p50 {latencies[latencies.Length / 2]:F3} ms, p99 {latencies[(int)(latencies.Length * 0.99)]:F3} ms, max {latencies[^1]:F3} ms"));
        }

        var pick = new Random(seed);
        await HttpServingBench.RunAsync([("CF order", modelFile)], [.. Enumerable.Range(0, 20_000).Select(_ => dataset.UserIds[pick.Next(dataset.UserIds.Length)])], rounds: 3, output);
        File.Delete(modelFile);
        return 0;
    }

    /// <summary>The child process: the recommendation endpoint on loopback, serving the model file (history and catalog in memory).</summary>
    public static async Task<int> ServeAsync(string modelFile, int port, int users, int videos, int seed)
    {
        var now = new DateTimeOffset(2025, 6, 1, 0, 0, 0, TimeSpan.Zero);
        RecommenderSnapshot snapshot;
        await using (var file = File.OpenRead(modelFile))
        {
            snapshot = RecommenderSnapshot.Read(file);
        }

        var catalog = SyntheticEvents.Generate(users, videos, 1, now, seed).Catalog;
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        AddServing(builder.Services, snapshot, catalog, now);
        var app = builder.Build();
        app.MapGet("/api/recommendations", async (HttpContext context, IRecommendationService service, int? count, string? cursor, CancellationToken ct) =>
            TypedResults.Ok(await service.RecommendAsync(context.Request.Headers["X-Dev-User"].ToString(), count ?? 20, cursor, ct)));
        await app.RunAsync();
        return 0;
    }

    internal static ServiceProvider ServingProvider(RecommenderSnapshot snapshot, CatalogVideo[] catalog, DateTimeOffset now)
    {
        var services = new ServiceCollection();
        AddServing(services, snapshot, catalog, now);
        return services.BuildServiceProvider();
    }

    private static void AddServing(IServiceCollection services, RecommenderSnapshot snapshot, CatalogVideo[] catalog, DateTimeOffset now)
    {
        var holder = new ModelHolder();
        holder.Swap(snapshot);
        services.AddSingleton(holder);
        services.AddLogging();
        services.AddSingleton<TimeProvider>(new FixedTime(now));
        services.AddSingleton(Options.Create(new ServingOptions()));
        services.AddSingleton<IVideoDirectory>(new MemoryDirectory(catalog));
        services.AddSingleton<VideoDirectoryAccessor>();
        services.AddSingleton<CatalogCache>();
        services.AddSingleton<IUserHistorySource, NoHistory>();
        services.AddSingleton<IRecommendationService, RecommendationService>();
    }

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }

    private sealed class MemoryDirectory(CatalogVideo[] videos) : IVideoDirectory
    {
        public Task<IReadOnlyList<CatalogVideo>> ListReadyAsync(CancellationToken cancellationToken) => Task.FromResult<IReadOnlyList<CatalogVideo>>(videos);

        public Task<bool> ExistsAsync(string videoId, CancellationToken cancellationToken) => Task.FromResult(true);
    }

    /// <summary>Recent history is a cached table read in the app; here it is empty so the figure is the service's own cost.</summary>
    private sealed class NoHistory : IUserHistorySource
    {
        public ValueTask<IReadOnlyList<StoredEvent>> RecentAsync(string userId, CancellationToken cancellationToken) => ValueTask.FromResult<IReadOnlyList<StoredEvent>>([]);
    }
}
