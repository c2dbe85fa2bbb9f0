using System.Diagnostics;
using System.Globalization;
using Serverless.Recommendations.Algorithms;
using Serverless.Recommendations.Evaluation;

namespace Serverless.Recommendations.Benchmarks;

/// <summary>
/// <c>evaluate &lt;ratings-file&gt; [--folds 5] [--seed 42]</c>: k-fold cross-validated RMSE/MAE with fit time for every
/// algorithm, then ranking metrics on a per-user stratified 75/25 split (training items excluded), all with the same
/// metrics code the retraining timer uses.
/// </summary>
internal static class EvaluateCommand
{
    public static int Run(string file, int folds, int seed, TextWriter output)
    {
        var data = RatingsFile.Read(File.OpenText(file));
        var m = data.Matrix;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{file}: {m.UserCount} users, {m.ItemCount} items, {m.Count} ratings, mean {m.GlobalMean:F3}"));
        output.WriteLine();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Rating prediction, {folds}-fold cross-validation (seed {seed})"));
        output.WriteLine($"{"algorithm",-28} {"RMSE",8} {"MAE",8} {"fit s (total)",14} {"test s",8}");
        var fold = Splits.KFold(m.Count, folds, seed);
        foreach (var (label, algorithm) in ExplicitLineup(seed))
        {
            double rmse = 0, mae = 0, fitSeconds = 0, testSeconds = 0;
            for (var f = 0; f < folds; f++)
            {
                var (train, test) = Splits.ByFold(m, fold, f);
                var sw = Stopwatch.StartNew();
                var model = algorithm.Fit(train, CancellationToken.None);
                fitSeconds += sw.Elapsed.TotalSeconds;
                sw.Restart();
                var metrics = Evaluator.Rating(model, test);
                testSeconds += sw.Elapsed.TotalSeconds;
                rmse += metrics.Rmse / folds;
                mae += metrics.Mae / folds;
            }

            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{label,-28} {rmse,8:F4} {mae,8:F4} {fitSeconds,14:F2} {testSeconds,8:F2}"));
        }

        output.WriteLine();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Ranking, per-user stratified 75/25 split (seed {seed}), top 10, training items excluded"));
        output.WriteLine($"{"algorithm",-28} {"MAP@10",8} {"NDCG@10",8} {"P@10",8} {"R@10",8} {"R@20",8} {"fit s",8}");
        var (rankTrain, rankTest) = Splits.StratifiedPerUser(m, 0.75, seed);
        foreach (var (label, algorithm) in ExplicitLineup(seed).Concat(ImplicitLineup(seed)))
        {
            var sw = Stopwatch.StartNew();
            var model = algorithm.Fit(rankTrain, CancellationToken.None);
            var fit = sw.Elapsed.TotalSeconds;
            var r = Evaluator.Ranking(model, rankTrain, rankTest, 0, seed, CancellationToken.None);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{label,-28} {r.MapAt10,8:F4} {r.NdcgAt10,8:F4} {r.PrecisionAt10,8:F4} {r.RecallAt10,8:F4} {r.RecallAt20,8:F4} {fit,8:F2}"));
        }

        return 0;
    }

    /// <summary>Explicit-rating algorithms (the seed formula first), with the settings used for the published comparisons.</summary>
    public static IEnumerable<(string Label, IRecommenderAlgorithm Algorithm)> ExplicitLineup(int seed)
    {
        yield return ("popularity (baseline)", new PopularityAlgorithm());
        yield return ("user-knn pearson (seed)", new UserKnnAlgorithm(new KnnOptions(SimilarityKind.Pearson, K: 40, Candidates: 300, Shrinkage: 100)));
        yield return ("user-knn cosine (seed)", new UserKnnAlgorithm(new KnnOptions(SimilarityKind.Cosine, K: 40, Candidates: 300, Shrinkage: 100)));
        yield return ("item-knn pearson", new ItemKnnAlgorithm(new KnnOptions(SimilarityKind.Pearson, K: 40, Candidates: 300, Shrinkage: 100)));
        yield return ("biased-mf sgd (f100 λ.02)", new BiasedMfAlgorithm(new BiasedMfOptions(Factors: 100, Epochs: 20, LearningRate: 0.005f, Regularization: 0.02f, Seed: seed)));
        yield return ("biased-mf sgd (f50 λ.1)", new BiasedMfAlgorithm(new BiasedMfOptions(Seed: seed)));
    }

    /// <summary>Implicit-feedback algorithms (ratings read as preference strength).</summary>
    public static IEnumerable<(string Label, IRecommenderAlgorithm Algorithm)> ImplicitLineup(int seed)
    {
        yield return ("user-knn cosine implicit", new UserKnnAlgorithm(new KnnOptions(SimilarityKind.Cosine, K: 50, Candidates: 50, Shrinkage: 10, Implicit: true)));
        yield return ("item-knn cosine implicit", new ItemKnnAlgorithm(new KnnOptions(SimilarityKind.Cosine, K: 50, Candidates: 50, Shrinkage: 10, Implicit: true)));
        yield return ("implicit-als (f16 α1 λ1)", new ImplicitAlsAlgorithm(new ImplicitAlsOptions(Factors: 16, Iterations: 15, Regularization: 1f, Alpha: 1f, Seed: seed)));
    }
}
