using Serverless.Recommendations.Algorithms;

namespace Serverless.UnitTests.Recommendations;

public sealed class BlendAndTuningTests
{
    [Fact]
    public void Blend_MemberAnAffineMapOfTheTruth_GetsTheInverseMapAsWeights()
    {
        // The member predicts 2r − 1 for every rating it is asked about, so r = 0.5 + 0.5·r̂ exactly; a second, useless
        // member predicts an unrelated pattern. Ridge (tiny) on the held-out part must find w₀ = 0.5, w₁ = 0.5, w₂ = 0.
        var m = SvdPlusPlusTests.RandomRatings(users: 40, items: 30, density: 0.5, seed: 2);
        var truth = m;
        var blend = new BlendAlgorithm(
            [new Fake(m.UserCount, m.ItemCount, (u, i) => (2 * truth.Get(u, i) ?? 0) - 1), new Fake(m.UserCount, m.ItemCount, (u, i) => 1 + (((7 * u) + (13 * i)) % 5))],
            new BlendOptions(HoldoutFolds: 5, Ridge: 1e-9));

        var model = (BlendModel)blend.Fit(m, default);

        Assert.Equal(0.5, model.Weights[0], 4);
        Assert.Equal(0.5, model.Weights[1], 4);
        Assert.Equal(0, model.Weights[2], 4);
        Assert.Equal(m.Get(3, m.ItemsOf(3)[0])!.Value, model.Predict(3, m.ItemsOf(3)[0]), 4);
    }

    [Fact]
    public void Blend_FitsMembersOnTheTrainingPartOnly_ThenRefitsOnAllOfIt()
    {
        var m = SvdPlusPlusTests.RandomRatings(users: 40, items: 30, density: 0.5, seed: 2);
        var member = new Fake(m.UserCount, m.ItemCount, (_, _) => 3);

        new BlendAlgorithm([member], new BlendOptions(HoldoutFolds: 10)).Fit(m, default);

        Assert.Equal(2, member.FittedOn.Count);
        Assert.InRange(member.FittedOn[0].Count, (int)(0.85 * m.Count), (int)(0.95 * m.Count)); // 1/10 held out
        Assert.Same(m, member.FittedOn[1]);
    }

    [Fact]
    public void Tuned_PicksTheCandidateThatRanksTheValidationPartBest_AndRefitsItOnEverything()
    {
        var m = AlgorithmTests.Blocks(out _, out _);
        var good = new ItemKnnAlgorithm(new KnnOptions(SimilarityKind.Cosine, 10, 10, 0, Implicit: true));
        var bad = new Fake(m.UserCount, m.ItemCount, (_, i) => -i); // ranks by index: unrelated to the blocks
        var tuned = new TunedAlgorithm([("bad", bad), ("good", good)]);

        var model = tuned.Fit(m, default);

        Assert.Equal("good", tuned.LastChoice!.Value.Label);
        Assert.Equal(2, tuned.LastChoice.Value.Scores.Count);
        Assert.Equal(AlgorithmNames.ItemKnn, model.Algorithm);
        Assert.True(Assert.Single(bad.FittedOn).Count < m.Count); // the losing candidate only ever saw the inner part
    }

    /// <summary>A test double: predicts with a function, remembers what it was fitted on.</summary>
    private sealed class Fake(int users, int items, Func<int, int, float> predict) : IRecommenderAlgorithm
    {
        public List<RatingMatrix> FittedOn { get; } = [];

        public string Name => "fake";

        public bool PredictsRatings => true;

        public IRecommenderModel Fit(RatingMatrix train, CancellationToken cancellationToken)
        {
            FittedOn.Add(train);
            return new Model(users, items, predict);
        }

        private sealed class Model(int users, int items, Func<int, int, float> predict) : IRecommenderModel
        {
            public string Algorithm => "fake";

            public int UserCount => users;

            public int ItemCount => items;

            public float Predict(int user, int item) => predict(user, item);

            public void Score(int user, Span<float> scores)
            {
                for (var i = 0; i < scores.Length; i++)
                {
                    scores[i] = predict(user, i);
                }
            }

            public void Write(BinaryWriter writer) => throw new NotSupportedException();
        }
    }
}
