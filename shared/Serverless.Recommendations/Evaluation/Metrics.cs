using Serverless.Recommendations.Algorithms;

namespace Serverless.Recommendations.Evaluation;

/// <summary>Rating-prediction error.</summary>
public sealed record RatingMetrics(double Rmse, double Mae, int Count);

/// <summary>
/// Top-N ranking quality over the test users, each user's training items excluded from the ranking, all of a user's
/// test items relevant (binary relevance), as public recommender benchmarks compute them:
/// precision@k = hits/k; recall@k = hits/|rel|; NDCG@k = DCG/IDCG with gain 1/log2(rank+1);
/// MAP@k = Σ_{hits in top k} precision@rank / min(k, |rel|). Averaged over users with at least one test item.
/// </summary>
public sealed record RankingMetrics(int Users, double PrecisionAt10, double RecallAt10, double NdcgAt10, double MapAt10, double RecallAt20)
{
    public double Get(string metric) => metric.ToLowerInvariant() switch
    {
        "precision@10" => PrecisionAt10,
        "recall@10" => RecallAt10,
        "ndcg@10" => NdcgAt10,
        "map@10" or "map" => MapAt10,
        "recall@20" => RecallAt20,
        _ => throw new ArgumentOutOfRangeException(nameof(metric), metric, "Use precision@10, recall@10, ndcg@10, map@10 or recall@20."),
    };

    public static readonly string[] Names = ["ndcg@10", "map@10", "precision@10", "recall@10", "recall@20"];
}

/// <summary>The metrics code shared by the evaluation command, the benchmark and the retraining timer.</summary>
internal static class Evaluator
{
    public static RatingMetrics Rating(IRecommenderModel model, RatingMatrix test)
    {
        double se = 0;
        double ae = 0;
        var n = 0;
        for (var u = 0; u < test.UserCount; u++)
        {
            var items = test.ItemsOf(u);
            var values = test.ValuesOf(u);
            for (var k = 0; k < items.Length; k++)
            {
                var err = values[k] - model.Predict(u, items[k]);
                se += err * err;
                ae += Math.Abs(err);
                n++;
            }
        }

        return n == 0 ? new RatingMetrics(0, 0, 0) : new RatingMetrics(Math.Sqrt(se / n), ae / n, n);
    }

    /// <summary>Ranking metrics of a model that scores items in the same index space as <paramref name="train"/>.</summary>
    public static RankingMetrics Ranking(IRecommenderModel model, RatingMatrix train, RatingMatrix test, int maxUsers, int seed, CancellationToken cancellationToken) =>
        Ranking((u, scores) => model.Score(u, scores), train, test, maxUsers, seed, cancellationToken);

    /// <summary>
    /// Ranking metrics of any scorer (e.g. the current model mapped into the new index space). With more test users than
    /// <paramref name="maxUsers"/> (when positive), a seeded sample of them is evaluated.
    /// </summary>
    public static RankingMetrics Ranking(Action<int, float[]> score, RatingMatrix train, RatingMatrix test, int maxUsers, int seed, CancellationToken cancellationToken)
    {
        var users = new List<int>();
        for (var u = 0; u < test.UserCount; u++)
        {
            if (test.UserDegree(u) > 0)
            {
                users.Add(u);
            }
        }

        if (maxUsers > 0 && users.Count > maxUsers)
        {
            var array = users.ToArray();
            new Random(seed).Shuffle(array);
            users = [.. array.Take(maxUsers).Order()];
        }

        if (users.Count == 0)
        {
            return new RankingMetrics(0, 0, 0, 0, 0, 0);
        }

        // Each user's metrics land in their own slot and are summed in user order afterwards: the result is the same
        // to the last bit however the users were spread over threads (a per-thread running sum was not, and the
        // "only if not worse" publish rule compares these numbers).
        var perUser = new (double P10, double R10, double Ndcg, double Ap, double R20)[users.Count];
        Parallel.For(
            0,
            users.Count,
            new ParallelOptions { CancellationToken = cancellationToken, MaxDegreeOfParallelism = Environment.ProcessorCount },
            () => (Scores: new float[train.ItemCount], Top: new int[20]),
            (k, _, local) =>
            {
                var u = users[k];
                Array.Clear(local.Scores);
                score(u, local.Scores);
                foreach (var seen in train.ItemsOf(u))
                {
                    local.Scores[seen] = float.NegativeInfinity;
                }

                var found = TopK.Select(local.Scores, 20, local.Top);
                perUser[k] = UserMetrics(local.Top.AsSpan(0, found), test.ItemsOf(u), 10);
                return local;
            },
            _ => { });

        var sums = new double[5];
        foreach (var (p10, r10, ndcg, ap, r20) in perUser)
        {
            sums[0] += p10;
            sums[1] += r10;
            sums[2] += ndcg;
            sums[3] += ap;
            sums[4] += r20;
        }

        var n = users.Count;
        return new RankingMetrics(n, sums[0] / n, sums[1] / n, sums[2] / n, sums[3] / n, sums[4] / n);
    }

    /// <summary>Metrics of one ranked list (best first) against a user's relevant items (sorted ascending).</summary>
    public static (double PrecisionAtK, double RecallAtK, double NdcgAtK, double MapAtK, double RecallAt20) UserMetrics(ReadOnlySpan<int> ranked, ReadOnlySpan<int> relevant, int k)
    {
        if (relevant.Length == 0)
        {
            return (0, 0, 0, 0, 0);
        }

        double dcg = 0;
        double ap = 0;
        var hitsK = 0;
        var hits20 = 0;
        for (var r = 0; r < ranked.Length; r++)
        {
            if (relevant.BinarySearch(ranked[r]) < 0)
            {
                continue;
            }

            if (r < 20)
            {
                hits20++;
            }

            if (r < k)
            {
                hitsK++;
                dcg += 1.0 / Math.Log2(r + 2);
                ap += (double)hitsK / (r + 1);
            }
        }

        double idcg = 0;
        for (var r = 0; r < Math.Min(k, relevant.Length); r++)
        {
            idcg += 1.0 / Math.Log2(r + 2);
        }

        return ((double)hitsK / k, (double)hitsK / relevant.Length, dcg / idcg, ap / Math.Min(k, relevant.Length), (double)hits20 / relevant.Length);
    }
}

/// <summary>Train/test splits, deterministic for a seed.</summary>
internal static class Splits
{
    /// <summary>k-fold assignment of every stored entry (position in <see cref="RatingMatrix.Cols"/>) to a fold, shuffled with the seed.</summary>
    public static int[] KFold(int count, int folds, int seed)
    {
        var order = new int[count];
        for (var k = 0; k < count; k++)
        {
            order[k] = k;
        }

        new Random(seed).Shuffle(order);
        var fold = new int[count];
        for (var k = 0; k < count; k++)
        {
            fold[order[k]] = k % folds;
        }

        return fold;
    }

    /// <summary>
    /// Per-user stratified split: each user's entries are shuffled and the first round(ratio·n) go to training, the rest
    /// to test (a user with one entry keeps it in training), as the 75/25 protocol of public benchmarks does.
    /// </summary>
    public static (RatingMatrix Train, RatingMatrix Test) StratifiedPerUser(RatingMatrix all, double ratio, int seed)
    {
        var random = new Random(seed);
        var inTrain = new bool[all.Count];
        for (var u = 0; u < all.UserCount; u++)
        {
            var start = all.RowPtr[u];
            var n = all.UserDegree(u);
            var positions = new int[n];
            for (var k = 0; k < n; k++)
            {
                positions[k] = start + k;
            }

            random.Shuffle(positions);
            var trainCount = Math.Max(1, (int)Math.Round(ratio * n, MidpointRounding.AwayFromZero));
            for (var k = 0; k < Math.Min(trainCount, n); k++)
            {
                inTrain[positions[k]] = true;
            }
        }

        return (all.Where(inTrain), all.Where(inTrain.Select(b => !b).ToArray()));
    }

    /// <summary>Train/test by fold: test = the entries of <paramref name="testFold"/>.</summary>
    public static (RatingMatrix Train, RatingMatrix Test) ByFold(RatingMatrix all, int[] fold, int testFold)
    {
        var inTrain = new bool[all.Count];
        for (var k = 0; k < all.Count; k++)
        {
            inTrain[k] = fold[k] != testFold;
        }

        return (all.Where(inTrain), all.Where(inTrain.Select(b => !b).ToArray()));
    }
}
