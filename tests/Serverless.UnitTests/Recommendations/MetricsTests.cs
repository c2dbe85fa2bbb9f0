using Serverless.Recommendations.Evaluation;
using Serverless.Recommendations.Training;

namespace Serverless.UnitTests.Recommendations;

public sealed class MetricsTests
{
    [Fact]
    public void UserMetrics_HandCheckedList_MatchesDefinitions()
    {
        // Ranked 5, 1, 9, 3; relevant {1, 3, 7}: hits at ranks 2 and 4.
        var (p, r, ndcg, map, r20) = Evaluator.UserMetrics([5, 1, 9, 3], [1, 3, 7], 10);

        Assert.Equal(0.2, p, 10);
        Assert.Equal(2.0 / 3, r, 10);
        var dcg = (1 / Math.Log2(3)) + (1 / Math.Log2(5));
        var idcg = 1 + (1 / Math.Log2(3)) + (1 / Math.Log2(4));
        Assert.Equal(dcg / idcg, ndcg, 10);
        Assert.Equal(((1.0 / 2) + (2.0 / 4)) / 3, map, 10);
        Assert.Equal(2.0 / 3, r20, 10);
    }

    [Fact]
    public void Rating_KnownErrors_GivesRmseAndMae()
    {
        var test = AlgorithmTests.Matrix(1, 2, (0, 0, 5), (0, 1, 1));
        var model = new Serverless.Recommendations.Algorithms.PopularityAlgorithm().Fit(AlgorithmTests.Matrix(1, 2), default);

        var metrics = Evaluator.Rating(model, test);

        // The empty model predicts 0 everywhere.
        Assert.Equal(Math.Sqrt((25 + 1) / 2.0), metrics.Rmse, 5);
        Assert.Equal(3, metrics.Mae, 5);
    }

    [Fact]
    public void StratifiedPerUser_SplitsEachUserSeventyFiveTwentyFive()
    {
        var triples = Enumerable.Range(0, 3).SelectMany(u => Enumerable.Range(0, 8).Select(i => (u, i, 1f))).ToArray();
        var m = AlgorithmTests.Matrix(3, 8, triples);

        var (train, test) = Splits.StratifiedPerUser(m, 0.75, 1);

        for (var u = 0; u < 3; u++)
        {
            Assert.Equal(6, train.UserDegree(u));
            Assert.Equal(2, test.UserDegree(u));
            Assert.Empty(train.ItemsOf(u).ToArray().Intersect(test.ItemsOf(u).ToArray()));
        }
    }

    [Fact]
    public void HashHoldout_SameIds_SameSplitEveryRun()
    {
        var m = AlgorithmTests.Matrix(2, 50, [.. Enumerable.Range(0, 50).Select(i => (i % 2, i, 1f))]);
        var data = new RatingDataset(["alice", "bob"], [.. Enumerable.Range(0, 50).Select(i => "v" + i)], m);

        var (trainA, testA) = TrainingCore.HashHoldout(data, 0.2, 42);
        var (trainB, _) = TrainingCore.HashHoldout(data, 0.2, 42);

        Assert.Equal(trainA.Cols, trainB.Cols);
        Assert.InRange(testA.Count, 3, 20);
    }

    [Fact]
    public void RatingsFile_FourLayouts_ParseAlike()
    {
        foreach (var text in new[] { "1\t10\t4\t881250949\n2\t10\t3\t1\n", "userId,movieId,rating,timestamp\n1,10,4,881250949\n2,10,3,1\n", "1::10::4::881250949\n2::10::3::1\n", "1 10  4 881250949\n2 10 3 1\n" })
        {
            var data = RatingsFile.Read(new StringReader(text));

            Assert.Equal(2, data.UserIds.Length);
            Assert.Single(data.ItemIds);
            Assert.Equal(3.5f, data.Matrix.GlobalMean);
        }
    }
}
