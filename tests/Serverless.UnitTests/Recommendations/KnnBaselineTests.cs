using Serverless.Recommendations.Algorithms;

namespace Serverless.UnitTests.Recommendations;

public sealed class KnnBaselineTests
{
    [Fact]
    public void Baselines_OneEpoch_MatchesTheAlternatingFormulasByHand()
    {
        // μ = 4. Items first (b_u = 0): b_0 = ((5−4) + (4−4))/(1+2) = 1/3, b_1 = (3−4)/(1+1) = −1/2.
        // Then users: b_A = ((5−4−1/3) + (3−4+1/2))/(1+2) = 1/18, b_B = (4−4−1/3)/(1+1) = −1/6.
        var m = AlgorithmTests.Matrix(2, 2, (0, 0, 5), (0, 1, 3), (1, 0, 4));

        var b = Baselines.Fit(m, new BaselineOptions(ItemRegularization: 1, UserRegularization: 1, Epochs: 1));

        Assert.Equal(4f, b.Mu);
        Assert.Equal(1.0 / 3, b.ItemBias[0], 6);
        Assert.Equal(-0.5, b.ItemBias[1], 6);
        Assert.Equal(1.0 / 18, b.UserBias[0], 6);
        Assert.Equal(-1.0 / 6, b.UserBias[1], 6);
        Assert.Equal(4 + (1.0 / 18) - 0.5, b.Estimate(0, 1), 5);
    }

    [Fact]
    public void UserKnnBaseline_WorkedExample_IsTheSeedFormulaOnBaselineResiduals()
    {
        // r̂(A,3) = b_A3 + Σ_v w(A,v)·(r_v3 − b_v3) / Σ_v |w(A,v)|, w = Pearson of the residuals r − b over co-rated items,
        // only positive neighbours; recomputed here step by step from the baselines.
        var m = Worked();
        var model = new UserKnnAlgorithm(new KnnOptions(SimilarityKind.PearsonBaseline, K: 40, Candidates: 10, Shrinkage: 0, Baseline: true)).Fit(m, default);
        var b = Baselines.Fit(m, new BaselineOptions());
        double Residual(int u, int i) => m.Get(u, i)!.Value - b.Estimate(u, i);
        double num = 0, den = 0;
        foreach (var v in new[] { 1, 2, 3 })
        {
            double dot = 0, na = 0, nv = 0;
            foreach (var i in new[] { 0, 1 })
            {
                dot += Residual(0, i) * Residual(v, i);
                na += Residual(0, i) * Residual(0, i);
                nv += Residual(v, i) * Residual(v, i);
            }

            var w = dot / Math.Sqrt(na * nv);
            if (w > 1e-9)
            {
                num += w * Residual(v, 2);
                den += w;
            }
        }

        Assert.True(den > 0, "the worked example has a positive neighbour");
        Assert.Equal(AlgorithmNames.UserKnnBaseline, model.Algorithm);
        Assert.Equal(b.Estimate(0, 2) + (num / den), model.Predict(0, 2), 4);
    }

    [Fact]
    public void ItemKnnBaseline_NoNeighbourWithEvidence_FallsBackToTheBaseline()
    {
        // User 2's only item (2) shares no rater with item 0: the estimate is the baseline itself.
        var m = AlgorithmTests.Matrix(3, 3, (0, 0, 5), (0, 1, 3), (1, 0, 4), (1, 1, 2), (2, 2, 1));
        var model = new ItemKnnAlgorithm(new KnnOptions(SimilarityKind.PearsonBaseline, Shrinkage: 0, Baseline: true)).Fit(m, default);
        var b = Baselines.Fit(m, new BaselineOptions());

        Assert.Equal(AlgorithmNames.ItemKnnBaseline, model.Algorithm);
        Assert.Equal(b.Estimate(2, 0), model.Predict(2, 0), 5);
    }

    [Fact]
    public void PearsonBaseline_WithoutResiduals_IsRejected()
    {
        Assert.Throws<ArgumentException>(() => NeighbourGraph.Build(Worked(), new KnnOptions(SimilarityKind.PearsonBaseline), default));
    }

    private static RatingMatrix Worked() => AlgorithmTests.Matrix(4, 3,
        (0, 0, 5), (0, 1, 3),
        (1, 0, 4), (1, 1, 2), (1, 2, 4),
        (2, 0, 2), (2, 1, 4), (2, 2, 1),
        (3, 0, 4), (3, 1, 3), (3, 2, 5));
}
