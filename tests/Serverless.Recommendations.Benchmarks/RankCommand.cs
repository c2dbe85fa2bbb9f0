using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Serverless.Recommendations.Feedback;
using Serverless.Recommendations.Ranking;
using Serverless.Recommendations.Serving;
using Serverless.Recommendations.Training;

namespace Serverless.Recommendations.Benchmarks;

/// <summary>
/// <c>rank [--users 100000] [--videos 20000] [--events 2000000]</c>: the retraining timer's whole procedure (events →
/// CF lineup → candidates → LightGBM LambdaRank → time-split evaluation → precomputed lists) on the synthetic
/// short-video workload, with its time and peak memory; the ranker against the best single CF model and the
/// rule-composed feed on the held-out last day; then one feed computation in-process, CF order vs ranked lists.
/// </summary>
internal static class RankCommand
{
    public static async Task<int> RunAsync(int users, int videos, int events, int seed, int trees, int leaves, TextWriter output)
    {
        var now = new DateTimeOffset(2025, 6, 1, 0, 0, 0, TimeSpan.Zero);
        var data = SyntheticEvents.Generate(users, videos, events, now, seed);
        GC.Collect();
        var baseline = Environment.WorkingSet;
        output.WriteLine(Invariant($"Generated {data.Events.Length:N0} events over {SyntheticEvents.Days} days, {users:N0} users, {videos:N0} videos (working set {baseline / 1e6:F0} MB before training; {Environment.ProcessorCount} cores)"));

        var feedback = new FeedbackOptions();
        var training = new TrainingOptions();
        var ranker = new RankerOptions { Trees = trees, Leaves = leaves };
        var serving = new ServingOptions();
        var durations = data.Catalog.ToDictionary(v => v.VideoId, v => v.DurationSeconds, StringComparer.Ordinal);

        // The timer's path (RecommenderTrainer): one scan feeds the preference aggregator and the event log.
        var sw = Stopwatch.StartNew();
        var aggregator = new InteractionAggregator(feedback, id => durations.TryGetValue(id, out var d) ? d : null);
        var logBuilder = new VideoEventLogBuilder(data.Catalog, feedback.DefaultDurationSeconds);
        foreach (var e in data.Events)
        {
            var at = new DateTimeOffset(e.Ticks, TimeSpan.Zero);
            aggregator.Add(data.UserIds[e.User], data.VideoIds[e.Video], e.Type, e.WatchedSeconds, at);
            logBuilder.Add(data.UserIds[e.User], data.VideoIds[e.Video], e.Type, e.WatchedSeconds, at);
        }

        var dataset = aggregator.Build(now);
        var log = logBuilder.Build();
        var scanSeconds = sw.Elapsed.TotalSeconds;
        var outcome = TrainingCore.Run(dataset, training, CancellationToken.None);
        var cfSeconds = sw.Elapsed.TotalSeconds - scanSeconds;
        var modelsNow = RankerStage.ServingModels(ranker, outcome, training, CancellationToken.None);
        var result = RankerStage.Run(new RankerInput(log, data.Catalog, feedback, training, ranker, serving, now, dataset, modelsNow, null, "bench"), CancellationToken.None);
        var total = sw.Elapsed.TotalSeconds;
        var peak = Process.GetCurrentProcess().PeakWorkingSet64;
        var r = result.Report;
        output.WriteLine(Invariant($"Training (CF + ranker): {total:F1} s = scan {scanSeconds:F1} s + CF lineup {cfSeconds:F1} s (chosen {outcome.Chosen.Algorithm}) + ranker stage {total - scanSeconds - cfSeconds:F1} s (CF at the two cuts {r.CfSeconds:F1} s, candidates and features {r.CandidateSeconds:F1} s, LightGBM {r.FitSeconds:F1} s on {r.TrainingRows:N0} rows of {r.TrainingUsers:N0} users, evaluation {r.EvaluateSeconds:F1} s, lists {r.PrecomputeSeconds:F1} s for {r.ListUsers:N0} users)"));
        output.WriteLine(Invariant($"Peak working set: {peak / 1e6:F0} MB (whole process, including the {data.Events.Length:N0} generated events)"));
        output.WriteLine();
        output.WriteLine(Invariant($"Held-out last {ranker.EvaluationHours} h, {r.EvaluationUsers:N0} users who played something (features and CF models from before the cut; relevant = videos played in the period):"));
        PrintComparison(r, ranker, output);
        output.WriteLine();

        // Serving, in-process: one feed computation, CF order (no ranker) vs the ranked lists.
        var plain = new RecommenderSnapshot("cf", now, dataset.UserIds, dataset.ItemIds, outcome.Train, outcome.Chosen, outcome.Popularity, outcome.Similar);
        var withRanker = new RecommenderSnapshot("ranked", now, dataset.UserIds, dataset.ItemIds, outcome.Train, outcome.Chosen, outcome.Popularity, outcome.Similar, result.Feed);
        using (var blob = new MemoryStream())
        {
            withRanker.Write(blob);
            output.WriteLine(Invariant($"Model blob with the ranker: {blob.Length / 1e6:F1} MB ({plain.ItemIds.Length:N0} videos, {result.Feed?.Items.Length ?? 0:N0} list entries)"));
        }

        // The same requests against both snapshots; users with a ranked list are also measured alone (the cost after).
        var listUsers = result.Feed is { } feed ? Enumerable.Range(0, dataset.UserIds.Length).Where(u => feed.ItemsOf(u).Length > 0).Select(u => dataset.UserIds[u]).ToArray() : [];
        var mixed = RequestUsers(dataset.UserIds, seed);
        var ranked = listUsers.Length > 0 ? RequestUsers(listUsers, seed, coldShare: 0) : [];
        foreach (var (snapshot, label, requests) in new[] { (plain, "CF order (no ranker), 90% known users", mixed), (withRanker, "with the ranker, 90% known users", mixed), (plain, "CF order, users who have a ranked list", ranked), (withRanker, "ranked list, users who have one", ranked) })
        {
            if (requests.Length == 0)
            {
                continue;
            }

            await using var provider = BenchCommand.ServingProvider(snapshot, data.Catalog, now);
            var service = provider.GetRequiredService<IRecommendationService>();
            var latencies = new double[requests.Length - 2000];
            for (var k = 0; k < requests.Length; k++)
            {
                var t = Stopwatch.GetTimestamp();
                await service.RecommendAsync(requests[k], 20, null, CancellationToken.None);
                if (k >= 2000)
                {
                    latencies[k - 2000] = Stopwatch.GetElapsedTime(t).TotalMilliseconds;
                }
            }

            Array.Sort(latencies);
            output.WriteLine(Invariant($"Feed in-process, {label} ({latencies.Length:N0} requests after 2,000 warm-up, count=20, 1 thread): p50 {latencies[latencies.Length / 2]:F3} ms, p99 {latencies[(int)(latencies.Length * 0.99)]:F3} ms"));
        }

        // Over HTTP: the same request mix against a server of each snapshot, each in its own process, load from another.
        var files = new List<(string Label, string ModelFile)>();
        try
        {
            foreach (var (snapshot, label) in new[] { (plain, "CF order (no ranker)"), (withRanker, "with the ranker") })
            {
                var file = Path.Combine(Path.GetTempPath(), $"rec-rank-{Environment.ProcessId}-{files.Count}.bin");
                await using (var stream = File.Create(file))
                {
                    snapshot.Write(stream);
                }

                files.Add((label, file));
            }

            await HttpServingBench.RunAsync(files, mixed, rounds: 3, output);
        }
        finally
        {
            foreach (var (_, file) in files)
            {
                File.Delete(file);
            }
        }

        return 0;
    }

    /// <summary>Every method's metrics, then the ranker against the best single CF model and the rule-composed CF feed, the decision and the feature gains.</summary>
    public static void PrintComparison(RankerReport r, RankerOptions ranker, TextWriter output)
    {
        output.WriteLine($"{"method",-26} {"NDCG@20",8} {"R@20",8} {"P@20",8}");
        foreach (var m in r.Evaluation)
        {
            output.WriteLine(Invariant($"{m.Method,-26} {m.NdcgAt20,8:F4} {m.RecallAt20,8:F4} {m.PrecisionAt20,8:F4}"));
        }

        var names = RankerStage.CandidateModelNames(ranker);
        var bestCf = r.Evaluation.Where(m => names.Contains(m.Method)).MaxBy(m => m.NdcgAt20)!;
        var composed = r.Evaluation.Where(m => m.Method.StartsWith(RankerStage.Methods.Composed, StringComparison.Ordinal)).MaxBy(m => m.NdcgAt20)!;
        var learned = r.Evaluation.Single(m => m.Method == RankerStage.Methods.Ranker);
        var learnedComposed = r.Evaluation.Single(m => m.Method == RankerStage.Methods.RankerComposed);
        output.WriteLine($"Ranker vs best single CF model ({bestCf.Method}): {Compare(learned, bestCf)}");
        output.WriteLine($"Ranker vs rule-composed CF feed ({composed.Method}): {Compare(learned, composed)}");
        output.WriteLine($"Ranker + rules (what serves) vs rule-composed CF feed: {Compare(learnedComposed, composed)}");
        output.WriteLine($"Decision: {r.Decision}. {r.Reason}");
        output.WriteLine("Feature importance (share of LightGBM's split gain): " + string.Join(", ", (r.Importance ?? []).Select(g => Invariant($"{g.Feature} {g.Share:P1}"))));
    }

    private static string Compare(MethodMetrics a, MethodMetrics b) =>
        $"NDCG@20 {Relative(a.NdcgAt20, b.NdcgAt20)}, recall@20 {Relative(a.RecallAt20, b.RecallAt20)}, precision@20 {Relative(a.PrecisionAt20, b.PrecisionAt20)}";

    private static string[] RequestUsers(string[] users, int seed, double coldShare = 0.1)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, 22_000).Select(k => random.NextDouble() >= coldShare ? users[random.Next(users.Length)] : "cold-" + k)];
    }

    private static string Relative(double value, double baseline) =>
        baseline <= 0 ? "n/a" : Invariant($"{value:F4} vs {baseline:F4} ({(value / baseline - 1) * 100:+0.0;-0.0}%)");

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
