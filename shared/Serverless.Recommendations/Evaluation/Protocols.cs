using System.Diagnostics;
using Serverless.Recommendations.Algorithms;

namespace Serverless.Recommendations.Evaluation;

/// <summary>One algorithm's k-fold rating-prediction result (means over folds; times summed over folds).</summary>
/// <param name="FitCpuSeconds">Processor time of the process during the fits (all threads): the cost on a busy machine, where wall time also counts other processes.</param>
internal sealed record CrossValidationResult(double Rmse, double Mae, double FitSeconds, double FitCpuSeconds, double TestSeconds);

/// <summary>One algorithm's ranking result on a train/test split.</summary>
internal sealed record RankingResult(RankingMetrics Metrics, double FitSeconds, double FitCpuSeconds);

/// <summary>
/// The evaluation command's protocols, on the splits and metrics code the retraining timer uses (<see cref="Splits"/>,
/// <see cref="Evaluator"/>): k-fold cross-validated RMSE/MAE, and top-10 ranking on a per-user stratified 75/25 split with
/// each user's training items excluded (all test items relevant).
/// </summary>
internal static class Protocols
{
    /// <summary>Share of each user's entries in the ranking protocol's training part.</summary>
    public const double RankingTrainRatio = 0.75;

    /// <summary>k-fold cross-validation: every entry is tested once, by a model fitted on the other folds.</summary>
    public static CrossValidationResult CrossValidate(RatingMatrix all, IRecommenderAlgorithm algorithm, int folds, int seed, CancellationToken cancellationToken)
    {
        var fold = Splits.KFold(all.Count, folds, seed);
        double rmse = 0, mae = 0, fit = 0, cpu = 0, testing = 0;
        for (var f = 0; f < folds; f++)
        {
            var (train, test) = Splits.ByFold(all, fold, f);
            var (model, seconds, cpuSeconds) = TimedFit(algorithm, train, cancellationToken);
            fit += seconds;
            cpu += cpuSeconds;
            var sw = Stopwatch.StartNew();
            var metrics = Evaluator.Rating(model, test);
            testing += sw.Elapsed.TotalSeconds;
            rmse += metrics.Rmse / folds;
            mae += metrics.Mae / folds;
        }

        return new CrossValidationResult(rmse, mae, fit, cpu, testing);
    }

    /// <summary>The ranking protocol's split: per user, a seeded 75 % to training, the rest to test.</summary>
    public static (RatingMatrix Train, RatingMatrix Test) RankingSplit(RatingMatrix all, int seed) => Splits.StratifiedPerUser(all, RankingTrainRatio, seed);

    /// <summary>Fits on <paramref name="train"/> and ranks every test user's unseen items (no user sampling).</summary>
    public static RankingResult Rank(IRecommenderAlgorithm algorithm, RatingMatrix train, RatingMatrix test, int seed, CancellationToken cancellationToken)
    {
        var (model, seconds, cpuSeconds) = TimedFit(algorithm, train, cancellationToken);
        return new RankingResult(Evaluator.Ranking(model, train, test, 0, seed, cancellationToken), seconds, cpuSeconds);
    }

    private static (IRecommenderModel Model, double Seconds, double CpuSeconds) TimedFit(IRecommenderAlgorithm algorithm, RatingMatrix train, CancellationToken cancellationToken)
    {
        using var process = Process.GetCurrentProcess();
        var cpu = process.TotalProcessorTime;
        var sw = Stopwatch.StartNew();
        var model = algorithm.Fit(train, cancellationToken);
        var seconds = sw.Elapsed.TotalSeconds;
        process.Refresh();
        return (model, seconds, (process.TotalProcessorTime - cpu).TotalSeconds);
    }
}
