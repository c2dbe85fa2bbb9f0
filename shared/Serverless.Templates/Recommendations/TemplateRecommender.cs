using System.Text.Json.Serialization;
using Microsoft.Extensions.Options;
using Serverless.Templates.Sync;

namespace Serverless.Templates.Recommendations;

/// <summary>Recommended templates at a library version (the client has them through the manifest).</summary>
public sealed record TemplateRecommendations(
    [property: JsonPropertyName("libraryVersion")] long LibraryVersion,
    [property: JsonPropertyName("items")] IReadOnlyList<RankedTemplate> Items);

public interface ITemplateRecommender
{
    Task<TemplateRecommendations> RecommendAsync(string userId, RecommendationRequest request, CancellationToken cancellationToken);
}

internal sealed class TemplateRecommender(
    IOnlineLibrary online,
    ITemplateActivitySource activity,
    TimeProvider time,
    IOptions<TemplateRecommendationOptions> options) : ITemplateRecommender
{
    public async Task<TemplateRecommendations> RecommendAsync(string userId, RecommendationRequest request, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var now = time.GetUtcNow();
        var snapshot = await online.GetAsync(cancellationToken).ConfigureAwait(false);
        var userTask = activity.GetUserImpressionsAsync(userId, now - TimeSpan.FromHours(settings.FatigueWindowHours), cancellationToken);
        var statsTask = activity.GetStatsAsync(now - TimeSpan.FromHours(settings.ExposureWindowHours), cancellationToken);
        await Task.WhenAll(userTask, statsTask).ConfigureAwait(false);
        var candidates = snapshot.Templates.Values.Select(t => new TemplateCandidate(t.Template, t.FirstPublishedAt));
        var ranked = TemplateRanker.Rank(candidates, request, await userTask.ConfigureAwait(false), await statsTask.ConfigureAwait(false), now, settings);
        if (settings.RecordServedAsImpressions)
        {
            await Task.WhenAll(ranked.Select(r => activity.RecordAsync(userId, r.Id, TemplateActivityKind.Impression, now, cancellationToken))).ConfigureAwait(false);
        }

        return new TemplateRecommendations(snapshot.Version, ranked);
    }
}
