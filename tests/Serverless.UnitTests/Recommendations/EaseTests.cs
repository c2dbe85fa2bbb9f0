using Serverless.Recommendations.Algorithms;

namespace Serverless.UnitTests.Recommendations;

public sealed class EaseTests
{
    [Fact]
    public void Ease_TwoItems_WeightIsTheRidgeRegressionOfOneItemOnTheOther()
    {
        // X = [[1,1],[1,0],[0,1]], λ = 1: with a zero diagonal, B[0,1] minimises Σ_u (x_u1 − b·x_u0)² + λb²,
        // so b = Σ x_u0·x_u1 / (Σ x_u0² + λ) = 1/(2 + 1). Closed form: P = (XᵀX + I)⁻¹ = 1/8·[[3,−1],[−1,3]], −P01/P11 = 1/3.
        var m = AlgorithmTests.Matrix(3, 2, (0, 0, 1), (0, 1, 1), (1, 0, 1), (2, 1, 1));
        var model = new EaseAlgorithm(new EaseOptions(Lambda: 1)).Fit(m, default);

        Assert.Equal(1.0 / 3, model.Predict(1, 1), 6); // user 1 has item 0 only
        Assert.Equal(1.0 / 3, model.Predict(2, 0), 6);
        Assert.Equal(0, model.Predict(1, 0), 6); // B[0,0] = 0: an item never scores itself
        var scores = new float[2];
        model.Score(0, scores);
        Assert.Equal(1.0 / 3, scores[0], 6);
        Assert.Equal(1.0 / 3, scores[1], 6);
    }

    [Fact]
    public void Ease_BinaryOrValued_UsesTheValuesOnlyWhenAsked()
    {
        // With values 2 instead of 1: valued X = 2·X_binary, b = 4/(8 + 1), the score 2·b.
        var m = AlgorithmTests.Matrix(3, 2, (0, 0, 2), (0, 1, 2), (1, 0, 2), (2, 1, 2));

        Assert.Equal(1.0 / 3, new EaseAlgorithm(new EaseOptions(Lambda: 1, Binary: true)).Fit(m, default).Predict(1, 1), 6);
        Assert.Equal(2 * 4.0 / 9, new EaseAlgorithm(new EaseOptions(Lambda: 1, Binary: false)).Fit(m, default).Predict(1, 1), 5);
    }

    [Fact]
    public void Ease_BlockStructure_RecommendsWithinBlock()
    {
        var m = AlgorithmTests.Blocks(out var probe, out var expected);
        var scores = new float[m.ItemCount];
        new EaseAlgorithm(new EaseOptions(Lambda: 5)).Fit(m, default).Score(probe, scores);
        foreach (var seen in m.ItemsOf(probe))
        {
            scores[seen] = float.NegativeInfinity;
        }

        var top = new int[1];
        TopK.Select(scores, 1, top);
        Assert.Equal(expected, top[0]);
    }

    [Fact]
    public void Ease_MaxItems_ModelsTheMostInteractedWithAndLeavesTheRestWithoutAScore()
    {
        // Item 2 has three users, item 0 two, item 1 one: with MaxItems 2, item 1 is not modeled.
        var m = AlgorithmTests.Matrix(3, 3, (0, 0, 1), (0, 2, 1), (1, 0, 1), (1, 2, 1), (2, 1, 1), (2, 2, 1));
        var model = new EaseAlgorithm(new EaseOptions(Lambda: 1, MaxItems: 2)).Fit(m, default);
        var scores = new float[3];
        model.Score(2, scores);

        Assert.Equal(float.NegativeInfinity, scores[1]);
        Assert.True(float.IsFinite(scores[0]) && scores[0] > 0);
        Assert.Equal(0, model.Predict(0, 1));
    }
}
