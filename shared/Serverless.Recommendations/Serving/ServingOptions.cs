using System.ComponentModel.DataAnnotations;

namespace Serverless.Recommendations.Serving;

/// <summary>Serving settings (section <c>RecommenderServing</c>).</summary>
public sealed class ServingOptions
{
    public const string SectionName = "RecommenderServing";

    /// <summary>How often each instance checks the <c>latest</c> pointer for a new model (seconds, default 10).</summary>
    [Range(1, 3600)]
    public int ReloadIntervalSeconds { get; set; } = 10;

    /// <summary>How long the list of Ready videos is cached (seconds, default 30).</summary>
    [Range(0, 3600)]
    public int CatalogCacheSeconds { get; set; } = 30;

    /// <summary>How long a user's recent history is cached (seconds, default 5).</summary>
    [Range(0, 600)]
    public int HistoryCacheSeconds { get; set; } = 5;

    /// <summary>Recent events read per user for the exclusion rules (default 200).</summary>
    [Range(10, 1000)]
    public int HistoryDepth { get; set; } = 200;

    [Range(1, 100)]
    public int DefaultPageSize { get; set; } = 20;

    [Range(1, 100)]
    public int MaxPageSize { get; set; } = 50;

    /// <summary>Share of each page given to fresh uploads (default 0.2: every fifth slot).</summary>
    [Range(0.0, 1.0)]
    public double FreshShare { get; set; } = 0.2;

    /// <summary>A video is fresh for this many hours after upload (default 48).</summary>
    [Range(1, 8760)]
    public int FreshWindowHours { get; set; } = 48;

    /// <summary>Most videos of one author in one page (default 2).</summary>
    [Range(1, 100)]
    public int MaxPerAuthor { get; set; } = 2;

    /// <summary>A video shown this many times in the fatigue window without being played is not recommended again (default 3).</summary>
    [Range(1, 100)]
    public int FatigueImpressions { get; set; } = 3;

    [Range(1, 720)]
    public int FatigueWindowHours { get; set; } = 24;

    /// <summary>Watched this share of a video counts as completed (default 0.9).</summary>
    [Range(0.1, 1.0)]
    public double CompletionFraction { get; set; } = 0.9;
}
