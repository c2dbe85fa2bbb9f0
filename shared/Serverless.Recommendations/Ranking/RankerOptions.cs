using System.ComponentModel.DataAnnotations;

namespace Serverless.Recommendations.Ranking;

/// <summary>
/// The learned second stage (section <c>RecommenderRanker</c>): a LightGBM LambdaRank model over the CF candidates,
/// trained and evaluated with a time split by the retraining timer, published with the CF model.
/// </summary>
public sealed class RankerOptions
{
    public const string SectionName = "RecommenderRanker";

    /// <summary>Train and publish a ranker (default true). Off: the feed is the CF order composed by the rules.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Comma-separated CF algorithms whose top lists are candidates and whose score and rank are features (default implicit-als,item-knn).</summary>
    [Required]
    public string CandidateModels { get; set; } = "implicit-als,item-knn";

    /// <summary>Candidates taken from each CF model's top list per user (default 100).</summary>
    [Range(10, 2000)]
    public int CandidatesPerModel { get; set; } = 100;

    /// <summary>Candidates from the recently most played videos (default 50).</summary>
    [Range(0, 1000)]
    public int PopularCandidates { get; set; } = 50;

    /// <summary>Candidates from the newest uploads of the last <see cref="FreshWindowHours"/> (default 50).</summary>
    [Range(0, 1000)]
    public int FreshCandidates { get; set; } = 50;

    [Range(1, 8760)]
    public int FreshWindowHours { get; set; } = 48;

    /// <summary>
    /// Hours of impressions whose outcome labels the ranker's training rows (default 24): the ranker learns from
    /// candidates generated at the start of this period, labelled by what the user then did with what they were shown.
    /// </summary>
    [Range(1, 720)]
    public int LabelHours { get; set; } = 24;

    /// <summary>The last hours of the window, held out to evaluate the ranker, the current one and the CF order (default 24).</summary>
    [Range(1, 720)]
    public int EvaluationHours { get; set; } = 24;

    /// <summary>Users sampled for the ranker's training rows (default 6000).</summary>
    [Range(10, 1_000_000)]
    public int MaxTrainingUsers { get; set; } = 6000;

    /// <summary>Candidates a user did not engage with kept per training group (a seeded sample; default 60).</summary>
    [Range(1, 2000)]
    public int NegativesPerUser { get; set; } = 60;

    /// <summary>Users sampled to evaluate on the last period (default 3000).</summary>
    [Range(10, 1_000_000)]
    public int MaxEvaluationUsers { get; set; } = 3000;

    /// <summary>Ranked videos precomputed per active user and stored in the model blob (default 50).</summary>
    [Range(10, 1000)]
    public int ListLength { get; set; } = 50;

    /// <summary>Users with an event in the last this many days get a precomputed ranked list (default 7).</summary>
    [Range(1, 365)]
    public int ActiveDays { get; set; } = 7;

    /// <summary>Boosting rounds (default 100).</summary>
    [Range(1, 5000)]
    public int Trees { get; set; } = 100;

    [Range(2, 1024)]
    public int Leaves { get; set; } = 15;

    [Range(1, 100_000)]
    public int MinExamplesPerLeaf { get; set; } = 50;

    [Range(0.001, 1)]
    public double LearningRate { get; set; } = 0.1;

    /// <summary>LightGBM threads (default 2; explicit, so it never takes every core of a busy instance).</summary>
    [Range(1, 64)]
    public int Threads { get; set; } = 2;
}
