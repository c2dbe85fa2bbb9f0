using System.Diagnostics;
using System.Globalization;
using Serverless.Recommendations.Evaluation;
using Serverless.Recommendations.Feedback;
using Serverless.Recommendations.Ranking;
using Serverless.Recommendations.Training;

namespace Serverless.Recommendations.Benchmarks;

/// <summary>
/// <c>rank-file &lt;ratings-file&gt; [--evaluate-percent 10] [--label-percent 10] [--seed 42] [--trees 100] [--leaves 15]
/// [--models implicit-als,item-knn]</c>: the learned ranker on a <c>user item rating timestamp</c> file (MovieLens layout).
/// The ratings are mapped to short-video events (<see cref="RatingsAsEvents"/>) and the retraining timer's ranker stage
/// runs on them with its cuts scaled to the file's time span (<see cref="RatingsRankerProtocol"/>); prints the best single
/// CF model, the rule-composed CF feed, the ranker and the ranker composed by the rules, with training time and memory.
/// </summary>
internal static class RankFileCommand
{
    public static int Run(string file, double evaluatePercent, double labelPercent, int seed, int trees, int leaves, string models, TextWriter output)
    {
        List<TimedRating> ratings;
        using (var reader = File.OpenText(file))
        {
            ratings = RatingsFile.ReadTimed(reader);
        }

        GC.Collect();
        var baseline = Environment.WorkingSet;
        var ranker = new RankerOptions { Trees = trees, Leaves = leaves, CandidateModels = models };
        var training = new TrainingOptions { Seed = seed };
        var sw = Stopwatch.StartNew();
        var result = RatingsRankerProtocol.Run(ratings, evaluatePercent / 100, labelPercent / 100, ranker, training, CancellationToken.None);
        var total = sw.Elapsed.TotalSeconds;
        var peak = Process.GetCurrentProcess().PeakWorkingSet64;
        var r = result.Report;
        var mapped = result.Mapped;
        var types = mapped.Events.GroupBy(e => e.Type).ToDictionary(g => g.Key, g => g.Count());

        output.WriteLine(Invariant($"{file}: {ratings.Count:N0} ratings, {ratings.Select(x => x.User).Distinct().Count():N0} users, {mapped.Catalog.Count:N0} items, {mapped.From:yyyy-MM-dd HH:mm} to {mapped.To:yyyy-MM-dd HH:mm} UTC ({(mapped.To - mapped.From).TotalDays:F1} days); {Environment.ProcessorCount} cores, working set {baseline / 1e6:F0} MB before training"));
        output.WriteLine($"Ratings mapped to short-video events (a mapping, not observed behaviour): {RatingsAsEvents.Description}.");
        output.WriteLine(Invariant($"  {mapped.Events.Count:N0} events: {types.GetValueOrDefault(EventType.Impression):N0} impressions, {types.GetValueOrDefault(EventType.Play):N0} plays, {types.GetValueOrDefault(EventType.Complete):N0} completes, {types.GetValueOrDefault(EventType.Like):N0} likes; CF preferences with the timer's weights, half-life {RatingsRankerProtocol.Feedback().HalfLifeDays:F0} days, every rated pair a positive"));
        output.WriteLine(Invariant($"Time split (the timer's ranker stage, cuts scaled to the span): cut A {result.CutA:yyyy-MM-dd HH:mm}, cut B {result.CutB:yyyy-MM-dd HH:mm}, end {result.Now:yyyy-MM-dd HH:mm}"));
        output.WriteLine(Invariant($"  ranker labels from [A, B) ({labelPercent:0.##} % of the span, {(result.CutB - result.CutA).TotalDays:F1} days): {result.LabelPeriod.Active:N0} users rated something, {result.LabelPeriod.WithHistory:N0} of them had rated before A"));
        output.WriteLine(Invariant($"  evaluation on [B, end) ({evaluatePercent:0.##} % of the span, {(result.Now - result.CutB).TotalDays:F1} days): {result.EvaluationPeriod.Active:N0} users rated something, {result.EvaluationPeriod.WithHistory:N0} of them had rated before B (only those are evaluated)"));
        output.WriteLine(Invariant($"Training: {total:F1} s = mapping {result.MapSeconds:F1} s + CF on everything {result.CfNowSeconds:F1} s + ranker stage {result.StageSeconds:F1} s (CF at the two cuts {r.CfSeconds:F1} s, candidates and features {r.CandidateSeconds:F1} s, LightGBM {r.FitSeconds:F1} s on {r.TrainingRows:N0} rows of {r.TrainingUsers:N0} users, evaluation {r.EvaluateSeconds:F1} s, lists {r.PrecomputeSeconds:F1} s for {r.ListUsers:N0} users)"));
        output.WriteLine(Invariant($"Peak working set: {peak / 1e6:F0} MB (whole process)"));
        output.WriteLine();
        if (r.Evaluation.Count == 0)
        {
            output.WriteLine($"No evaluation: {r.Reason}");
            return 0;
        }

        output.WriteLine(Invariant($"Evaluation period, {r.EvaluationUsers:N0} users (features and CF models from before cut B; relevant = every item the user rated in the period, binary):"));
        RankCommand.PrintComparison(r, ranker, output);
        return 0;
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
