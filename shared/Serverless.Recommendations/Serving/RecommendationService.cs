using System.Buffers;
using System.Buffers.Text;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.Options;
using Serverless.Recommendations.Algorithms;
using Serverless.Recommendations.Catalog;
using Serverless.Recommendations.Ranking;

namespace Serverless.Recommendations.Serving;

public sealed record RecommendedItem(string VideoId, double Score, string Reason);

public sealed record RecommendationsResponse(string? ModelVersion, IReadOnlyList<RecommendedItem> Items, string? Cursor);

public sealed record SimilarVideosResponse(string? ModelVersion, string VideoId, IReadOnlyList<RecommendedItem> Items);

/// <summary>Personalised feeds and similar videos from the model currently served.</summary>
public interface IRecommendationService
{
    /// <summary>One page of the user's feed. Throws <see cref="FormatException"/> for a cursor this service did not issue.</summary>
    Task<RecommendationsResponse> RecommendAsync(string userId, int count, string? cursor, CancellationToken cancellationToken);

    /// <summary>Videos like <paramref name="videoId"/>, or null when no such video exists.</summary>
    Task<SimilarVideosResponse?> SimilarAsync(string videoId, int count, CancellationToken cancellationToken);
}

internal sealed class RecommendationService(
    ModelHolder holder,
    CatalogCache catalogs,
    IUserHistorySource histories,
    VideoDirectoryAccessor directory,
    IOptions<ServingOptions> options,
    TimeProvider time) : IRecommendationService
{
    private volatile ServingView? _view;

    public async Task<RecommendationsResponse> RecommendAsync(string userId, int count, string? cursor, CancellationToken cancellationToken)
    {
        var o = options.Value;
        var page = cursor is null ? 0 : ParseCursor(cursor);
        var snapshot = holder.Current;
        var catalog = await catalogs.GetAsync(cancellationToken).ConfigureAwait(false);
        var history = await histories.RecentAsync(userId, cancellationToken).ConfigureAwait(false);
        var now = time.GetUtcNow();
        var excluded = FeedComposer.Exclusions(history, catalog, o, now);
        var view = View(snapshot, catalog);
        var user = snapshot is not null && snapshot.UserIndex.TryGetValue(userId, out var u) && snapshot.Train.UserDegree(u) > 0 ? u : -1;
        var seen = user >= 0 ? snapshot!.Train.ItemsOf(user).ToArray() : [];
        bool Allowed(string id) => !excluded.Contains(id);

        var fresh = FeedComposer.Fresh(catalog, now, o.FreshWindowHours).Where(c => Allowed(c.VideoId) && !Seen(snapshot, seen, c.VideoId));
        var popular = Popular(snapshot, view, catalog, seen, now, o).Where(c => Allowed(c.VideoId));
        var primary = user >= 0
            ? Primary(snapshot!, view!, user, (page + 1) * count * 2 + 50).Where(c => Allowed(c.VideoId))
            : popular;
        var (items, more) = FeedComposer.Page(primary, fresh, popular, o.FreshShare, o.MaxPerAuthor, page, count);
        return new RecommendationsResponse(
            snapshot?.Version,
            [.. items.Select(c => new RecommendedItem(c.VideoId, Math.Round(c.Score, 6), c.Reason))],
            more ? MakeCursor(page + 1, snapshot?.Version) : null);
    }

    public async Task<SimilarVideosResponse?> SimilarAsync(string videoId, int count, CancellationToken cancellationToken)
    {
        var catalog = await catalogs.GetAsync(cancellationToken).ConfigureAwait(false);
        if (!catalog.ById.ContainsKey(videoId) && !await directory.Directory.ExistsAsync(videoId, cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        var snapshot = holder.Current;
        var view = View(snapshot, catalog);
        var items = new List<RecommendedItem>(count);
        var taken = new HashSet<string>(StringComparer.Ordinal) { videoId };
        if (snapshot is not null && snapshot.ItemIndex.TryGetValue(videoId, out var item))
        {
            var neighbours = snapshot.Similar.Of(item);
            var weights = snapshot.Similar.WeightsOf(item);
            for (var k = 0; k < neighbours.Length && items.Count < count; k++)
            {
                if (view!.Owner[neighbours[k]] is not null && taken.Add(snapshot.ItemIds[neighbours[k]]))
                {
                    items.Add(new RecommendedItem(snapshot.ItemIds[neighbours[k]], Math.Round(weights[k], 6), "similar"));
                }
            }
        }

        foreach (var c in Popular(snapshot, view, catalog, [], time.GetUtcNow(), options.Value))
        {
            if (items.Count >= count)
            {
                break;
            }

            if (taken.Add(c.VideoId))
            {
                items.Add(new RecommendedItem(c.VideoId, Math.Round(c.Score, 6), c.Reason));
            }
        }

        return new SimilarVideosResponse(snapshot?.Version, videoId, items);
    }

    internal static string MakeCursor(int page, string? version) =>
        Base64Url.EncodeToString(Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{page}.{version}")));

    internal static int ParseCursor(string cursor)
    {
        try
        {
            var text = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(cursor));
            var dot = text.IndexOf('.', StringComparison.Ordinal);
            if (dot > 0 && int.TryParse(text.AsSpan(0, dot), NumberStyles.None, CultureInfo.InvariantCulture, out var page) && page is > 0 and <= 1000)
            {
                return page;
            }
        }
        catch (FormatException)
        {
        }

        throw new FormatException("The cursor is not one this API issued.");
    }

    private static bool Seen(RecommenderSnapshot? snapshot, int[] seen, string videoId) =>
        seen.Length > 0 && snapshot!.ItemIndex.TryGetValue(videoId, out var i) && Array.BinarySearch(seen, i) >= 0;

    /// <summary>
    /// The user's ranked list when the ranker published one (Ready videos only), then the CF order; the CF order alone
    /// when there is no ranker or no list for the user. The CF scores are computed only if a page reaches past the list.
    /// </summary>
    private static IEnumerable<Candidate> Primary(RecommenderSnapshot snapshot, ServingView view, int user, int take)
    {
        if (snapshot.Ranked is { } ranked && view.RankedOwner is { } owners)
        {
            var end = ranked.UserPtr[user + 1];
            for (var k = ranked.UserPtr[user]; k < end; k++)
            {
                var item = ranked.Items[k];
                if (owners[item] is { } owner)
                {
                    yield return new Candidate(ranked.ItemIds[item], owner, ranked.Scores[k], Reason((CandidateSource)ranked.Sources[k]));
                }
            }
        }

        foreach (var c in Personal(snapshot, view, user, take))
        {
            yield return c;
        }
    }

    private static string Reason(CandidateSource source) => source switch
    {
        CandidateSource.Fresh => "fresh",
        CandidateSource.Popular => "popular",
        _ => "cf",
    };

    /// <summary>The model's top items for the user: Ready, not already seen.</summary>
    private static IEnumerable<Candidate> Personal(RecommenderSnapshot snapshot, ServingView view, int user, int take)
    {
        var n = snapshot.ItemIds.Length;
        var scores = ArrayPool<float>.Shared.Rent(n);
        var top = ArrayPool<int>.Shared.Rent(Math.Min(take, n));
        int found;
        try
        {
            var span = scores.AsSpan(0, n);
            snapshot.Model.Score(user, span);
            for (var i = 0; i < n; i++)
            {
                if (view.Owner[i] is null)
                {
                    span[i] = float.NegativeInfinity;
                }
            }

            foreach (var i in snapshot.Train.ItemsOf(user))
            {
                span[i] = float.NegativeInfinity;
            }

            found = TopK.Select(span, Math.Min(take, n), top);
            var result = new Candidate[found];
            for (var k = 0; k < found; k++)
            {
                result[k] = new Candidate(snapshot.ItemIds[top[k]], view.Owner[top[k]]!, span[top[k]], "cf");
            }

            return result;
        }
        finally
        {
            ArrayPool<float>.Shared.Return(scores);
            ArrayPool<int>.Shared.Return(top);
        }
    }

    /// <summary>Ready videos by popularity in the model; then Ready videos the model does not know, newest first.</summary>
    private static IEnumerable<Candidate> Popular(RecommenderSnapshot? snapshot, ServingView? view, CatalogState catalog, int[] seen, DateTimeOffset now, ServingOptions o)
    {
        if (snapshot is not null)
        {
            foreach (var i in snapshot.PopularOrder)
            {
                if (view!.Owner[i] is { } owner && (seen.Length == 0 || Array.BinarySearch(seen, i) < 0))
                {
                    yield return new Candidate(snapshot.ItemIds[i], owner, snapshot.Popularity[i], "popular");
                }
            }
        }

        var freshSince = now.AddHours(-o.FreshWindowHours);
        foreach (var v in catalog.NewestFirst)
        {
            if (snapshot is null || !snapshot.ItemIndex.ContainsKey(v.VideoId))
            {
                yield return v.CreatedAt >= freshSince
                    ? new Candidate(v.VideoId, v.OwnerId, 1.0 / (1.0 + Math.Max(0, (now - v.CreatedAt).TotalHours)), "fresh")
                    : new Candidate(v.VideoId, v.OwnerId, 0, "popular");
            }
        }
    }

    private ServingView? View(RecommenderSnapshot? snapshot, CatalogState catalog)
    {
        if (snapshot is null)
        {
            return null;
        }

        var view = _view;
        if (view is not null && ReferenceEquals(view.Snapshot, snapshot) && ReferenceEquals(view.Catalog, catalog))
        {
            return view;
        }

        var owners = new string?[snapshot.ItemIds.Length];
        for (var i = 0; i < owners.Length; i++)
        {
            owners[i] = catalog.ById.TryGetValue(snapshot.ItemIds[i], out var v) ? v.OwnerId : null;
        }

        string?[]? rankedOwners = null;
        if (snapshot.Ranked is { } ranked)
        {
            rankedOwners = new string?[ranked.ItemIds.Length];
            for (var i = 0; i < rankedOwners.Length; i++)
            {
                rankedOwners[i] = catalog.ById.TryGetValue(ranked.ItemIds[i], out var v) ? v.OwnerId : null;
            }
        }

        _view = view = new ServingView(snapshot, catalog, owners, rankedOwners);
        return view;
    }

    /// <summary>Per model item (and per ranked-list item): its author when Ready, else null.</summary>
    private sealed record ServingView(RecommenderSnapshot Snapshot, CatalogState Catalog, string?[] Owner, string?[]? RankedOwner);
}
