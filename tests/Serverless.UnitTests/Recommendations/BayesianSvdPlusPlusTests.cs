using Serverless.Recommendations.Algorithms;
using Serverless.Recommendations.Evaluation;

namespace Serverless.UnitTests.Recommendations;

public sealed class BayesianSvdPlusPlusTests
{
    [Fact]
    public void BayesianSvdPlusPlus_SameSeed_IdenticalModelWhateverTheThreads()
    {
        // Users and items are drawn in parallel: every row has its own stream, so the result cannot depend on scheduling.
        var m = SvdPlusPlusTests.RandomRatings(users: 30, items: 20, density: 0.4, seed: 3);
        var o = new BayesianSvdPlusPlusOptions(Factors: 3, Sweeps: 12, BurnIn: 4, MaxKeptSamples: 4, Seed: 9);

        var a = new BayesianSvdPlusPlusAlgorithm(o).Fit(m, default);
        var b = new BayesianSvdPlusPlusAlgorithm(o).Fit(m, default);
        var c = new BayesianSvdPlusPlusAlgorithm(o with { Seed = 10 }).Fit(m, default);

        var differs = false;
        for (var u = 0; u < m.UserCount; u++)
        {
            for (var i = 0; i < m.ItemCount; i++)
            {
                Assert.Equal(a.Predict(u, i), b.Predict(u, i));
                differs |= a.Predict(u, i) != c.Predict(u, i);
            }
        }

        Assert.True(differs, "another seed draws other samples");
    }

    [Fact]
    public void BayesianSvdPlusPlus_PlantedStructure_RecoveredWithoutTuning()
    {
        var all = SvdPlusPlusTests.RankOneRatings();
        var (train, test) = Splits.StratifiedPerUser(all, 0.8, 7);

        foreach (var o in new[]
        {
            new BayesianSvdPlusPlusOptions(Factors: 3, Sweeps: 40, BurnIn: 10, ImplicitFactors: false, ImplicitItemFactors: false),
            new BayesianSvdPlusPlusOptions(Factors: 3, Sweeps: 40, BurnIn: 10),
        })
        {
            var model = new BayesianSvdPlusPlusAlgorithm(o).Fit(train, default);
            var baseline = Evaluator.Rating(new PopularityAlgorithm().Fit(train, default), test).Rmse;

            Assert.True(Evaluator.Rating(model, test).Rmse < 0.5 * baseline, $"implicit {o.ImplicitFactors}: no better than the baseline");
        }
    }

    [Fact]
    public void BayesianSvdPlusPlus_Model_IsTheAverageOfTheKeptSamples()
    {
        // The folded factor model carries S samples of f factors each (the user side scaled by 1/S): its width is S·f.
        var m = SvdPlusPlusTests.RandomRatings(users: 10, items: 8, density: 0.5, seed: 4);

        var model = (FactorModel)new BayesianSvdPlusPlusAlgorithm(new BayesianSvdPlusPlusOptions(Factors: 2, Sweeps: 20, BurnIn: 8, MaxKeptSamples: 4)).Fit(m, default);

        Assert.Equal(2 * 4, model.Factors);
        Assert.Equal(AlgorithmNames.BayesianSvdPlusPlus, model.Algorithm);
    }
}
