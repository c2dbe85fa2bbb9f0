using System.ComponentModel.DataAnnotations;

namespace Serverless.Recommendations.Events;

/// <summary>Events API limits (section <c>RecommenderEvents</c>).</summary>
public sealed class EventsOptions
{
    public const string SectionName = "RecommenderEvents";

    /// <summary>Most events in one <c>POST /api/events</c> (default 100).</summary>
    [Range(1, 500)]
    public int MaxBatchSize { get; set; } = 100;

    /// <summary>How far in the future an <c>occurredAt</c> may be (client clock skew), in minutes (default 10).</summary>
    [Range(0, 1440)]
    public int MaxClockSkewMinutes { get; set; } = 10;

    /// <summary>How old an <c>occurredAt</c> may be, in days (default 7): older events are rejected.</summary>
    [Range(1, 365)]
    public int MaxEventAgeDays { get; set; } = 7;
}
