using System.ComponentModel.DataAnnotations;

namespace Serverless.Templates;

/// <summary>Template library settings (section <c>Templates</c>).</summary>
public sealed class TemplatesOptions
{
    public const string SectionName = "Templates";

    /// <summary>How often each instance checks the library version for publishes made elsewhere. Default 5 s.</summary>
    [Range(1, 300)]
    public int RefreshSeconds { get; set; } = 5;
}

/// <summary>Template recommendation settings (section <c>TemplateRecommendations</c>); the score is documented on <see cref="Recommendations.TemplateRanker"/>.</summary>
public sealed class TemplateRecommendationOptions
{
    public const string SectionName = "TemplateRecommendations";

    /// <summary>Window over which a user's impressions of a template count towards fatigue. Default 24 h.</summary>
    [Range(1, 24 * 30)]
    public int FatigueWindowHours { get; set; } = 24;

    /// <summary>From this many impressions in the window a template is demoted for the user. Default 2.</summary>
    [Range(1, 1000)]
    public int FatigueDemoteAfter { get; set; } = 2;

    /// <summary>From this many impressions in the window a template is no longer recommended to the user. Default 5.</summary>
    [Range(1, 1000)]
    public int FatigueExcludeAfter { get; set; } = 5;

    /// <summary>Score multiplier per impression at or past <see cref="FatigueDemoteAfter"/>. Default 0.5.</summary>
    [Range(0.0, 1.0)]
    public double FatigueDemotion { get; set; } = 0.5;

    /// <summary>Window over which a template's share of all impressions is measured. Default 24 h.</summary>
    [Range(1, 24 * 30)]
    public int ExposureWindowHours { get; set; } = 24;

    /// <summary>Largest share of all impressions in the window a template may take (templates may set their own <c>exposureCap</c>). Default 0.2.</summary>
    [Range(0.001, 1.0)]
    public double DefaultExposureCap { get; set; } = 0.2;

    /// <summary>Exposure caps apply once the window holds this many impressions (a young library is not capped). Default 100.</summary>
    [Range(1, 1_000_000)]
    public int ExposureMinImpressions { get; set; } = 100;

    /// <summary>Half-life of the freshness bonus, days since first publish. Default 14.</summary>
    [Range(0.1, 3650)]
    public double FreshnessHalfLifeDays { get; set; } = 14;

    /// <summary>How long library-wide impression and use counts are reused before they are read again. Default 30 s.</summary>
    [Range(0, 3600)]
    public int StatsCacheSeconds { get; set; } = 30;

    /// <summary>Record every served recommendation as a <c>template_impression</c>. Off by default: the client reports the
    /// templates it actually shows through the events API, and counting both would count twice.</summary>
    public bool RecordServedAsImpressions { get; set; }
}
