using Serverless.Recommendations.Evaluation;

namespace Serverless.UnitTests.Recommendations;

/// <summary>The ranking evaluator's result does not depend on how its users were spread over threads.</summary>
public sealed class EvaluatorDeterminismTests
{
    [Fact]
    public void Ranking_UsersFinishingInAnyOrder_SameResultToTheLastBit()
    {
        var m = SvdPlusPlusTests.RandomRatings(users: 300, items: 60, density: 0.3, seed: 11);
        var (train, test) = Splits.StratifiedPerUser(m, 0.75, 42);
        var jitter = new ThreadLocal<Random>(() => new Random(Environment.CurrentManagedThreadId));

        // Scores depend only on (user, item); each call waits a random moment so the thread each user lands on changes
        // from run to run, as it does on a loaded machine.
        void Score(int user, float[] scores)
        {
            Thread.SpinWait(jitter.Value!.Next(0, 20_000));
            for (var i = 0; i < scores.Length; i++)
            {
                scores[i] = (float)(((user * 7919) + (i * 104729)) % 1009) / 1009f;
            }
        }

        var results = Enumerable.Range(0, 8).Select(_ => Evaluator.Ranking(Score, train, test, 0, 42, default)).ToList();

        Assert.All(results, r => Assert.Equal(results[0], r));
    }
}
