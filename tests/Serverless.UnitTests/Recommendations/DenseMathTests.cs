using Serverless.Recommendations.Algorithms;

namespace Serverless.UnitTests.Recommendations;

public sealed class DenseMathTests
{
    [Fact]
    public void InvertSpd_TwoByTwo_MatchesTheClosedForm()
    {
        // [[4, 2], [2, 3]]⁻¹ = 1/8 · [[3, −2], [−2, 4]].
        double[] a = [4, 2, 2, 3];

        Assert.True(DenseMath.InvertSpd(a, 2, default));

        Assert.Equal(3.0 / 8, a[0], 12);
        Assert.Equal(-2.0 / 8, a[1], 12);
        Assert.Equal(-2.0 / 8, a[2], 12);
        Assert.Equal(4.0 / 8, a[3], 12);
    }

    [Fact]
    public void InvertSpd_LargerThanOneBlock_GivesTheIdentityWhenMultipliedBack()
    {
        // 70 rows: two full blocks of 32 and a ragged one.
        const int n = 70;
        var random = new Random(5);
        var x = new double[n * 20];
        for (var k = 0; k < x.Length; k++)
        {
            x[k] = random.NextDouble() - 0.5;
        }

        var a = new double[n * n];
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < n; j++)
            {
                double sum = i == j ? 0.5 : 0;
                for (var k = 0; k < 20; k++)
                {
                    sum += x[(i * 20) + k] * x[(j * 20) + k];
                }

                a[(i * n) + j] = sum;
            }
        }

        var inverse = (double[])a.Clone();
        Assert.True(DenseMath.InvertSpd(inverse, n, default));

        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < n; j++)
            {
                double sum = 0;
                for (var k = 0; k < n; k++)
                {
                    sum += a[(i * n) + k] * inverse[(k * n) + j];
                }

                Assert.Equal(i == j ? 1.0 : 0.0, sum, 9);
            }
        }
    }

    [Fact]
    public void InvertSpd_NotPositiveDefinite_ReturnsFalse()
    {
        double[] a = [1, 2, 2, 1]; // eigenvalues 3 and −1

        Assert.False(DenseMath.InvertSpd(a, 2, default));
    }

    [Fact]
    public void SolveSpd_ThreeByThree_SolvesTheSystem()
    {
        // A = [[4,1,0],[1,3,1],[0,1,2]], x = (1, −1, 2) → b = A·x = (3, 0, 3).
        double[] a = [4, 1, 0, 1, 3, 1, 0, 1, 2];
        double[] b = [3, 0, 3];

        Assert.True(DenseMath.SolveSpd(a, b, 3));

        Assert.Equal(1, b[0], 12);
        Assert.Equal(-1, b[1], 12);
        Assert.Equal(2, b[2], 12);
    }

    [Fact]
    public void SplitMix64_GaussianAndGammaDraws_HaveTheirMoments()
    {
        var rng = new SplitMix64(1, 2, 3, 4);
        const int n = 40_000;
        double sum = 0, squares = 0, gammaSum = 0, gammaSmall = 0;
        for (var k = 0; k < n; k++)
        {
            var g = rng.NextGaussian();
            sum += g;
            squares += g * g;
            gammaSum += rng.NextGamma(3, 2); // mean shape/rate = 1.5
            gammaSmall += rng.NextGamma(0.5, 1); // mean 0.5
        }

        Assert.InRange(sum / n, -0.03, 0.03);
        Assert.InRange(squares / n, 0.97, 1.03);
        Assert.InRange(gammaSum / n, 1.47, 1.53);
        Assert.InRange(gammaSmall / n, 0.48, 0.52);
    }
}
