namespace Serverless.Recommendations.Algorithms;

/// <summary>
/// The baseline. Ranking: items by total (time-decayed) preference, the same list for everyone. Rating prediction:
/// the damped baseline estimate μ + b_u + b_i (biases shrunk towards zero by <see cref="PopularityOptions.ItemDamping"/>
/// and <see cref="PopularityOptions.UserDamping"/>), the usual "baseline only" predictor.
/// </summary>
internal sealed class PopularityAlgorithm(PopularityOptions? options = null) : IRecommenderAlgorithm
{
    private readonly PopularityOptions _options = options ?? new PopularityOptions();

    public string Name => AlgorithmNames.Popularity;

    public bool PredictsRatings => true;

    public IRecommenderModel Fit(RatingMatrix train, CancellationToken cancellationToken)
    {
        var mu = train.GlobalMean;
        var itemBias = new float[train.ItemCount];
        var userBias = new float[train.UserCount];
        var popularity = new float[train.ItemCount];
        for (var i = 0; i < train.ItemCount; i++)
        {
            double sum = 0;
            foreach (var v in train.ItemValuesOf(i))
            {
                sum += v;
            }

            popularity[i] = (float)sum;
        }

        // Two passes of alternating damped means, as baseline predictors are usually estimated.
        for (var pass = 0; pass < 2; pass++)
        {
            for (var i = 0; i < train.ItemCount; i++)
            {
                double sum = 0;
                var users = train.UsersOf(i);
                var values = train.ItemValuesOf(i);
                for (var k = 0; k < users.Length; k++)
                {
                    sum += values[k] - mu - userBias[users[k]];
                }

                itemBias[i] = (float)(sum / (users.Length + _options.ItemDamping));
            }

            for (var u = 0; u < train.UserCount; u++)
            {
                double sum = 0;
                var items = train.ItemsOf(u);
                var values = train.ValuesOf(u);
                for (var k = 0; k < items.Length; k++)
                {
                    sum += values[k] - mu - itemBias[items[k]];
                }

                userBias[u] = (float)(sum / (items.Length + _options.UserDamping));
            }
        }

        return new PopularityModel(mu, userBias, itemBias, popularity);
    }
}

internal sealed record PopularityOptions(double ItemDamping = 25, double UserDamping = 10);

internal sealed class PopularityModel(float globalMean, float[] userBias, float[] itemBias, float[] popularity) : IRecommenderModel
{
    public string Algorithm => AlgorithmNames.Popularity;

    public int UserCount => userBias.Length;

    public int ItemCount => itemBias.Length;

    public float[] Popularity => popularity;

    public float Predict(int user, int item)
    {
        var bu = (uint)user < (uint)userBias.Length ? userBias[user] : 0f;
        var bi = (uint)item < (uint)itemBias.Length ? itemBias[item] : 0f;
        return ModelGuards.Finite(globalMean + bu + bi, globalMean);
    }

    public void Score(int user, Span<float> scores) => popularity.AsSpan().CopyTo(scores);

    public void Write(BinaryWriter writer)
    {
        writer.Write(globalMean);
        ModelIo.WriteArray(writer, userBias);
        ModelIo.WriteArray(writer, itemBias);
        ModelIo.WriteArray(writer, popularity);
    }

    public static PopularityModel Read(BinaryReader reader) =>
        new(reader.ReadSingle(), ModelIo.ReadFloats(reader), ModelIo.ReadFloats(reader), ModelIo.ReadFloats(reader));
}
