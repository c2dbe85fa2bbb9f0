using System.Globalization;
using Serverless.Recommendations.Catalog;
using Serverless.Recommendations.Feedback;

namespace Serverless.Recommendations.Evaluation;

/// <summary>One event derived from a rating, in the events API's vocabulary.</summary>
internal sealed record MappedEvent(string User, string Item, EventType Type, double? WatchedSeconds, DateTimeOffset At);

/// <summary>A ratings file as the ranker pipeline sees it: a catalog (one entry per item) and the events, in file order.</summary>
internal sealed record MappedRatings(IReadOnlyList<CatalogVideo> Catalog, IReadOnlyList<MappedEvent> Events, DateTimeOffset From, DateTimeOffset To);

/// <summary>
/// Maps explicit, timestamped ratings (MovieLens layout) to the short-video events the ranker understands. It is a
/// mapping, not observed behaviour: a rating says the user watched the item and how much they liked it, so
/// <list type="bullet">
/// <item>every rating is an <c>impression</c> and a <c>play</c> at its timestamp (nothing is "shown but not played");</item>
/// <item>a rating ≥ <see cref="CompletionRating"/> is also a <c>complete</c> (a full watch) at that time;</item>
/// <item>a rating ≥ <see cref="LikeRating"/> is also a <c>like</c> at that time;</item>
/// <item>each item's "upload" time is its first rating's time (it is no candidate before), every item has the same
/// duration and its own author (<c>item:{id}</c>), so author affinity and the per-author cap carry no signal.</item>
/// </list>
/// </summary>
internal static class RatingsAsEvents
{
    public const float CompletionRating = 4;
    public const float LikeRating = 5;

    /// <summary>The mapping in one line, for the command's output.</summary>
    public static readonly string Description = string.Create(
        CultureInfo.InvariantCulture,
        $"every rating = impression + play at its timestamp; rating ≥ {CompletionRating} also complete; rating ≥ {LikeRating} also like; item upload = its first rating; one author per item; constant duration");

    public static MappedRatings Map(IReadOnlyList<TimedRating> ratings, double durationSeconds)
    {
        if (ratings.Count == 0)
        {
            throw new ArgumentException("The ratings file holds no rating.", nameof(ratings));
        }

        var firstRating = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        var order = new List<string>();
        var events = new List<MappedEvent>(ratings.Count * 3);
        DateTimeOffset from = DateTimeOffset.MaxValue, to = DateTimeOffset.MinValue;
        foreach (var r in ratings)
        {
            if (firstRating.TryGetValue(r.Item, out var first))
            {
                if (r.At < first)
                {
                    firstRating[r.Item] = r.At;
                }
            }
            else
            {
                firstRating[r.Item] = r.At;
                order.Add(r.Item);
            }

            from = r.At < from ? r.At : from;
            to = r.At > to ? r.At : to;
            events.Add(new MappedEvent(r.User, r.Item, EventType.Impression, null, r.At));
            events.Add(new MappedEvent(r.User, r.Item, EventType.Play, null, r.At));
            if (r.Rating >= CompletionRating)
            {
                events.Add(new MappedEvent(r.User, r.Item, EventType.Complete, durationSeconds, r.At));
            }

            if (r.Rating >= LikeRating)
            {
                events.Add(new MappedEvent(r.User, r.Item, EventType.Like, null, r.At));
            }
        }

        var catalog = order.Select(item => new CatalogVideo(item, "item:" + item, firstRating[item], durationSeconds)).ToArray();
        return new MappedRatings(catalog, events, from, to);
    }
}
