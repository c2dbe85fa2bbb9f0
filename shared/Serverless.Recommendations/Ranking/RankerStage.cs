using System.Diagnostics;
using System.Globalization;
using Serverless.Recommendations.Algorithms;
using Serverless.Recommendations.Catalog;
using Serverless.Recommendations.Evaluation;
using Serverless.Recommendations.Feedback;
using Serverless.Recommendations.Serving;
using Serverless.Recommendations.Training;

namespace Serverless.Recommendations.Ranking;

/// <summary>One method's ranking quality on the evaluation period (binary relevance: the videos the user played).</summary>
public sealed record MethodMetrics(string Method, int Users, double NdcgAt20, double RecallAt20, double PrecisionAt20);

/// <summary>What the ranker stage did: data sizes, timings, every method's metrics on the held-out last period, the decision.</summary>
public sealed record RankerReport(
    string Decision,
    string Reason,
    string? RankerVersion,
    int TrainingUsers,
    int TrainingRows,
    int EvaluationUsers,
    int ListUsers,
    double CfSeconds,
    double CandidateSeconds,
    double FitSeconds,
    double EvaluateSeconds,
    double PrecomputeSeconds,
    IReadOnlyList<MethodMetrics> Evaluation,
    IReadOnlyList<string> Features,
    IReadOnlyList<FeatureGain>? Importance = null);

/// <summary>A feature's share of the new ranker's total split gain.</summary>
public sealed record FeatureGain(string Feature, double Share);

/// <summary>Which ranker is published with the CF model.</summary>
public static class RankerDecisions
{
    /// <summary>The ranker trained by this run.</summary>
    public const string New = "new";

    /// <summary>The ranker of the serving model, better than the new one on the same evaluation.</summary>
    public const string Current = "current";

    /// <summary>No ranker: neither beats the CF order, so serving uses the CF order.</summary>
    public const string None = "none";

    public const string Failed = "failed";
    public const string Disabled = "disabled";
}

/// <summary>Everything the ranker stage reads.</summary>
internal sealed record RankerInput(
    VideoEventLog Log,
    IReadOnlyList<CatalogVideo> Catalog,
    FeedbackOptions Feedback,
    TrainingOptions Training,
    RankerOptions Options,
    ServingOptions Serving,
    DateTimeOffset Now,
    RatingDataset DataNow,
    IReadOnlyList<IRecommenderModel> ModelsNow,
    TreeEnsemble? Current,
    string Version,
    RankerCuts? Cuts = null);

/// <summary>
/// Explicit cuts for the time split, A &lt; B &lt; now: the ranker learns at A from [A, B) and is evaluated at B on [B, now).
/// Without them (the timer) B = now − <see cref="RankerOptions.EvaluationHours"/> and A = B − <see cref="RankerOptions.LabelHours"/>;
/// the ratings-file evaluation scales them to the file's time span.
/// </summary>
internal sealed record RankerCuts(DateTimeOffset A, DateTimeOffset B);

internal sealed record RankerOutcome(RankedFeed? Feed, RankerReport Report, TreeEnsemble? NewRanker);

/// <summary>
/// The learned second stage, with a time split and no leakage. With E = <see cref="RankerOptions.EvaluationHours"/> and
/// L = <see cref="RankerOptions.LabelHours"/>, cut B = now − E and cut A = B − L (or the input's explicit <see cref="RankerCuts"/>):
/// <list type="number">
/// <item>CF candidate models are fitted on the events before A; candidates of users who played something in [A, B) get
/// features as of A and labels from what they did in [A, B) with what they were shown; LightGBM LambdaRank learns from them.</item>
/// <item>CF models are fitted again on the events before B; the new ranker, the serving one, each CF model alone and the
/// rule-composed feed rank the videos of users who played something in [B, now), with features as of B, scored with the
/// timer's metrics code (NDCG@20, recall@20). The new ranker is published only if it is not worse than the serving
/// ranker nor than the CF order.</item>
/// <item>The chosen ranker ranks every active user's candidates from the serving CF models with features as of now;
/// the lists go into the model blob.</item>
/// </list>
/// </summary>
internal static class RankerStage
{
    private const int K = 20;

    /// <summary>Metrics are averaged in parallel (the summation order varies): differences below this are rounding, not quality.</summary>
    private const double Tolerance = 1e-9;

    public static string[] CandidateModelNames(RankerOptions o) =>
        o.CandidateModels.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct(StringComparer.Ordinal).ToArray();

    public static RankerOutcome Run(RankerInput input, CancellationToken cancellationToken)
    {
        var o = input.Options;
        var log = input.Log;
        var names = CandidateModelNames(o);
        var featureNames = RankingFeatures.Names(names);
        var now = input.Now.UtcTicks;
        var (cutA, cutB) = Cuts(input);
        var sw = Stopwatch.StartNew();

        var modelsA = FitCut(log, cutA, names, input.Feedback, input.Training, cancellationToken);
        var modelsB = FitCut(log, cutB, names, input.Feedback, input.Training, cancellationToken);
        var cfSeconds = sw.Elapsed.TotalSeconds;
        if (modelsA is null || modelsB is null)
        {
            return Skip(RankerDecisions.None, "Too little history before the training and evaluation periods: serving uses the CF order.", featureNames, cfSeconds);
        }

        // 1. Training rows at cut A, labelled by [A, B).
        sw.Restart();
        var state = new FeatureState(log);
        state.AdvanceTo(cutA);
        var generatorA = new CandidateGenerator(log, state, modelsA, o);
        var gradesA = RankingLabels.Grades(log, cutA, cutB);
        var rows = TrainingRows(generatorA, gradesA, o, input.Training.Seed, cancellationToken);
        var candidateSeconds = sw.Elapsed.TotalSeconds;
        if (rows.Groups < 10)
        {
            return Skip(RankerDecisions.None, $"Only {rows.Groups} users played a candidate in the training period: serving uses the CF order.", featureNames, cfSeconds);
        }

        sw.Restart();
        var ranker = LightGbmRanker.Train(rows.Rows, featureNames, names, o, input.Training.Seed, input.Version, out var gains);
        var total = Math.Max(1e-12, gains.Sum());
        var importance = featureNames.Select((f, k) => new FeatureGain(f, gains[k] / total)).OrderByDescending(g => g.Share).ToList();
        var fitSeconds = sw.Elapsed.TotalSeconds;

        // 2. Evaluation at cut B on [B, now).
        sw.Restart();
        state.AdvanceTo(cutB);
        var generatorB = new CandidateGenerator(log, state, modelsB, o);
        var current = input.Current is { } c && c.Accepts(featureNames) ? c : null;
        var evaluation = Evaluate(log, generatorB, names, ranker, current, input, RankingLabels.Grades(log, cutB, now), cancellationToken);
        var evaluateSeconds = sw.Elapsed.TotalSeconds;

        var (decision, chosen, reason) = Decide(evaluation, names, ranker, current);

        // 3. Lists for serving, with the serving CF models and features as of now.
        sw.Restart();
        RankedFeed? feed = null;
        if (chosen is not null)
        {
            state.AdvanceTo(now);
            feed = Precompute(log, new CandidateGenerator(log, state, new CutModels(input.DataNow, input.ModelsNow), o), chosen, input, cancellationToken);
        }

        var report = new RankerReport(
            decision, reason, chosen?.Version, rows.Groups, rows.Rows.Count, evaluation[0].Users, feed?.ListUsers ?? 0,
            cfSeconds, candidateSeconds, fitSeconds, evaluateSeconds, sw.Elapsed.TotalSeconds, evaluation, featureNames, importance);
        return new RankerOutcome(feed, report, ranker);
    }

    /// <summary>Cut A and cut B in UTC ticks: the input's explicit cuts, else the options' hour windows before now.</summary>
    internal static (long A, long B) Cuts(RankerInput input)
    {
        var now = input.Now.UtcTicks;
        if (input.Cuts is { } cuts)
        {
            if (!(cuts.A.UtcTicks < cuts.B.UtcTicks && cuts.B.UtcTicks < now))
            {
                throw new ArgumentException("The cuts must satisfy A < B < now.", nameof(input));
            }

            return (cuts.A.UtcTicks, cuts.B.UtcTicks);
        }

        var b = now - TimeSpan.FromHours(input.Options.EvaluationHours).Ticks;
        return (b - TimeSpan.FromHours(input.Options.LabelHours).Ticks, b);
    }

    /// <summary>
    /// The "not worse" rule for the ranker, on one evaluation: the new ranker is published when its NDCG@20 is at least
    /// the best CF model's and the serving ranker's; else the serving ranker when it is at least the best CF model's (it
    /// then ranks the new lists); else no ranker (serving uses the CF order).
    /// </summary>
    internal static (string Decision, TreeEnsemble? Chosen, string Reason) Decide(IReadOnlyList<MethodMetrics> evaluation, IReadOnlyCollection<string> cfModels, TreeEnsemble fresh, TreeEnsemble? serving)
    {
        var cf = evaluation.Where(m => cfModels.Contains(m.Method)).MaxBy(m => m.NdcgAt20)
            ?? throw new InvalidOperationException("The evaluation holds no CF model.");
        var mine = evaluation.Single(m => m.Method == Methods.Ranker).NdcgAt20;
        var theirs = serving is null ? null : evaluation.SingleOrDefault(m => m.Method == Methods.CurrentRanker)?.NdcgAt20;
        if (mine >= cf.NdcgAt20 - Tolerance && (theirs is null || mine >= theirs - Tolerance))
        {
            return (RankerDecisions.New, fresh, Invariant($"The new ranker's NDCG@20 {mine:F4} is not worse than the best CF model's ({cf.Method}) {cf.NdcgAt20:F4}")
                + (theirs is null ? "." : Invariant($" nor the serving ranker's {theirs:F4}.")));
        }

        if (theirs is not null && theirs >= cf.NdcgAt20 - Tolerance)
        {
            return (RankerDecisions.Current, serving, Invariant($"The serving ranker {serving!.Version} ({theirs:F4}) beats the new one ({mine:F4}) on the same evaluation: it ranks the new lists."));
        }

        return (RankerDecisions.None, null, Invariant($"No ranker beats the best CF model's ({cf.Method}) NDCG@20 {cf.NdcgAt20:F4} (new {mine:F4}): serving uses the CF order."));
    }

    /// <summary>The evaluation's method names besides the CF models' own.</summary>
    public static class Methods
    {
        public const string Ranker = "ranker";
        public const string RankerComposed = "ranker+rules";
        public const string CurrentRanker = "serving-ranker";
        public const string Composed = "cf+rules";
    }

    /// <summary>The serving CF models the ranker's candidates come from: those the lineup fitted, the others fitted on its training part.</summary>
    public static IRecommenderModel[] ServingModels(RankerOptions o, TrainingOutcome outcome, TrainingOptions training, CancellationToken cancellationToken) =>
        [.. CandidateModelNames(o).Select(n => outcome.Models.TryGetValue(n, out var model) ? model : TrainingCore.Algorithm(n, training).Fit(outcome.Train, cancellationToken))];

    /// <summary>The candidate CF models fitted on the events before <paramref name="cut"/>, or null without data.</summary>
    internal static CutModels? FitCut(VideoEventLog log, long cut, string[] names, FeedbackOptions feedback, TrainingOptions training, CancellationToken cancellationToken)
    {
        var aggregator = new InteractionAggregator(feedback, id => null);
        var end = log.CountBefore(cut);
        var at = new DateTimeOffset(cut, TimeSpan.Zero);
        for (var k = 0; k < end; k++)
        {
            // The log holds watch fractions; with no duration known, the aggregator divides by DefaultDurationSeconds.
            aggregator.Add(log.UserIds[log.Users[k]], log.ItemIds[log.Items[k]], log.Types[k], log.Fractions[k] * feedback.DefaultDurationSeconds, new DateTimeOffset(log.Ticks[k], TimeSpan.Zero));
        }

        var data = aggregator.Build(at);
        if (data.Matrix.Count == 0)
        {
            return null;
        }

        var models = names.Select(n => TrainingCore.Algorithm(n, training).Fit(data.Matrix, cancellationToken)).ToArray();
        return new CutModels(data, models);
    }

    private static (List<RankerRow> Rows, int Groups) TrainingRows(CandidateGenerator generator, Dictionary<long, byte> grades, RankerOptions o, int seed, CancellationToken cancellationToken)
    {
        var users = grades.Where(g => g.Value >= RankingLabels.Played).Select(g => (int)(g.Key >> 32)).Distinct()
            .Where(u => generator.DataUser(u) >= 0).Order().ToArray();
        new Random(seed).Shuffle(users);
        users = [.. users.Take(o.MaxTrainingUsers).Order()];
        var perUser = new List<RankerRow>?[users.Length];
        Parallel.For(
            0,
            users.Length,
            new ParallelOptions { CancellationToken = cancellationToken, MaxDegreeOfParallelism = Environment.ProcessorCount },
            generator.CreateScratch,
            (k, _, s) =>
            {
                var user = users[k];
                var n = generator.Generate(user, s);
                var positives = new List<int>();
                var negatives = new List<int>();
                for (var c = 0; c < n; c++)
                {
                    (grades.GetValueOrDefault(RankingLabels.Key(user, s.Items[c])) >= RankingLabels.Played ? positives : negatives).Add(c);
                }

                if (positives.Count == 0)
                {
                    return s;
                }

                var random = new Random(unchecked((seed * 16_777_619) ^ user)); // not HashCode.Combine: it is seeded per process
                var kept = negatives.ToArray();
                random.Shuffle(kept);
                var rows = new List<RankerRow>();
                foreach (var c in positives.Concat(kept.Take(o.NegativesPerUser)).Order())
                {
                    rows.Add(new RankerRow
                    {
                        Label = grades.GetValueOrDefault(RankingLabels.Key(user, s.Items[c])),
                        Group = (uint)k,
                        Features = s.Row(c).ToArray(),
                    });
                }

                perUser[k] = rows;
                return s;
            },
            _ => { });
        var all = new List<RankerRow>();
        var groups = 0;
        foreach (var rows in perUser)
        {
            if (rows is not null)
            {
                all.AddRange(rows);
                groups++;
            }
        }

        return (all, groups);
    }

    private static List<MethodMetrics> Evaluate(
        VideoEventLog log, CandidateGenerator generator, string[] names, TreeEnsemble ranker, TreeEnsemble? current, RankerInput input, Dictionary<long, byte> grades, CancellationToken cancellationToken)
    {
        var o = input.Options;
        var cut = generator.Cutoff;

        // Relevant: what each user played in the period, among Ready videos they had not already watched before the cut.
        var relevant = new Dictionary<int, List<int>>();
        foreach (var (key, grade) in grades)
        {
            var user = (int)(key >> 32);
            var item = (int)(key & 0xffffffff);
            if (grade >= RankingLabels.Played && log.CreatedTicks[item] != long.MaxValue && generator.DataUser(user) >= 0)
            {
                (relevant.TryGetValue(user, out var list) ? list : relevant[user] = []).Add(item);
            }
        }

        foreach (var (user, list) in relevant)
        {
            var seen = new HashSet<int>();
            foreach (var di in generator.Seen(user))
            {
                seen.Add(generator.LogItem(di));
            }

            list.RemoveAll(seen.Contains);
            list.Sort();
        }

        var users = relevant.Where(r => r.Value.Count > 0).Select(r => r.Key).Order().ToArray();
        new Random(input.Training.Seed).Shuffle(users);
        users = [.. users.Take(o.MaxEvaluationUsers).Order()];

        // The feed rules' streams at the cut: fresh uploads (newest first) and the CF popularity order.
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < log.ItemIds.Length; i++)
        {
            ids[log.ItemIds[i]] = i;
        }

        var atCut = new DateTimeOffset(cut, TimeSpan.Zero);
        var catalog = new CatalogState([.. input.Catalog.Where(v => v.CreatedAt.UtcTicks <= cut)], atCut);
        var fresh = FeedComposer.Fresh(catalog, atCut, input.Serving.FreshWindowHours).Take(500).ToArray();
        var popularity = ((PopularityModel)new PopularityAlgorithm().Fit(generator.Data.Matrix, cancellationToken)).Popularity;
        var popular = Enumerable.Range(0, popularity.Length).OrderByDescending(i => popularity[i]).ThenBy(i => i)
            .Select(generator.LogItem).Where(li => li >= 0 && log.CreatedTicks[li] <= cut).Take(2000)
            .Select(li => new Candidate(log.ItemIds[li], log.AuthorIds[log.AuthorOf[li]], 0, "popular")).ToArray();

        var methods = names.Concat([Methods.Composed + ":" + names[0]]).ToList();
        for (var m = 1; m < names.Length; m++)
        {
            methods.Add(Methods.Composed + ":" + names[m]);
        }

        methods.AddRange([Methods.Ranker, Methods.RankerComposed]);
        if (current is not null)
        {
            methods.Add(Methods.CurrentRanker);
        }

        var sums = new double[methods.Count, 3];
        var gate = new object();
        Parallel.For(
            0,
            users.Length,
            new ParallelOptions { CancellationToken = cancellationToken, MaxDegreeOfParallelism = Environment.ProcessorCount },
            () => (Scratch: generator.CreateScratch(), Sums: new double[methods.Count, 3], Top: new int[Math.Max(K, 200)]),
            (k, _, local) =>
            {
                var user = users[k];
                var s = local.Scratch;
                var seen = new HashSet<int>();
                foreach (var di in generator.Seen(user))
                {
                    seen.Add(generator.LogItem(di));
                }

                var rel = relevant[user].ToArray();
                var method = 0;
                var cfLists = new int[names.Length][];
                for (var m = 0; m < names.Length; m++)
                {
                    var n = generator.TopOf(m, user, 200, s, local.Top);
                    cfLists[m] = local.Top[..n];
                    Add(local.Sums, method++, cfLists[m].AsSpan(0, Math.Min(K, n)), rel);
                }

                Candidate ToCandidate(int li, string reason) => new(log.ItemIds[li], log.AuthorOf[li] >= 0 ? log.AuthorIds[log.AuthorOf[li]] : string.Empty, 0, reason);
                int[] Compose(IEnumerable<Candidate> primary)
                {
                    var notSeen = (Candidate c) => ids.TryGetValue(c.VideoId, out var li) && !seen.Contains(li);
                    var (items, _) = FeedComposer.Page(primary, fresh.Where(notSeen), popular.Where(notSeen), input.Serving.FreshShare, input.Serving.MaxPerAuthor, 0, K);
                    return [.. items.Select(c => ids[c.VideoId])];
                }

                for (var m = 0; m < names.Length; m++)
                {
                    Add(local.Sums, method++, Compose(cfLists[m].Select(li => ToCandidate(li, "cf"))), rel);
                }

                var count = generator.Generate(user, s);
                foreach (var model in current is null ? [ranker] : new[] { ranker, current })
                {
                    for (var c = 0; c < count; c++)
                    {
                        s.Ranking[c] = model.Score(s.Row(c));
                    }

                    var order = new int[Math.Min(count, 200)];
                    var found = TopK.Select(s.Ranking.AsSpan(0, count), order.Length, order);
                    var list = order[..found].Select(c => s.Items[c]).ToArray();
                    Add(local.Sums, method++, list.AsSpan(0, Math.Min(K, list.Length)), rel);
                    if (ReferenceEquals(model, ranker))
                    {
                        Add(local.Sums, method++, Compose(list.Select(li => ToCandidate(li, "cf"))), rel);
                    }
                }

                return local;
            },
            local =>
            {
                lock (gate)
                {
                    for (var m = 0; m < methods.Count; m++)
                    {
                        for (var j = 0; j < 3; j++)
                        {
                            sums[m, j] += local.Sums[m, j];
                        }
                    }
                }
            });

        var evaluated = Math.Max(1, users.Length);
        return [.. methods.Select((name, m) => new MethodMetrics(name, users.Length, sums[m, 0] / evaluated, sums[m, 1] / evaluated, sums[m, 2] / evaluated))];

        static void Add(double[,] sums, int method, ReadOnlySpan<int> ranked, int[] relevant)
        {
            var (precision, _, ndcg, _, recall) = Evaluator.UserMetrics(ranked, relevant, K);
            sums[method, 0] += ndcg;
            sums[method, 1] += recall;
            sums[method, 2] += precision;
        }
    }

    private static RankedFeed Precompute(VideoEventLog log, CandidateGenerator generator, TreeEnsemble ranker, RankerInput input, CancellationToken cancellationToken)
    {
        var o = input.Options;
        var data = input.DataNow;
        var logUsers = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var u = 0; u < log.UserIds.Length; u++)
        {
            logUsers[log.UserIds[u]] = u;
        }

        var activeSince = input.Now.UtcTicks - TimeSpan.FromDays(o.ActiveDays).Ticks;
        var lists = new (int[] Items, float[] Scores, byte[] Sources)?[data.UserIds.Length];
        Parallel.For(
            0,
            data.UserIds.Length,
            new ParallelOptions { CancellationToken = cancellationToken, MaxDegreeOfParallelism = Environment.ProcessorCount },
            () => (Scratch: generator.CreateScratch(), Order: new int[o.ListLength]),
            (u, _, local) =>
            {
                if (!logUsers.TryGetValue(data.UserIds[u], out var lu) || !generator.Features.ActiveSince(lu, activeSince))
                {
                    return local;
                }

                var s = local.Scratch;
                var count = generator.Generate(lu, s);
                for (var c = 0; c < count; c++)
                {
                    s.Ranking[c] = ranker.Score(s.Row(c));
                }

                var found = TopK.Select(s.Ranking.AsSpan(0, count), o.ListLength, local.Order);
                var items = new int[found];
                var scores = new float[found];
                var sources = new byte[found];
                for (var r = 0; r < found; r++)
                {
                    var c = local.Order[r];
                    items[r] = s.Items[c];
                    scores[r] = s.Ranking[c];
                    sources[r] = (byte)s.Sources[c];
                }

                lists[u] = (items, scores, sources);
                return local;
            },
            _ => { });

        var ptr = new int[data.UserIds.Length + 1];
        for (var u = 0; u < lists.Length; u++)
        {
            ptr[u + 1] = ptr[u] + (lists[u]?.Items.Length ?? 0);
        }

        var all = new int[ptr[^1]];
        var allScores = new float[ptr[^1]];
        var allSources = new byte[ptr[^1]];
        for (var u = 0; u < lists.Length; u++)
        {
            if (lists[u] is { } l)
            {
                l.Items.CopyTo(all, ptr[u]);
                l.Scores.CopyTo(allScores, ptr[u]);
                l.Sources.CopyTo(allSources, ptr[u]);
            }
        }

        return new RankedFeed(ranker, log.ItemIds, ptr, all, allScores, allSources);
    }

    private static RankerOutcome Skip(string decision, string reason, string[] features, double cfSeconds) =>
        new(null, new RankerReport(decision, reason, null, 0, 0, 0, 0, cfSeconds, 0, 0, 0, 0, [], features), null);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
