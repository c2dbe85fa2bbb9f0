using System.ComponentModel.DataAnnotations;

namespace Serverless.Recommendations.Training;

/// <summary>Retraining settings (section <c>RecommenderTraining</c>). The schedule itself is <c>Recommendations__RetrainSchedule</c>.</summary>
public sealed class TrainingOptions
{
    public const string SectionName = "RecommenderTraining";

    /// <summary>Days of events each run trains on (default 30).</summary>
    [Range(1, 365)]
    public int WindowDays { get; set; } = 30;

    /// <summary>Share of (user, video) pairs held out for evaluation, chosen by a stable hash so every run and the current model see the same holdout (default 0.2).</summary>
    [Range(0.05, 0.5)]
    public double HoldoutFraction { get; set; } = 0.2;

    /// <summary>At most this many holdout users are ranked per model (a seeded sample; default 3000).</summary>
    [Range(10, 10_000_000)]
    public int MaxEvaluationUsers { get; set; } = 3000;

    /// <summary>
    /// Comma-separated algorithms to train: popularity, user-knn, item-knn, implicit-als, ease (ranking on implicit feedback);
    /// biased-mf, svdpp, bayesian-svdpp, user-knn-baseline, item-knn-baseline, blend (rating predictors, for explicit ratings).
    /// </summary>
    [Required]
    public string Algorithms { get; set; } = "popularity,user-knn,item-knn,implicit-als";

    /// <summary>The holdout metric that picks the model and gates publishing: ndcg@10, map@10, precision@10, recall@10 or recall@20.</summary>
    [Required]
    [RegularExpression("^(ndcg@10|map@10|precision@10|recall@10|recall@20)$")]
    public string SelectionMetric { get; set; } = "ndcg@10";

    public int Seed { get; set; } = 42;

    /// <summary>k of the neighbourhood methods (default 50).</summary>
    [Range(1, 1000)]
    public int Neighbours { get; set; } = 50;

    /// <summary>Similarity shrinkage λ (default 10).</summary>
    [Range(0, 10_000)]
    public double Shrinkage { get; set; } = 10;

    /// <summary>Raters of one video visited when finding a user's neighbours (default 100; bounds very popular videos).</summary>
    [Range(10, 1_000_000)]
    public int MaxCoRatersPerItem { get; set; } = 100;

    [Range(2, 512)]
    public int AlsFactors { get; set; } = 32;

    [Range(1, 100)]
    public int AlsIterations { get; set; } = 10;

    /// <summary>ALS's λ (default 1; with α 10 the best of a small grid on the bench's synthetic events, 3 % better NDCG@10 than λ 0.1, α 2).</summary>
    [Range(0.0001, 10_000)]
    public double AlsRegularization { get; set; } = 1;

    /// <summary>Confidence per unit of preference, c = 1 + α·preference (default 10).</summary>
    [Range(0.01, 10_000)]
    public double AlsAlpha { get; set; } = 10;

    /// <summary>EASE's L2 penalty λ on the item-item weights (default 200).</summary>
    [Range(0.001, 1_000_000)]
    public double EaseLambda { get; set; } = 200;

    /// <summary>
    /// EASE models at most this many videos, the most interacted-with (default 2500: a dense 2500² solve, ≈ 1.5 s,
    /// 100 MB while fitting and 25 MB in the blob); the others get no EASE score. At most 5000 (≈ 400 MB while fitting).
    /// </summary>
    [Range(10, 5000)]
    public int EaseMaxItems { get; set; } = 2500;

    /// <summary>Similar videos kept per video for <c>/api/videos/{id}/similar</c> (default 20).</summary>
    [Range(1, 200)]
    public int SimilarVideos { get; set; } = 20;
}
