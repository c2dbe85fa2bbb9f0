namespace Serverless.Recommendations.Algorithms;

/// <summary>A way of learning a model from a rating/preference matrix. Every algorithm is trained and evaluated the same way.</summary>
internal interface IRecommenderAlgorithm
{
    /// <summary>Stable name used in settings, reports and model blobs (e.g. <c>user-knn</c>).</summary>
    string Name { get; }

    /// <summary>Whether <see cref="IRecommenderModel.Predict"/> estimates an explicit rating (RMSE/MAE make sense).</summary>
    bool PredictsRatings { get; }

    IRecommenderModel Fit(RatingMatrix train, CancellationToken cancellationToken);
}

/// <summary>A trained model. Thread-safe for reads; never returns NaN or infinity.</summary>
internal interface IRecommenderModel
{
    string Algorithm { get; }

    int UserCount { get; }

    int ItemCount { get; }

    /// <summary>The estimated rating (or preference) of <paramref name="user"/> for <paramref name="item"/>.</summary>
    float Predict(int user, int item);

    /// <summary>Ranking scores of every item for <paramref name="user"/> (higher is better) into <paramref name="scores"/> (length <see cref="ItemCount"/>).</summary>
    void Score(int user, Span<float> scores);

    /// <summary>Writes the model's own parameters (the training matrix is written once by the snapshot).</summary>
    void Write(BinaryWriter writer);
}

/// <summary>Names of the algorithms, as used in the <c>RecommenderTraining__Algorithms</c> setting and in model blobs.</summary>
internal static class AlgorithmNames
{
    public const string Popularity = "popularity";
    public const string UserKnn = "user-knn";
    public const string ItemKnn = "item-knn";
    public const string UserKnnBaseline = "user-knn-baseline";
    public const string ItemKnnBaseline = "item-knn-baseline";
    public const string BiasedMf = "biased-mf";
    public const string ImplicitAls = "implicit-als";
    public const string Ease = "ease";
    public const string SvdPlusPlus = "svdpp";
    public const string BayesianSvdPlusPlus = "bayesian-svdpp";
    public const string Blend = "blend";
}

internal static class ModelGuards
{
    /// <summary>Replaces NaN/∞ with <paramref name="fallback"/>: no model ever hands one out.</summary>
    public static float Finite(float value, float fallback) => float.IsFinite(value) ? value : fallback;

    public static float Finite(double value, float fallback) => double.IsFinite(value) ? (float)value : fallback;
}
