using System.Buffers;

namespace Serverless.Recommendations.Algorithms;

/// <summary>Blend settings.</summary>
/// <param name="HoldoutFolds">1/HoldoutFolds of the training ratings (a seeded random sample) is held out to fit the blend weights.</param>
/// <param name="Ridge">λ of the ridge regression on the members' predictions (the intercept is not penalised).</param>
internal sealed record BlendOptions(int HoldoutFolds = 10, double Ridge = 1.0, int Seed = 42);

/// <summary>
/// A linear blend of rating predictors, fitted the way the Netflix Prize teams blended ("probe blending"): hold out a
/// random part of the training ratings, fit every member on the rest, fit r ≈ w₀ + Σ_m w_m·r̂_m by ridge regression on the
/// held-out part, then refit every member on all the training ratings and combine them with those weights. Nothing
/// outside <c>train</c> is looked at: the weights never see the evaluation's test fold.
/// </summary>
internal sealed class BlendAlgorithm(IReadOnlyList<IRecommenderAlgorithm> members, BlendOptions? options = null) : IRecommenderAlgorithm
{
    private readonly BlendOptions _o = options ?? new BlendOptions();

    public string Name => AlgorithmNames.Blend;

    public bool PredictsRatings => true;

    public IReadOnlyList<IRecommenderAlgorithm> Members => members;

    public IRecommenderModel Fit(RatingMatrix train, CancellationToken cancellationToken)
    {
        if (members.Count == 0)
        {
            throw new InvalidOperationException("A blend needs at least one member.");
        }

        var weights = FitWeights(train, cancellationToken);
        var models = new IRecommenderModel[members.Count];
        for (var k = 0; k < members.Count; k++)
        {
            models[k] = members[k].Fit(train, cancellationToken);
        }

        var min = train.Count == 0 ? 0 : train.Values.Min();
        var max = train.Count == 0 ? 0 : train.Values.Max();
        return new BlendModel(models, weights, min, max);
    }

    /// <summary>[w₀, w₁ … w_M] from the held-out part; the plain average when too little is held out to fit them.</summary>
    private double[] FitWeights(RatingMatrix train, CancellationToken cancellationToken)
    {
        var m = members.Count;
        var fallback = new double[m + 1];
        for (var k = 1; k <= m; k++)
        {
            fallback[k] = 1.0 / m;
        }

        var fold = Evaluation.Splits.KFold(train.Count, Math.Max(2, _o.HoldoutFolds), _o.Seed);
        var inner = new bool[train.Count];
        var held = 0;
        for (var k = 0; k < inner.Length; k++)
        {
            inner[k] = fold[k] != 0;
            held += inner[k] ? 0 : 1;
        }

        if (held < 10 * (m + 1))
        {
            return fallback;
        }

        var innerTrain = train.Where(inner);
        var predictions = new double[m][];
        for (var k = 0; k < m; k++)
        {
            var model = members[k].Fit(innerTrain, cancellationToken);
            var column = new double[held];
            var row = 0;
            for (var u = 0; u < train.UserCount; u++)
            {
                for (var p = train.RowPtr[u]; p < train.RowPtr[u + 1]; p++)
                {
                    if (!inner[p])
                    {
                        column[row++] = model.Predict(u, train.Cols[p]);
                    }
                }
            }

            predictions[k] = column;
        }

        var targets = new double[held];
        var t = 0;
        for (var p = 0; p < train.Count; p++)
        {
            if (!inner[p])
            {
                targets[t++] = train.Values[p];
            }
        }

        // Ridge normal equations over [1, r̂_1 … r̂_M]; the intercept is not penalised.
        var d = m + 1;
        var a = new double[d * d];
        var b = new double[d];
        var features = new double[d];
        features[0] = 1;
        for (var r = 0; r < held; r++)
        {
            for (var k = 0; k < m; k++)
            {
                features[k + 1] = predictions[k][r];
            }

            for (var i = 0; i < d; i++)
            {
                for (var j = 0; j <= i; j++)
                {
                    a[(i * d) + j] += features[i] * features[j];
                }

                b[i] += features[i] * targets[r];
            }
        }

        for (var i = 1; i < d; i++)
        {
            a[(i * d) + i] += _o.Ridge;
        }

        return DenseMath.SolveSpd(a, b, d) && b.All(double.IsFinite) ? b : fallback;
    }
}

/// <summary>w₀ + Σ_m w_m·r̂_m over the members' models, clamped to the training range.</summary>
internal sealed class BlendModel(IRecommenderModel[] models, double[] weights, float min, float max) : IRecommenderModel
{
    public string Algorithm => AlgorithmNames.Blend;

    public int UserCount => models[0].UserCount;

    public int ItemCount => models[0].ItemCount;

    public IReadOnlyList<IRecommenderModel> Members => models;

    /// <summary>[w₀, w₁ … w_M].</summary>
    public IReadOnlyList<double> Weights => weights;

    public float Predict(int user, int item)
    {
        var estimate = weights[0];
        for (var k = 0; k < models.Length; k++)
        {
            estimate += weights[k + 1] * models[k].Predict(user, item);
        }

        return Math.Clamp(ModelGuards.Finite(estimate, (min + max) / 2), min, max);
    }

    public void Score(int user, Span<float> scores)
    {
        scores.Fill((float)weights[0]);
        var buffer = ArrayPool<float>.Shared.Rent(scores.Length);
        try
        {
            var member = buffer.AsSpan(0, scores.Length);
            for (var k = 0; k < models.Length; k++)
            {
                models[k].Score(user, member);
                var w = (float)weights[k + 1];
                for (var i = 0; i < scores.Length; i++)
                {
                    scores[i] = ModelGuards.Finite(scores[i] + (w * member[i]), float.NegativeInfinity);
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(buffer);
        }
    }

    public void Write(BinaryWriter writer)
    {
        writer.Write(min);
        writer.Write(max);
        writer.Write(models.Length);
        foreach (var w in weights)
        {
            writer.Write(w);
        }

        foreach (var model in models)
        {
            writer.Write(model.Algorithm);
            model.Write(writer);
        }
    }

    public static BlendModel Read(BinaryReader reader, RatingMatrix train)
    {
        var min = reader.ReadSingle();
        var max = reader.ReadSingle();
        var count = reader.ReadInt32();
        if (count is < 1 or > 64)
        {
            throw new InvalidDataException("The blend holds an impossible number of members.");
        }

        var weights = new double[count + 1];
        for (var k = 0; k < weights.Length; k++)
        {
            weights[k] = reader.ReadDouble();
        }

        var models = new IRecommenderModel[count];
        for (var k = 0; k < count; k++)
        {
            var algorithm = reader.ReadString();
            if (algorithm == AlgorithmNames.Blend)
            {
                throw new InvalidDataException("A blend cannot hold a blend.");
            }

            models[k] = ModelReader.Read(algorithm, reader, train);
        }

        return new BlendModel(models, weights, min, max);
    }
}
