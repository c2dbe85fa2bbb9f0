using Serverless.Recommendations.Evaluation;

namespace Serverless.Recommendations.Algorithms;

/// <summary>
/// Hyperparameters chosen on the training data alone: the training matrix is split per user (stratified, seeded) into an
/// inner training part and a validation part, every candidate configuration is fitted on the inner part and ranked on the
/// validation part with the evaluation's own metrics code, and the best one is refitted on the whole training matrix.
/// The caller's test data is never looked at, so this is an honest "tuned" entry in a benchmark.
/// </summary>
/// <param name="candidates">Labelled configurations of one algorithm (the first is kept on ties).</param>
/// <param name="metric">A <see cref="RankingMetrics.Names"/> metric.</param>
internal sealed class TunedAlgorithm(IReadOnlyList<(string Label, IRecommenderAlgorithm Algorithm)> candidates, string metric = "ndcg@10", double innerRatio = 0.8, int seed = 42)
    : IRecommenderAlgorithm
{
    public string Name => candidates[0].Algorithm.Name;

    public bool PredictsRatings => candidates[0].Algorithm.PredictsRatings;

    /// <summary>The label of the configuration the last <see cref="Fit"/> chose, and every candidate's validation score (for reports).</summary>
    public (string Label, IReadOnlyList<(string Label, double Score)> Scores)? LastChoice { get; private set; }

    public IRecommenderModel Fit(RatingMatrix train, CancellationToken cancellationToken)
    {
        if (candidates.Count == 0)
        {
            throw new InvalidOperationException("Nothing to tune: no candidate configurations.");
        }

        var best = 0;
        var scores = new List<(string, double)>();
        if (candidates.Count > 1)
        {
            var (inner, validation) = Splits.StratifiedPerUser(train, innerRatio, seed);
            var bestScore = double.NegativeInfinity;
            for (var k = 0; k < candidates.Count; k++)
            {
                var model = candidates[k].Algorithm.Fit(inner, cancellationToken);
                var score = Evaluator.Ranking(model, inner, validation, 0, seed, cancellationToken).Get(metric);
                scores.Add((candidates[k].Label, score));
                if (score > bestScore)
                {
                    bestScore = score;
                    best = k;
                }
            }
        }

        LastChoice = (candidates[best].Label, scores);
        return candidates[best].Algorithm.Fit(train, cancellationToken);
    }
}
