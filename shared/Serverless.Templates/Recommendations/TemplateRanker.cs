using System.Text.Json.Serialization;
using Serverless.Templates.Protocol;
using Serverless.Templates.Timeline;

namespace Serverless.Templates.Recommendations;

/// <summary>What the client asks for: templates for <paramref name="ImageCount"/> images in a category, optionally matching tags.</summary>
public sealed record RecommendationRequest(int ImageCount, string? Category, IReadOnlyList<string> Tags, int Count);

/// <summary>An online template the ranker may pick.</summary>
public sealed record TemplateCandidate(MotionTemplate Template, DateTimeOffset FirstPublishedAt);

/// <summary>One recommended template with its score and the parts it was made of.</summary>
public sealed record RankedTemplate(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("version")] long Version,
    [property: JsonPropertyName("family")] string Family,
    [property: JsonPropertyName("score")] double Score,
    [property: JsonPropertyName("match")] double Match,
    [property: JsonPropertyName("performance")] double Performance,
    [property: JsonPropertyName("freshness")] double Freshness,
    [property: JsonPropertyName("fatigue")] double Fatigue);

/// <summary>
/// Ranks templates for one user. Pure: the clock and the counts come in.
/// <para>Candidates: online templates that show <c>imageCount</c> images and, when a category is given, have it as
/// their category or a tag.</para>
/// <para>Score = (0.5·match + 0.35·performance + 0.15·freshness) · fatigue, where match is the share of requested
/// tags the template carries (1 when none are requested); performance is the smoothed use rate in the exposure
/// window, (uses + 2) / (impressions + 20), capped at 1 (a template with no history scores the prior 0.1);
/// freshness is 0.5^(days since first publish / half-life); fatigue is 1 below
/// <c>FatigueDemoteAfter</c> impressions to this user in the fatigue window and <c>FatigueDemotion</c>^(k − demoteAfter + 1)
/// at k impressions; at <c>FatigueExcludeAfter</c> the template is excluded.</para>
/// <para>Exposure cap: once the window holds <c>ExposureMinImpressions</c> impressions, a template whose share of
/// them reached its cap (<c>exposureCap</c>, else <c>DefaultExposureCap</c>) is excluded.</para>
/// <para>Scatter (打散): results are taken best first, skipping any whose family equals the previous result's; when
/// only the previous family remains, the list ends short rather than repeat a family.</para>
/// </summary>
public static class TemplateRanker
{
    public const double MatchWeight = 0.5;
    public const double PerformanceWeight = 0.35;
    public const double FreshnessWeight = 0.15;
    public const double PriorUses = 2;
    public const double PriorImpressions = 20;

    public static IReadOnlyList<RankedTemplate> Rank(
        IEnumerable<TemplateCandidate> candidates,
        RecommendationRequest request,
        IReadOnlyDictionary<string, int> userImpressions,
        TemplateActivityStats stats,
        DateTimeOffset now,
        TemplateRecommendationOptions options)
    {
        var scored = new List<RankedTemplate>();
        var capsApply = stats.TotalImpressions >= options.ExposureMinImpressions && stats.TotalImpressions > 0;
        foreach (var candidate in candidates)
        {
            var template = candidate.Template;
            if (!TimelineExpander.Supports(template, request.ImageCount) || !InCategory(template, request.Category))
            {
                continue;
            }

            var seen = userImpressions.GetValueOrDefault(template.Id);
            if (seen >= options.FatigueExcludeAfter)
            {
                continue;
            }

            var impressions = stats.Impressions.GetValueOrDefault(template.Id);
            if (capsApply && (double)impressions / stats.TotalImpressions >= (template.ExposureCap ?? options.DefaultExposureCap))
            {
                continue;
            }

            var match = Match(template, request.Tags);
            var performance = Math.Min(1, (stats.Uses.GetValueOrDefault(template.Id) + PriorUses) / (impressions + PriorImpressions));
            var ageDays = Math.Max(0, (now - candidate.FirstPublishedAt).TotalDays);
            var freshness = Math.Pow(0.5, ageDays / options.FreshnessHalfLifeDays);
            var fatigue = seen >= options.FatigueDemoteAfter ? Math.Pow(options.FatigueDemotion, seen - options.FatigueDemoteAfter + 1) : 1;
            var score = ((MatchWeight * match) + (PerformanceWeight * performance) + (FreshnessWeight * freshness)) * fatigue;
            scored.Add(new RankedTemplate(template.Id, template.Version, template.EffectiveFamily, score, match, performance, freshness, fatigue));
        }

        scored.Sort((a, b) => b.Score != a.Score ? b.Score.CompareTo(a.Score) : string.CompareOrdinal(a.Id, b.Id));
        return Scatter(scored, request.Count);
    }

    /// <summary>Best first, never two of one family in a row.</summary>
    public static IReadOnlyList<RankedTemplate> Scatter(IReadOnlyList<RankedTemplate> ranked, int count)
    {
        var pool = new List<RankedTemplate>(ranked);
        var result = new List<RankedTemplate>(Math.Min(count, pool.Count));
        string? lastFamily = null;
        while (result.Count < count)
        {
            var index = pool.FindIndex(t => !string.Equals(t.Family, lastFamily, StringComparison.Ordinal));
            if (index < 0)
            {
                break;
            }

            result.Add(pool[index]);
            lastFamily = pool[index].Family;
            pool.RemoveAt(index);
        }

        return result;
    }

    private static bool InCategory(MotionTemplate template, string? category) =>
        string.IsNullOrEmpty(category)
        || string.Equals(template.Category, category, StringComparison.OrdinalIgnoreCase)
        || template.Tags.Contains(category, StringComparer.OrdinalIgnoreCase);

    private static double Match(MotionTemplate template, IReadOnlyList<string> tags)
    {
        if (tags.Count == 0)
        {
            return 1;
        }

        var matched = tags.Count(t => template.Tags.Contains(t, StringComparer.OrdinalIgnoreCase)
            || string.Equals(template.Category, t, StringComparison.OrdinalIgnoreCase));
        return (double)matched / tags.Count;
    }
}
