using System.ComponentModel.DataAnnotations;

namespace Serverless.WeChat;

/// <summary>
/// How the content security media check is called: its scene and the app's share of WeChat's quota (section
/// <c>Review</c>, where the content review's settings have always been; the review's own are ReviewOptions).
/// </summary>
public sealed class MediaCheckOptions
{
    public const string SectionName = "Review";

    /// <summary>WeChat's scene of the check: 1 profile, 2 comment, 3 forum, 4 social log (users' posts). Default 4.</summary>
    [Range(1, 4)]
    public int Scene { get; set; } = 4;

    /// <summary>Check calls per minute across every instance (WeChat allows 2,000 per app). Default 1800.</summary>
    [Range(1, 2000)]
    public int CallsPerMinute { get; set; } = 1800;

    /// <summary>Check calls per day across every instance (WeChat allows 200,000 per app). Default 190000.</summary>
    [Range(1, 200000)]
    public int CallsPerDay { get; set; } = 190000;
}
