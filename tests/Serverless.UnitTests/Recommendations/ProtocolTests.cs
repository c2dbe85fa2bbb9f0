using Serverless.Recommendations.Algorithms;
using Serverless.Recommendations.Evaluation;
using Serverless.Recommendations.Training;

namespace Serverless.UnitTests.Recommendations;

/// <summary>The evaluation command's protocols run on the very splits and metrics code the retraining timer uses.</summary>
public sealed class ProtocolTests
{
    [Fact]
    public void Rank_IsTheTimersEvaluatorOnTheStratifiedSplit()
    {
        var m = SvdPlusPlusTests.RandomRatings(users: 30, items: 25, density: 0.4, seed: 8);
        var algorithm = new ItemKnnAlgorithm(new KnnOptions(SimilarityKind.Cosine, 10, 10, 0, Implicit: true));

        var (train, test) = Protocols.RankingSplit(m, 42);
        var result = Protocols.Rank(algorithm, train, test, 42, default);

        var (expectedTrain, expectedTest) = Splits.StratifiedPerUser(m, 0.75, 42);
        Assert.Equal(expectedTrain.Cols, train.Cols);
        Assert.Equal(expectedTest.Cols, test.Cols);
        Assert.Equal(Evaluator.Ranking(algorithm.Fit(train, default), train, test, 0, 42, default), result.Metrics);
    }

    [Fact]
    public void CrossValidate_IsTheEvaluatorsRatingErrorOverTheFolds()
    {
        var m = SvdPlusPlusTests.RandomRatings(users: 30, items: 25, density: 0.4, seed: 8);
        var algorithm = new PopularityAlgorithm();

        var result = Protocols.CrossValidate(m, algorithm, 3, 5, default);

        var fold = Splits.KFold(m.Count, 3, 5);
        double rmse = 0, mae = 0;
        for (var f = 0; f < 3; f++)
        {
            var (train, test) = Splits.ByFold(m, fold, f);
            var metrics = Evaluator.Rating(algorithm.Fit(train, default), test);
            rmse += metrics.Rmse / 3;
            mae += metrics.Mae / 3;
        }

        Assert.Equal(rmse, result.Rmse, 12);
        Assert.Equal(mae, result.Mae, 12);
    }

    [Fact]
    public void TimerCandidates_AreScoredByTheSameEvaluatorOnTheHashHoldout()
    {
        var m = SvdPlusPlusTests.RandomRatings(users: 30, items: 25, density: 0.4, seed: 8);
        var data = new RatingDataset([.. Enumerable.Range(0, m.UserCount).Select(u => "u" + u)], [.. Enumerable.Range(0, m.ItemCount).Select(i => "v" + i)], m);
        var o = new TrainingOptions { Algorithms = "popularity,item-knn,ease", MaxEvaluationUsers = 1000 };

        var outcome = TrainingCore.Run(data, o, default);

        var (train, test) = TrainingCore.HashHoldout(data, o.HoldoutFraction, o.Seed);
        foreach (var algorithm in TrainingCore.Lineup(o))
        {
            var expected = Evaluator.Ranking(algorithm.Fit(train, default), train, test, o.MaxEvaluationUsers, o.Seed, default);
            Assert.Equal(expected, outcome.Candidates.Single(c => c.Algorithm == algorithm.Name).Metrics);
        }
    }

    [Fact]
    public void TimerLineup_KnowsEveryAlgorithmAModelBlobCanHold()
    {
        var names = new[]
        {
            AlgorithmNames.Popularity, AlgorithmNames.UserKnn, AlgorithmNames.ItemKnn, AlgorithmNames.BiasedMf, AlgorithmNames.ImplicitAls,
            AlgorithmNames.Ease, AlgorithmNames.UserKnnBaseline, AlgorithmNames.ItemKnnBaseline, AlgorithmNames.SvdPlusPlus,
            AlgorithmNames.BayesianSvdPlusPlus, AlgorithmNames.Blend,
        };

        var lineup = TrainingCore.Lineup(new TrainingOptions { Algorithms = string.Join(',', names) });

        Assert.Equal(names, lineup.Select(a => a.Name));
    }
}
