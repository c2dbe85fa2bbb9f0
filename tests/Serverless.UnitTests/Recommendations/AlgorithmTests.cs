using Serverless.Recommendations.Algorithms;
using Serverless.Recommendations.Evaluation;
using Serverless.Recommendations.Serving;

namespace Serverless.UnitTests.Recommendations;

public sealed class AlgorithmTests
{
    // Users A, B, C, D (0..3); items 1..3 (0..2). A has not rated item 3.
    private static RatingMatrix Worked() => Matrix(4, 3,
        (0, 0, 5), (0, 1, 3),
        (1, 0, 4), (1, 1, 2), (1, 2, 4),
        (2, 0, 2), (2, 1, 4), (2, 2, 1),
        (3, 0, 4), (3, 1, 3), (3, 2, 5));

    [Fact]
    public void UserKnn_SeedWorkedExample_MatchesFormulaByHand()
    {
        // r̄(A)=4, r̄(B)=10/3, r̄(C)=7/3, r̄(D)=4. Pearson over co-rated items 1, 2 (centred on each user's mean):
        // w(A,B) = 2/√(2·20/9) = 0.948683, w(A,C) < 0 (not a neighbour), w(A,D) = 1/√2 = 0.707107.
        // r̂(A,3) = 4 + ((4 − 10/3)·w(A,B) + (5 − 4)·w(A,D)) / (|w(A,B)| + |w(A,D)|) = 4.809017.
        var model = new UserKnnAlgorithm(new KnnOptions(SimilarityKind.Pearson, K: 40, Candidates: 10, Shrinkage: 0)).Fit(Worked(), default);
        var wab = 2 / Math.Sqrt(2 * 20.0 / 9);
        var wad = 1 / Math.Sqrt(2);
        var expected = 4 + (((4 - (10.0 / 3)) * wab) + (1 * wad)) / (wab + wad);

        var graph = ((KnnModel)model).Graph;
        Assert.Equal([1, 3], graph.Of(0).ToArray());
        Assert.Equal(wab, graph.WeightsOf(0)[0], 5);
        Assert.Equal(wad, graph.WeightsOf(0)[1], 5);
        Assert.Equal(4.809017, expected, 5);
        Assert.Equal(expected, model.Predict(0, 2), 4);
    }

    [Fact]
    public void UserKnn_KOne_UsesOnlyMostSimilarNeighbour()
    {
        var model = new UserKnnAlgorithm(new KnnOptions(SimilarityKind.Pearson, K: 1, Candidates: 10, Shrinkage: 0)).Fit(Worked(), default);

        Assert.Equal(4 + (2.0 / 3), model.Predict(0, 2), 4);
    }

    [Fact]
    public void UserKnn_Shrinkage_PullsTowardsUserMean()
    {
        var plain = new UserKnnAlgorithm(new KnnOptions(SimilarityKind.Pearson, K: 1, Candidates: 10, Shrinkage: 0)).Fit(Worked(), default);
        var shrunk = new UserKnnAlgorithm(new KnnOptions(SimilarityKind.Pearson, K: 1, Candidates: 10, Shrinkage: 100)).Fit(Worked(), default);

        // With one neighbour the weight cancels in the formula; shrinkage changes which neighbours qualify, not the single-neighbour estimate.
        Assert.Equal(plain.Predict(0, 2), shrunk.Predict(0, 2), 4);
        var graph = ((KnnModel)shrunk).Graph;
        Assert.True(graph.WeightsOf(0)[0] < ((KnnModel)plain).Graph.WeightsOf(0)[0]);
    }

    [Fact]
    public void ItemKnn_Transposed_PredictsFromSimilarItems()
    {
        // Items 0 and 1 are rated identically by users 0..2; user 3 rated item 0 high: item 1 should be predicted high for user 3.
        var m = Matrix(4, 3, (0, 0, 5), (0, 1, 5), (1, 0, 1), (1, 1, 1), (2, 0, 3), (2, 1, 3), (0, 2, 1), (1, 2, 5), (3, 0, 5), (3, 2, 2));
        var model = new ItemKnnAlgorithm(new KnnOptions(SimilarityKind.Pearson, K: 5, Candidates: 5, Shrinkage: 0)).Fit(m, default);

        Assert.True(model.Predict(3, 1) > m.ItemMeans[1]);
    }

    [Fact]
    public void ImplicitKnn_BlockStructure_RecommendsWithinBlock()
    {
        var m = Blocks(out var probeUser, out var expected);
        foreach (var algorithm in new IRecommenderAlgorithm[]
        {
            new UserKnnAlgorithm(new KnnOptions(SimilarityKind.Cosine, 10, 10, 0, Implicit: true)),
            new ItemKnnAlgorithm(new KnnOptions(SimilarityKind.Cosine, 10, 10, 0, Implicit: true)),
            new ImplicitAlsAlgorithm(new ImplicitAlsOptions(Factors: 4, Iterations: 15, Alpha: 5)),
        })
        {
            var scores = new float[m.ItemCount];
            algorithm.Fit(m, default).Score(probeUser, scores);
            foreach (var seen in m.ItemsOf(probeUser))
            {
                scores[seen] = float.NegativeInfinity;
            }

            var top = new int[1];
            TopK.Select(scores, 1, top);
            Assert.True(top[0] == expected, $"{algorithm.Name} recommended {top[0]}, expected {expected}");
        }
    }

    [Fact]
    public void BiasedMf_RankOneRatings_BeatsBaselineAndIsDeterministic()
    {
        var random = new Random(1);
        var u = new List<(int, int, float)>();
        var userF = Enumerable.Range(0, 60).Select(_ => random.NextDouble() * 2 - 1).ToArray();
        var itemF = Enumerable.Range(0, 40).Select(_ => random.NextDouble() * 2 - 1).ToArray();
        for (var a = 0; a < 60; a++)
        {
            for (var b = 0; b < 40; b++)
            {
                if (random.NextDouble() < 0.5)
                {
                    u.Add((a, b, (float)(3 + (1.5 * userF[a] * itemF[b]))));
                }
            }
        }

        var all = Matrix(60, 40, [.. u]);
        var (train, test) = Splits.StratifiedPerUser(all, 0.8, 7);
        var options = new BiasedMfOptions(Factors: 4, Epochs: 200, LearningRate: 0.02f, Regularization: 0.01f, Seed: 3);
        var mf = new BiasedMfAlgorithm(options).Fit(train, default);
        var baseline = new PopularityAlgorithm().Fit(train, default);

        Assert.True(Evaluator.Rating(mf, test).Rmse < 0.5 * Evaluator.Rating(baseline, test).Rmse);
        Assert.Equal(mf.Predict(5, 7), new BiasedMfAlgorithm(options).Fit(train, default).Predict(5, 7));
    }

    [Fact]
    public void EveryAlgorithm_DegenerateData_NeverReturnsNaNOrInfinity()
    {
        var cases = new[]
        {
            Matrix(3, 4), // empty
            Matrix(3, 4, (0, 0, 4)), // one rating; items nobody rated
            Matrix(3, 4, (0, 0, 3), (0, 1, 3), (1, 0, 3), (1, 1, 3), (2, 2, 3)), // constant ratings
        };
        foreach (var m in cases)
        {
            foreach (var algorithm in AllAlgorithms())
            {
                var model = algorithm.Fit(m, default);
                var scores = new float[m.ItemCount];
                for (var user = -1; user <= m.UserCount; user++)
                {
                    for (var item = -1; item <= m.ItemCount; item++)
                    {
                        Assert.True(float.IsFinite(model.Predict(user, item)), $"{algorithm.Name} predicted a non-finite value");
                    }

                    if (user >= 0 && user < m.UserCount)
                    {
                        model.Score(user, scores);
                        Assert.All(scores, s => Assert.False(float.IsNaN(s)));
                    }
                }
            }
        }
    }

    [Fact]
    public void Popularity_Ranking_IsByTotalPreference()
    {
        var m = Matrix(3, 3, (0, 2, 1), (1, 2, 1), (2, 2, 1), (0, 1, 1), (1, 1, 1), (2, 0, 1));
        var scores = new float[3];
        new PopularityAlgorithm().Fit(m, default).Score(0, scores);
        var top = new int[3];

        Assert.Equal(3, TopK.Select(scores, 3, top));
        Assert.Equal([2, 1, 0], top);
    }

    [Fact]
    public void Snapshot_WriteRead_RoundTripsEveryModel()
    {
        var m = Blocks(out _, out _);
        foreach (var algorithm in AllAlgorithms())
        {
            var model = algorithm.Fit(m, default);
            var similar = NeighbourGraph.Build(m.Transposed(), new KnnOptions(SimilarityKind.Cosine, 5, 5, 0, Implicit: true), default);
            var snapshot = new RecommenderSnapshot("v1", DateTimeOffset.UnixEpoch, [.. Enumerable.Range(0, m.UserCount).Select(i => "u" + i)],
                [.. Enumerable.Range(0, m.ItemCount).Select(i => "i" + i)], m, model, new float[m.ItemCount], similar);
            using var stream = new MemoryStream();
            snapshot.Write(stream);
            stream.Position = 0;
            var read = RecommenderSnapshot.Read(stream);

            var a = new float[m.ItemCount];
            var b = new float[m.ItemCount];
            model.Score(1, a);
            read.Model.Score(1, b);
            Assert.Equal(a, b);
            Assert.Equal(algorithm.Name, read.Model.Algorithm);
            for (var item = 0; item < m.ItemCount; item++)
            {
                Assert.Equal(model.Predict(1, item), read.Model.Predict(1, item));
            }
        }
    }

    internal static IEnumerable<IRecommenderAlgorithm> AllAlgorithms() =>
    [
        new PopularityAlgorithm(),
        new UserKnnAlgorithm(),
        new UserKnnAlgorithm(new KnnOptions(SimilarityKind.Cosine, Implicit: true)),
        new ItemKnnAlgorithm(),
        new ItemKnnAlgorithm(new KnnOptions(SimilarityKind.Cosine, Implicit: true)),
        new BiasedMfAlgorithm(new BiasedMfOptions(Factors: 3, Epochs: 5)),
        new ImplicitAlsAlgorithm(new ImplicitAlsOptions(Factors: 3, Iterations: 3)),
        new ImplicitAlsAlgorithm(new ImplicitAlsOptions(Factors: 3, Iterations: 3, Binary: true, FrequencyScaling: 1)),
        new UserKnnAlgorithm(new KnnOptions(SimilarityKind.PearsonBaseline, Baseline: true)),
        new ItemKnnAlgorithm(new KnnOptions(SimilarityKind.PearsonBaseline, Baseline: true)),
        new SvdPlusPlusAlgorithm(new SvdPlusPlusOptions(Factors: 3, Epochs: 3)),
        new BayesianSvdPlusPlusAlgorithm(new BayesianSvdPlusPlusOptions(Factors: 3, Sweeps: 6, BurnIn: 2, MaxKeptSamples: 3)),
        new EaseAlgorithm(new EaseOptions(Lambda: 10)),
        new EaseAlgorithm(new EaseOptions(Lambda: 10, MaxItems: 2)),
        new BlendAlgorithm([new PopularityAlgorithm(), new SvdPlusPlusAlgorithm(new SvdPlusPlusOptions(Factors: 3, Epochs: 3))], new BlendOptions(HoldoutFolds: 3)),
    ];

    /// <summary>Two blocks of users and items; the probe user saw all but one item of block 0.</summary>
    internal static RatingMatrix Blocks(out int probeUser, out int expected)
    {
        var triples = new List<(int, int, float)>();
        for (var user = 0; user < 20; user++)
        {
            var block = user % 2;
            for (var item = 0; item < 10; item++)
            {
                if (item % 2 == block && (user != 0 || item != 8))
                {
                    triples.Add((user, item, 1));
                }
            }
        }

        probeUser = 0;
        expected = 8;
        return Matrix(20, 10, [.. triples]);
    }

    internal static RatingMatrix Matrix(int users, int items, params (int User, int Item, float Value)[] triples) =>
        RatingMatrix.FromTriples(users, items, triples.Select(t => t.User).ToArray(), triples.Select(t => t.Item).ToArray(), triples.Select(t => t.Value).ToArray());
}
