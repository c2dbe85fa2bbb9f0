using Serverless.Recommendations.Events;
using Serverless.Recommendations.Feedback;

namespace Serverless.Recommendations.Serving;

/// <summary>A recommendable video with its score and why it is there (<c>cf</c>, <c>similar</c>, <c>popular</c>, <c>fresh</c>).</summary>
internal readonly record struct Candidate(string VideoId, string OwnerId, double Score, string Reason);

/// <summary>The rules that turn ranked streams into pages; pure, so they are tested without storage.</summary>
internal static class FeedComposer
{
    /// <summary>
    /// Interleaves the streams (slot n is a fresh slot when ⌊(n+1)·share⌋ &gt; ⌊n·share⌋; otherwise primary, then fill),
    /// drops repeats, then cuts pages of <paramref name="count"/> holding at most <paramref name="maxPerAuthor"/> videos
    /// per author: a video over its author's cap moves to the next page. Returns page <paramref name="page"/> and whether
    /// more may follow.
    /// </summary>
    public static (List<Candidate> Items, bool More) Page(
        IEnumerable<Candidate> primary, IEnumerable<Candidate> fresh, IEnumerable<Candidate> fill, double freshShare, int maxPerAuthor, int page, int count)
    {
        using var merged = Merge(primary, fresh, fill, freshShare).GetEnumerator();
        var deferred = new List<Candidate>();
        var exhausted = false;
        for (var p = 0; ; p++)
        {
            var items = new List<Candidate>(count);
            var perAuthor = new Dictionary<string, int>(StringComparer.Ordinal);
            var next = new List<Candidate>();
            foreach (var c in deferred)
            {
                if (items.Count < count && Fits(perAuthor, c, maxPerAuthor))
                {
                    items.Add(c);
                }
                else
                {
                    next.Add(c);
                }
            }

            while (items.Count < count && !exhausted)
            {
                if (!merged.MoveNext())
                {
                    exhausted = true;
                    break;
                }

                var c = merged.Current;
                if (Fits(perAuthor, c, maxPerAuthor))
                {
                    items.Add(c);
                }
                else
                {
                    next.Add(c);
                }
            }

            deferred = next;
            if (p == page)
            {
                return (items, !exhausted || deferred.Count > 0);
            }

            if (exhausted && deferred.Count == 0)
            {
                return ([], false);
            }
        }
    }

    /// <summary>The videos not to recommend from recent history: completed ones, and ones shown often lately without a play.</summary>
    public static HashSet<string> Exclusions(IReadOnlyList<StoredEvent> history, CatalogState catalog, ServingOptions o, DateTimeOffset now)
    {
        var excluded = new HashSet<string>(StringComparer.Ordinal);
        var impressions = new Dictionary<string, int>(StringComparer.Ordinal);
        var played = new HashSet<string>(StringComparer.Ordinal);
        var since = now.AddHours(-o.FatigueWindowHours);
        foreach (var e in history)
        {
            if (e.VideoId is not { } id)
            {
                continue;
            }

            switch (e.Type)
            {
                case EventType.Complete:
                    excluded.Add(id);
                    break;
                case EventType.Progress when e.WatchedSeconds is { } watched && catalog.ById.TryGetValue(id, out var video)
                    && video.DurationSeconds > 0 && watched >= o.CompletionFraction * video.DurationSeconds:
                    excluded.Add(id);
                    break;
                case EventType.Impression when e.OccurredAt >= since:
                    impressions[id] = impressions.GetValueOrDefault(id) + 1;
                    break;
                case EventType.Play or EventType.Progress when e.OccurredAt >= since:
                    played.Add(id);
                    break;
            }
        }

        foreach (var (id, shown) in impressions)
        {
            if (shown >= o.FatigueImpressions && !played.Contains(id))
            {
                excluded.Add(id);
            }
        }

        return excluded;
    }

    /// <summary>Fresh uploads, newest first, scored by recency (1 / (1 + age in hours)).</summary>
    public static IEnumerable<Candidate> Fresh(CatalogState catalog, DateTimeOffset now, int windowHours)
    {
        var since = now.AddHours(-windowHours);
        foreach (var v in catalog.NewestFirst)
        {
            if (v.CreatedAt < since)
            {
                yield break;
            }

            yield return new Candidate(v.VideoId, v.OwnerId, 1.0 / (1.0 + Math.Max(0, (now - v.CreatedAt).TotalHours)), "fresh");
        }
    }

    private static bool Fits(Dictionary<string, int> perAuthor, Candidate c, int max)
    {
        var n = perAuthor.GetValueOrDefault(c.OwnerId);
        if (n >= max)
        {
            return false;
        }

        perAuthor[c.OwnerId] = n + 1;
        return true;
    }

    private static IEnumerable<Candidate> Merge(IEnumerable<Candidate> primary, IEnumerable<Candidate> fresh, IEnumerable<Candidate> fill, double share)
    {
        var emitted = new HashSet<string>(StringComparer.Ordinal);
        using var p = primary.GetEnumerator();
        using var f = fresh.GetEnumerator();
        using var r = fill.GetEnumerator();
        bool pDone = false, fDone = false, rDone = false;
        for (long slot = 0; ; slot++)
        {
            var freshSlot = Math.Floor((slot + 1) * share) > Math.Floor(slot * share);
            Candidate? next = null;
            if (freshSlot)
            {
                next = Take(f, ref fDone, emitted);
            }

            next ??= Take(p, ref pDone, emitted) ?? Take(r, ref rDone, emitted) ?? Take(f, ref fDone, emitted);
            if (next is null)
            {
                yield break;
            }

            yield return next.Value;
        }
    }

    private static Candidate? Take(IEnumerator<Candidate> source, ref bool done, HashSet<string> emitted)
    {
        while (!done)
        {
            if (!source.MoveNext())
            {
                done = true;
                break;
            }

            if (emitted.Add(source.Current.VideoId))
            {
                return source.Current;
            }
        }

        return null;
    }
}
