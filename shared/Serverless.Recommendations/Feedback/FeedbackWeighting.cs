using System.ComponentModel.DataAnnotations;
using Serverless.Recommendations.Algorithms;
using Serverless.Recommendations.Evaluation;
using Serverless.Recommendations.Ranking;

namespace Serverless.Recommendations.Feedback;

/// <summary>The kinds of event the events API accepts (wire names in <see cref="EventTypes"/>).</summary>
public enum EventType
{
    Impression,
    Play,
    Progress,
    Complete,
    Like,
    Unlike,
    Share,
    TemplateImpression,
    TemplateUse,
}

public static class EventTypes
{
    private static readonly Dictionary<string, EventType> ByName = new(StringComparer.Ordinal)
    {
        ["impression"] = EventType.Impression,
        ["play"] = EventType.Play,
        ["progress"] = EventType.Progress,
        ["complete"] = EventType.Complete,
        ["like"] = EventType.Like,
        ["unlike"] = EventType.Unlike,
        ["share"] = EventType.Share,
        ["template_impression"] = EventType.TemplateImpression,
        ["template_use"] = EventType.TemplateUse,
    };

    public static bool TryParse(string? name, out EventType type) => ByName.TryGetValue(name ?? string.Empty, out type);

    public static string Name(EventType type) => ByName.First(p => p.Value == type).Key;

    /// <summary>Template events carry a <c>templateId</c>; every other event a <c>videoId</c>.</summary>
    public static bool IsTemplateEvent(EventType type) => type is EventType.TemplateImpression or EventType.TemplateUse;
}

/// <summary>
/// How implicit feedback becomes a preference (section <c>RecommenderFeedback</c>). Per user and video:
/// preference = (played ? Play : impressed ? Impression : 0) + Completion · watch fraction + (liked ? Like : 0) + (shared ? Share : 0),
/// each term decayed by 0.5^(age / HalfLifeDays) from its latest event. The watch fraction is the largest
/// watchedSeconds / duration seen (a <c>complete</c> event counts as 1); the latest of like/unlike wins, so an unlike
/// cancels a like. With the defaults: an impression (0.1) &lt; a play (1) &lt; a full watch (3) &lt; a like or share (4+).
/// Pairs below <see cref="MinPreference"/> (impressions only) are not positives for training; they still count as seen.
/// </summary>
public sealed class FeedbackOptions
{
    public const string SectionName = "RecommenderFeedback";

    [Range(0, 100)]
    public double Impression { get; set; } = 0.1;

    [Range(0, 100)]
    public double Play { get; set; } = 1;

    /// <summary>Added in proportion to the fraction watched (1 for a complete watch).</summary>
    [Range(0, 100)]
    public double Completion { get; set; } = 2;

    [Range(0, 100)]
    public double Like { get; set; } = 4;

    [Range(0, 100)]
    public double Share { get; set; } = 4;

    /// <summary>Half-life of an event's weight, in days.</summary>
    [Range(0.01, 3650)]
    public double HalfLifeDays { get; set; } = 14;

    /// <summary>Preferences below this are not training positives.</summary>
    [Range(0, 100)]
    public double MinPreference { get; set; } = 0.5;

    /// <summary>Duration assumed for a video the catalog does not know, to turn watchedSeconds into a fraction.</summary>
    [Range(1, 86400)]
    public double DefaultDurationSeconds { get; set; } = 60;
}

/// <summary>Folds a stream of events into one preference per (user, video), then into a sparse matrix.</summary>
internal sealed class InteractionAggregator(FeedbackOptions options, Func<string, double?> durationOf)
{
    private readonly Dictionary<string, int> _users = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _items = new(StringComparer.Ordinal);
    private readonly List<string> _userIds = [];
    private readonly List<string> _itemIds = [];
    private readonly Dictionary<long, PairState> _pairs = new(PairKeyComparer.Instance); // long.GetHashCode folds user ^ item: heavy collisions
    private readonly Dictionary<int, double> _durations = [];

    public int EventCount { get; private set; }

    public int PairCount => _pairs.Count;

    public void Add(string userId, string videoId, EventType type, double? watchedSeconds, DateTimeOffset occurredAt)
    {
        if (EventTypes.IsTemplateEvent(type))
        {
            return;
        }

        var u = Index(_users, _userIds, userId);
        var i = Index(_items, _itemIds, videoId);
        var key = ((long)u << 32) | (uint)i;
        ref var s = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_pairs, key, out _);
        var t = occurredAt.UtcTicks;
        EventCount++;
        switch (type)
        {
            case EventType.Impression:
                s.Impressions++;
                s.LastImpression = Math.Max(s.LastImpression, t);
                break;
            case EventType.Play:
                s.LastPlay = Math.Max(s.LastPlay, t);
                break;
            case EventType.Progress:
            case EventType.Complete:
                var fraction = type == EventType.Complete ? 1.0 : Math.Clamp((watchedSeconds ?? 0) / Duration(i, videoId), 0, 1);
                s.LastPlay = Math.Max(s.LastPlay, t);
                if (fraction >= s.MaxFraction)
                {
                    s.MaxFraction = (float)fraction;
                    s.FractionAt = Math.Max(s.FractionAt, t);
                }

                break;
            case EventType.Like:
            case EventType.Unlike:
                if (t >= s.LikeAt)
                {
                    s.LikeAt = t;
                    s.Liked = type == EventType.Like;
                }

                break;
            case EventType.Share:
                s.ShareAt = Math.Max(s.ShareAt, t);
                break;
        }
    }

    /// <summary>The preference of one pair at <paramref name="now"/> (public for tests and documentation).</summary>
    public static double Preference(FeedbackOptions o, in PairState s, DateTimeOffset now)
    {
        var halfLife = TimeSpan.FromDays(o.HalfLifeDays).Ticks;
        double Decay(long t) => t == 0 ? 0 : Math.Pow(0.5, Math.Max(0, now.UtcTicks - t) / (double)halfLife);
        double pref = 0;
        if (s.LastPlay > 0)
        {
            pref += o.Play * Decay(s.LastPlay);
        }
        else if (s.Impressions > 0)
        {
            pref += o.Impression * Decay(s.LastImpression);
        }

        pref += o.Completion * s.MaxFraction * Decay(s.FractionAt);
        if (s.Liked)
        {
            pref += o.Like * Decay(s.LikeAt);
        }

        pref += o.Share * Decay(s.ShareAt);
        return double.IsFinite(pref) ? pref : 0;
    }

    /// <summary>Users and videos with at least one positive preference, as a matrix of preferences.</summary>
    public RatingDataset Build(DateTimeOffset now)
    {
        var us = new List<int>(_pairs.Count);
        var its = new List<int>(_pairs.Count);
        var vs = new List<float>(_pairs.Count);
        foreach (var (key, state) in _pairs)
        {
            var pref = Preference(options, state, now);
            if (pref >= options.MinPreference && pref > 0)
            {
                us.Add((int)(key >> 32));
                its.Add((int)(key & 0xffffffff));
                vs.Add((float)pref);
            }
        }

        // Compact to the users/items that kept a positive, in first-seen order (deterministic for a given scan).
        var userMap = Compact(us, _userIds.Count, out var userIds, _userIds);
        var itemMap = Compact(its, _itemIds.Count, out var itemIds, _itemIds);
        var u = us.Select(x => userMap[x]).ToArray();
        var i = its.Select(x => itemMap[x]).ToArray();
        return new RatingDataset(userIds, itemIds, RatingMatrix.FromTriples(userIds.Length, itemIds.Length, u, i, vs.ToArray()));
    }

    private static int[] Compact(List<int> used, int total, out string[] ids, List<string> allIds)
    {
        var present = new bool[total];
        foreach (var x in used)
        {
            present[x] = true;
        }

        var map = new int[total];
        var kept = new List<string>();
        for (var k = 0; k < total; k++)
        {
            map[k] = present[k] ? kept.Count : -1;
            if (present[k])
            {
                kept.Add(allIds[k]);
            }
        }

        ids = [.. kept];
        return map;
    }

    private double Duration(int item, string videoId)
    {
        if (!_durations.TryGetValue(item, out var d))
        {
            d = durationOf(videoId) is { } known && known > 0 ? known : options.DefaultDurationSeconds;
            _durations[item] = d;
        }

        return d;
    }

    private static int Index(Dictionary<string, int> map, List<string> ids, string id)
    {
        ref var index = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(map, id, out var exists);
        if (!exists)
        {
            index = ids.Count;
            ids.Add(id);
        }

        return index;
    }

    /// <summary>What the events said about one (user, video) pair.</summary>
    internal struct PairState
    {
        public int Impressions;
        public long LastImpression;
        public long LastPlay;
        public float MaxFraction;
        public long FractionAt;
        public long LikeAt;
        public bool Liked;
        public long ShareAt;
    }
}
