using System.Diagnostics;
using Serverless.Recommendations.Algorithms;
using Serverless.Recommendations.Evaluation;

namespace Serverless.Recommendations.Training;

/// <summary>One algorithm's run: its fit and evaluation time and holdout metrics, or why it failed or was skipped.</summary>
public sealed record CandidateResult(string Algorithm, double FitSeconds, double EvaluateSeconds, RankingMetrics? Metrics, string? Error);

/// <summary>What training produced from a data set: every candidate's result, the chosen model, and why.</summary>
internal sealed record TrainingOutcome(
    RatingDataset Data,
    RatingMatrix Train,
    RatingMatrix Test,
    IReadOnlyList<CandidateResult> Candidates,
    IRecommenderModel Chosen,
    RankingMetrics ChosenMetrics,
    string Reason,
    float[] Popularity,
    NeighbourGraph Similar,
    IReadOnlyDictionary<string, IRecommenderModel> Models);

/// <summary>
/// The training procedure, free of storage: split (stable hash holdout), fit every configured algorithm on the same
/// training part, rank the same holdout users with the same metrics code, pick the best by the selection metric.
/// </summary>
internal static class TrainingCore
{
    public static IReadOnlyList<IRecommenderAlgorithm> Lineup(TrainingOptions o)
    {
        var names = o.Algorithms.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var lineup = new List<IRecommenderAlgorithm>();
        foreach (var name in names.Distinct(StringComparer.Ordinal))
        {
            lineup.Add(Algorithm(name, o));
        }

        return lineup;
    }

    /// <summary>The algorithm of that name, configured from the options.</summary>
    public static IRecommenderAlgorithm Algorithm(string name, TrainingOptions o) => name switch
    {
        AlgorithmNames.Popularity => new PopularityAlgorithm(),
        AlgorithmNames.UserKnn => new UserKnnAlgorithm(KnnFor(o)),
        AlgorithmNames.ItemKnn => new ItemKnnAlgorithm(KnnFor(o) with { MaxCoRatersPerItem = 0 }),
        AlgorithmNames.ImplicitAls => new ImplicitAlsAlgorithm(new ImplicitAlsOptions(o.AlsFactors, o.AlsIterations, (float)o.AlsRegularization, (float)o.AlsAlpha, Seed: o.Seed)),
        AlgorithmNames.BiasedMf => new BiasedMfAlgorithm(new BiasedMfOptions(Seed: o.Seed)),
        AlgorithmNames.Ease => new EaseAlgorithm(new EaseOptions(o.EaseLambda, o.EaseMaxItems)),
        AlgorithmNames.UserKnnBaseline => new UserKnnAlgorithm(KnnBaselineFor(o)),
        AlgorithmNames.ItemKnnBaseline => new ItemKnnAlgorithm(KnnBaselineFor(o) with { MaxCoRatersPerItem = 0 }),
        AlgorithmNames.SvdPlusPlus => new SvdPlusPlusAlgorithm(new SvdPlusPlusOptions(Seed: o.Seed)),
        AlgorithmNames.BayesianSvdPlusPlus => new BayesianSvdPlusPlusAlgorithm(BayesianFor(o)),
        AlgorithmNames.Blend => new BlendAlgorithm(
            [new BayesianSvdPlusPlusAlgorithm(BayesianFor(o)), new SvdPlusPlusAlgorithm(new SvdPlusPlusOptions(Seed: o.Seed)), new ItemKnnAlgorithm(KnnBaselineFor(o) with { MaxCoRatersPerItem = 0 })],
            new BlendOptions(Seed: o.Seed)),
        _ => throw new InvalidOperationException($"RecommenderTraining__Algorithms names an unknown algorithm '{name}'."),
    };

    public static KnnOptions KnnFor(TrainingOptions o) =>
        new(SimilarityKind.Cosine, o.Neighbours, o.Neighbours, o.Shrinkage, 1, Implicit: true, o.MaxCoRatersPerItem);

    /// <summary>The baseline-corrected (explicit) neighbourhood models: pearson-baseline similarity, the same k and shrinkage.</summary>
    public static KnnOptions KnnBaselineFor(TrainingOptions o) =>
        new(SimilarityKind.PearsonBaseline, o.Neighbours, o.Neighbours, o.Shrinkage, 1, Implicit: false, o.MaxCoRatersPerItem, Baseline: true);

    /// <summary>Bayesian SVD++ for the timer: fewer kept samples than the evaluation's (each adds f floats per user and video to the blob).</summary>
    public static BayesianSvdPlusPlusOptions BayesianFor(TrainingOptions o) => new(MaxKeptSamples: 10, Seed: o.Seed);

    /// <param name="evaluateCurrent">Optional: evaluates the model currently serving on the same split (for the logs and the report only).</param>
    public static TrainingOutcome Run(RatingDataset data, TrainingOptions o, CancellationToken cancellationToken)
    {
        var (train, test) = HashHoldout(data, o.HoldoutFraction, o.Seed);
        var results = new List<CandidateResult>();
        IRecommenderModel? best = null;
        RankingMetrics? bestMetrics = null;
        NeighbourGraph? similar = null;
        float[]? popularity = null;
        var models = new Dictionary<string, IRecommenderModel>(StringComparer.Ordinal);
        foreach (var algorithm in Lineup(o))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var sw = Stopwatch.StartNew();
            IRecommenderModel model;
            try
            {
                model = algorithm.Fit(train, cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                results.Add(new CandidateResult(algorithm.Name, sw.Elapsed.TotalSeconds, 0, null, ex.GetType().Name + ": " + ex.Message));
                continue;
            }

            var fit = sw.Elapsed.TotalSeconds;
            models[algorithm.Name] = model;
            sw.Restart();
            var metrics = Evaluator.Ranking(model, train, test, o.MaxEvaluationUsers, o.Seed, cancellationToken);
            results.Add(new CandidateResult(algorithm.Name, fit, sw.Elapsed.TotalSeconds, metrics, null));
            if (model is KnnModel { Algorithm: AlgorithmNames.ItemKnn } itemKnn)
            {
                similar = itemKnn.Graph;
            }

            if (model is PopularityModel pop)
            {
                popularity = pop.Popularity;
            }

            // Strictly better wins; on a tie the earlier (simpler) algorithm in the lineup stays.
            if (best is null || metrics.Get(o.SelectionMetric) > bestMetrics!.Get(o.SelectionMetric))
            {
                best = model;
                bestMetrics = metrics;
            }
        }

        if (best is null)
        {
            throw new InvalidOperationException("Every algorithm failed: " + string.Join("; ", results.Select(r => $"{r.Algorithm}: {r.Error}")));
        }

        popularity ??= ((PopularityModel)new PopularityAlgorithm().Fit(train, cancellationToken)).Popularity;
        similar ??= NeighbourGraph.Build(train.Transposed(), KnnFor(o) with { MaxCoRatersPerItem = 0 }, cancellationToken);
        similar = Truncate(similar, o.SimilarVideos);
        return new TrainingOutcome(data, train, test, results, best, bestMetrics!, Explain(results, best.Algorithm, o.SelectionMetric), popularity, similar, models);
    }

    /// <summary>
    /// Holds out a pair when a stable hash of (user id, video id) falls below the fraction, so the same pairs are held out
    /// on every run; a user keeps at least one pair for training.
    /// </summary>
    public static (RatingMatrix Train, RatingMatrix Test) HashHoldout(RatingDataset data, double fraction, int seed)
    {
        var m = data.Matrix;
        var inTrain = new bool[m.Count];
        var threshold = (ulong)(fraction * ulong.MaxValue);
        for (var u = 0; u < m.UserCount; u++)
        {
            var anyTrain = false;
            for (var p = m.RowPtr[u]; p < m.RowPtr[u + 1]; p++)
            {
                inTrain[p] = StableHash(data.UserIds[u], data.ItemIds[m.Cols[p]], seed) >= threshold;
                anyTrain |= inTrain[p];
            }

            if (!anyTrain && m.UserDegree(u) > 0)
            {
                inTrain[m.RowPtr[u]] = true;
            }
        }

        return (m.Where(inTrain), m.Where(inTrain.Select(b => !b).ToArray()));
    }

    /// <summary>FNV-1a 64 of "user\0item", mixed with the seed; identical on every machine and run.</summary>
    public static ulong StableHash(string user, string item, int seed)
    {
        var hash = 14695981039346656037UL ^ (ulong)(uint)seed;
        foreach (var c in user)
        {
            hash = (hash ^ c) * 1099511628211UL;
        }

        hash = (hash ^ 0) * 1099511628211UL;
        foreach (var c in item)
        {
            hash = (hash ^ c) * 1099511628211UL;
        }

        // Final avalanche (splitmix64) so the low-entropy FNV bits spread over the whole range.
        hash ^= hash >> 30;
        hash *= 0xbf58476d1ce4e5b9UL;
        hash ^= hash >> 27;
        hash *= 0x94d049bb133111ebUL;
        return hash ^ (hash >> 31);
    }

    private static string Explain(List<CandidateResult> results, string chosen, string metric)
    {
        var ranked = results.Where(r => r.Metrics is not null)
            .OrderByDescending(r => r.Metrics!.Get(metric))
            .Select(r => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{r.Algorithm} {r.Metrics!.Get(metric):F4}"));
        var failed = results.Where(r => r.Error is not null).Select(r => $"{r.Algorithm} failed ({r.Error})");
        return $"{chosen} has the best holdout {metric}: " + string.Join(", ", ranked.Concat(failed)) + ".";
    }

    private static NeighbourGraph Truncate(NeighbourGraph graph, int keep)
    {
        var rows = graph.Ptr.Length - 1;
        var ptr = new int[rows + 1];
        for (var r = 0; r < rows; r++)
        {
            ptr[r + 1] = ptr[r] + Math.Min(keep, graph.Of(r).Length);
        }

        var idx = new int[ptr[rows]];
        var w = new float[ptr[rows]];
        for (var r = 0; r < rows; r++)
        {
            var n = ptr[r + 1] - ptr[r];
            graph.Of(r)[..n].CopyTo(idx.AsSpan(ptr[r]));
            graph.WeightsOf(r)[..n].CopyTo(w.AsSpan(ptr[r]));
        }

        return new NeighbourGraph(ptr, idx, w);
    }
}
