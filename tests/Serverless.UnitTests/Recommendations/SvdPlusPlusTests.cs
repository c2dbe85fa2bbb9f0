using Serverless.Recommendations.Algorithms;
using Serverless.Recommendations.Evaluation;

namespace Serverless.UnitTests.Recommendations;

public sealed class SvdPlusPlusTests
{
    [Fact]
    public void SvdPlusPlus_UserByUserUpdates_EqualTheTextbookPerRatingUpdates()
    {
        // The textbook SGD step moves every y_j (j ∈ N(u)) on every rating; the algorithm tracks the implicit sum instead
        // and applies the y updates once per user. Replaying the same visiting order (same seeded draws) naively must give
        // the same model.
        var m = RandomRatings(users: 6, items: 8, density: 0.5, seed: 11);
        var o = new SvdPlusPlusOptions(Factors: 4, Epochs: 3, LearningRate: 0.05f, Regularization: 0.05f, BiasLearningRate: 0.03f, BiasRegularization: 0.02f, Decay: 0.9f, Seed: 7);

        var model = new SvdPlusPlusAlgorithm(o).Fit(m, default);
        var reference = Textbook(m, o);

        for (var u = 0; u < m.UserCount; u++)
        {
            for (var i = 0; i < m.ItemCount; i++)
            {
                Assert.Equal(reference(u, i), model.Predict(u, i), 4);
            }
        }
    }

    [Fact]
    public void SvdPlusPlus_SameSeed_SameModel_AndItLearnsAPlantedStructure()
    {
        var all = RankOneRatings();
        var (train, test) = Splits.StratifiedPerUser(all, 0.8, 7);
        var o = new SvdPlusPlusOptions(Factors: 4, Epochs: 60, LearningRate: 0.02f, Regularization: 0.01f, Decay: 0.98f, Seed: 3);

        var model = new SvdPlusPlusAlgorithm(o).Fit(train, default);

        Assert.Equal(model.Predict(5, 7), new SvdPlusPlusAlgorithm(o).Fit(train, default).Predict(5, 7));
        Assert.True(Evaluator.Rating(model, test).Rmse < 0.6 * Evaluator.Rating(new PopularityAlgorithm().Fit(train, default), test).Rmse);
    }

    /// <summary>Ratings 3 + 1.5·a_u·b_i on half the cells: a structure biases alone cannot explain.</summary>
    internal static RatingMatrix RankOneRatings()
    {
        var random = new Random(1);
        var userF = Enumerable.Range(0, 60).Select(_ => (random.NextDouble() * 2) - 1).ToArray();
        var itemF = Enumerable.Range(0, 40).Select(_ => (random.NextDouble() * 2) - 1).ToArray();
        var triples = new List<(int, int, float)>();
        for (var a = 0; a < 60; a++)
        {
            for (var b = 0; b < 40; b++)
            {
                if (random.NextDouble() < 0.5)
                {
                    triples.Add((a, b, (float)(3 + (1.5 * userF[a] * itemF[b]))));
                }
            }
        }

        return AlgorithmTests.Matrix(60, 40, [.. triples]);
    }

    internal static RatingMatrix RandomRatings(int users, int items, double density, int seed)
    {
        var random = new Random(seed);
        var triples = new List<(int, int, float)>();
        for (var u = 0; u < users; u++)
        {
            for (var i = 0; i < items; i++)
            {
                if (random.NextDouble() < density)
                {
                    triples.Add((u, i, random.Next(1, 6)));
                }
            }
        }

        return AlgorithmTests.Matrix(users, items, [.. triples]);
    }

    /// <summary>Koren's per-rating SGD, recomputing the implicit sum for every rating and moving every y_j each time.</summary>
    private static Func<int, int, float> Textbook(RatingMatrix m, SvdPlusPlusOptions o)
    {
        var f = o.Factors;
        var random = new Random(o.Seed);
        var p = new float[m.UserCount * f];
        var q = new float[m.ItemCount * f];
        var y = new float[m.ItemCount * f];
        VectorMath.FillGaussian(p, random, o.InitStdDev);
        VectorMath.FillGaussian(q, random, o.InitStdDev);
        VectorMath.FillGaussian(y, random, o.InitStdDev);
        var bu = new float[m.UserCount];
        var bi = new float[m.ItemCount];
        var mu = m.GlobalMean;
        var users = Enumerable.Range(0, m.UserCount).ToArray();
        float lr = o.LearningRate, lrb = o.BiasLearningRate;
        for (var epoch = 0; epoch < o.Epochs; epoch++)
        {
            random.Shuffle(users);
            foreach (var u in users)
            {
                var items = m.ItemsOf(u).ToArray();
                if (items.Length == 0)
                {
                    continue;
                }

                var order = Enumerable.Range(0, items.Length).ToArray();
                random.Shuffle(order);
                var s = 1 / MathF.Sqrt(items.Length);
                foreach (var k in order)
                {
                    var i = items[k];
                    var pz = new float[f];
                    for (var d = 0; d < f; d++)
                    {
                        pz[d] = p[(u * f) + d];
                        foreach (var j in items)
                        {
                            pz[d] += s * y[(j * f) + d];
                        }
                    }

                    var dot = 0f;
                    for (var d = 0; d < f; d++)
                    {
                        dot += q[(i * f) + d] * pz[d];
                    }

                    var e = m.Get(u, i)!.Value - (mu + bu[u] + bi[i] + dot);
                    bu[u] += lrb * (e - (o.BiasRegularization * bu[u]));
                    bi[i] += lrb * (e - (o.BiasRegularization * bi[i]));
                    for (var d = 0; d < f; d++)
                    {
                        var qOld = q[(i * f) + d];
                        q[(i * f) + d] += lr * ((e * pz[d]) - (o.Regularization * qOld));
                        p[(u * f) + d] += lr * ((e * qOld) - (o.Regularization * p[(u * f) + d]));
                        foreach (var j in items)
                        {
                            y[(j * f) + d] += lr * ((e * s * qOld) - (o.Regularization * y[(j * f) + d]));
                        }
                    }
                }
            }

            lr *= o.Decay;
            lrb *= o.Decay;
        }

        var min = m.Values.Min();
        var max = m.Values.Max();
        return (u, i) =>
        {
            var items = m.ItemsOf(u).ToArray();
            var s = items.Length > 0 ? 1 / MathF.Sqrt(items.Length) : 0;
            var estimate = mu + bu[u] + bi[i];
            for (var d = 0; d < f; d++)
            {
                var pu = p[(u * f) + d];
                foreach (var j in items)
                {
                    pu += s * y[(j * f) + d];
                }

                estimate += q[(i * f) + d] * pu;
            }

            return Math.Clamp(estimate, min, max);
        };
    }
}
