using System.Globalization;
using Serverless.Recommendations.Algorithms;
using Serverless.Recommendations.Evaluation;

namespace Serverless.Recommendations.Benchmarks;

/// <summary>
/// <c>evaluate &lt;ratings-file&gt; [--folds 5] [--seed 42] [--extended]</c>: k-fold cross-validated RMSE/MAE with fit time for
/// every rating predictor, then ranking metrics on a per-user stratified 75/25 split (training items excluded) for every
/// algorithm, all through <see cref="Protocols"/>, on the splits and metrics code the retraining timer uses.
/// <c>--extended</c> adds the slower configurations (the blend, longer sampling) that are not in the default set.
/// </summary>
internal static class EvaluateCommand
{
    public static int Run(string file, int folds, int seed, bool extended, TextWriter output)
    {
        RatingDataset data;
        using (var reader = File.OpenText(file))
        {
            data = RatingsFile.Read(reader);
        }

        var m = data.Matrix;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{file}: {m.UserCount} users, {m.ItemCount} items, {m.Count} ratings, mean {m.GlobalMean:F3}; {Environment.ProcessorCount} cores"));
        output.WriteLine();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Rating prediction, {folds}-fold cross-validation (seed {seed}); fit times are the sum over the folds (cpu = processor time of all threads)"));
        output.WriteLine($"{"algorithm",-46} {"RMSE",7} {"MAE",7} {"fit s",7} {"cpu s",7} {"test s",7}");
        foreach (var (label, algorithm) in RatingLineup(seed, extended))
        {
            var r = Protocols.CrossValidate(m, algorithm, folds, seed, CancellationToken.None);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{label,-46} {r.Rmse,7:F4} {r.Mae,7:F4} {r.FitSeconds,7:F2} {r.FitCpuSeconds,7:F2} {r.TestSeconds,7:F2}"));
        }

        output.WriteLine();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Ranking, per-user stratified 75/25 split (seed {seed}), top 10, training items excluded, every test item relevant"));
        output.WriteLine($"{"algorithm",-46} {"MAP@10",7} {"NDCG@10",7} {"P@10",7} {"R@10",7} {"R@20",7} {"fit s",7}");
        var (train, test) = Protocols.RankingSplit(m, seed);
        foreach (var (label, algorithm) in RatingLineup(seed, extended: false).Concat(RankingLineup(seed)))
        {
            var result = Protocols.Rank(algorithm, train, test, seed, CancellationToken.None);
            var r = result.Metrics;
            var chosen = algorithm is TunedAlgorithm { LastChoice: { } choice } ? $" → {choice.Label}" : "";
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{label + chosen,-46} {r.MapAt10,7:F4} {r.NdcgAt10,7:F4} {r.PrecisionAt10,7:F4} {r.RecallAt10,7:F4} {r.RecallAt20,7:F4} {result.FitSeconds,7:F2}"));
        }

        return 0;
    }

    /// <summary>
    /// Rating predictors (the evaluation's default set, each under 10 s for five folds of 100k ratings on two cores), with
    /// the settings used for the published comparisons; <paramref name="extended"/> adds the slower ones.
    /// </summary>
    public static IEnumerable<(string Label, IRecommenderAlgorithm Algorithm)> RatingLineup(int seed, bool extended)
    {
        yield return ("popularity (baseline μ+b_u+b_i)", new PopularityAlgorithm());
        yield return ("user-knn pearson (seed formula)", new UserKnnAlgorithm(new KnnOptions(SimilarityKind.Pearson, K: 40, Candidates: 300, Shrinkage: 100)));
        yield return ("user-knn-baseline (seed formula, baselines)", new UserKnnAlgorithm(KnnBaseline));
        yield return ("item-knn-baseline", new ItemKnnAlgorithm(KnnBaseline));
        yield return ("biased-mf sgd (f50 λ.1)", new BiasedMfAlgorithm(new BiasedMfOptions(Seed: seed)));
        yield return ("svdpp sgd (f20)", new SvdPlusPlusAlgorithm(new SvdPlusPlusOptions(Seed: seed)));
        yield return ("bayesian-svdpp (f10, 100 sweeps)", new BayesianSvdPlusPlusAlgorithm(new BayesianSvdPlusPlusOptions(Seed: seed)));
        if (extended)
        {
            yield return ("bayesian-svdpp (f10, 400 sweeps)", new BayesianSvdPlusPlusAlgorithm(new BayesianSvdPlusPlusOptions(Sweeps: 400, BurnIn: 50, MaxKeptSamples: 100, Seed: seed)));
            yield return ("blend (bayes-svdpp, svdpp, knn-baseline ×2)", Blend(seed));
        }
    }

    /// <summary>Ranking algorithms (ratings read as "interacted", or as preference strength where an algorithm weighs values).</summary>
    public static IEnumerable<(string Label, IRecommenderAlgorithm Algorithm)> RankingLineup(int seed)
    {
        yield return ("user-knn cosine implicit", new UserKnnAlgorithm(new KnnOptions(SimilarityKind.Cosine, K: 50, Candidates: 50, Shrinkage: 10, Implicit: true)));
        yield return ("item-knn cosine implicit", new ItemKnnAlgorithm(new KnnOptions(SimilarityKind.Cosine, K: 50, Candidates: 50, Shrinkage: 10, Implicit: true)));
        yield return ("implicit-als (f16 α1 λ1)", new ImplicitAlsAlgorithm(new ImplicitAlsOptions(Factors: 16, Iterations: 15, Regularization: 1f, Alpha: 1f, Seed: seed)));
        yield return ("implicit-als tuned", TunedAls(seed));
        yield return ("ease (λ 200)", new EaseAlgorithm(new EaseOptions(Lambda: 200)));
        yield return ("ease tuned", TunedEase(seed));
    }

    /// <summary>The baseline-corrected kNN of the published comparisons: pearson-baseline similarity shrunk by n/(n+100), k = 40.</summary>
    private static KnnOptions KnnBaseline => new(SimilarityKind.PearsonBaseline, K: 40, Candidates: 5000, Shrinkage: 100, Baseline: true);

    private static BlendAlgorithm Blend(int seed) => new(
        [
            new BayesianSvdPlusPlusAlgorithm(new BayesianSvdPlusPlusOptions(Seed: seed)),
            new SvdPlusPlusAlgorithm(new SvdPlusPlusOptions(Seed: seed)),
            new ItemKnnAlgorithm(KnnBaseline),
            new UserKnnAlgorithm(KnnBaseline),
        ],
        new BlendOptions(Seed: seed));

    /// <summary>EASE's λ chosen on an inner split of the training part.</summary>
    private static TunedAlgorithm TunedEase(int seed) =>
        new([.. new[] { 25, 50, 100, 200, 400, 800, 1600, 3200 }.Select(l => ($"λ {l}", (IRecommenderAlgorithm)new EaseAlgorithm(new EaseOptions(Lambda: l))))], seed: seed);

    /// <summary>ALS's confidence (binary or rating-weighted, α) and λ chosen on an inner split of the training part; f = 32.</summary>
    private static TunedAlgorithm TunedAls(int seed)
    {
        var grid = new List<(string, IRecommenderAlgorithm)>();
        foreach (var binary in new[] { true, false })
        {
            foreach (var alpha in new[] { 1f, 3f, 10f })
            {
                foreach (var lambda in new[] { 10f, 50f })
                {
                    var label = string.Create(CultureInfo.InvariantCulture, $"{(binary ? "binary" : "weighted")} α{alpha} λ{lambda}");
                    grid.Add((label, new ImplicitAlsAlgorithm(new ImplicitAlsOptions(Factors: 32, Iterations: 15, Regularization: lambda, Alpha: alpha, Seed: seed, Binary: binary))));
                }
            }
        }

        return new TunedAlgorithm(grid, seed: seed);
    }
}
