using System.Runtime.InteropServices;
using Serverless.Recommendations.Feedback;

namespace Serverless.Recommendations.Ranking;

/// <summary>
/// The ranker's feature layout: per candidate model its score and rank for the user, then the features of the video,
/// of the user and of the pair, all as of one moment.
/// </summary>
internal static class RankingFeatures
{
    /// <summary>Rank given to a candidate outside a model's top list.</summary>
    public const float RankCap = 10_000;

    /// <summary>Score given when a model does not know the video (e.g. a fresh upload with no interaction yet).</summary>
    public const float MissingScore = -1_000;

    public static readonly string[] DynamicNames =
    [
        "video.recent-impressions", // impressions, decayed with a 24 h half-life
        "video.recent-plays",       // plays, decayed with a 24 h half-life
        "video.play-rate",          // plays / impressions, smoothed towards 0.3
        "video.completion-rate",    // completions / plays, smoothed towards 0.4
        "video.plays",              // plays in the window, log(1 + n)
        "video.age-hours",          // since upload
        "user-author.affinity",     // the user's plays, completions, likes and shares of this author's videos, 14-day half-life
        "pair.shown",               // times this video was shown to this user
        "pair.hours-since-shown",   // since it was last shown to this user
        "user.activity",            // the user's plays, decayed with a 3-day half-life
        "user.impressions",         // impressions the user got in the window, log(1 + n)
    ];

    public static int Count(int models) => (2 * models) + DynamicNames.Length;

    public static string[] Names(IReadOnlyList<string> models) =>
        [.. models.SelectMany(m => new[] { m + ".score", m + ".rank" }), .. DynamicNames];
}

/// <summary>
/// What the events said up to one moment, advanced in time order: a feature read at time t comes only from events
/// strictly before t (<see cref="AdvanceTo"/> never looks past its cut). Reads are thread-safe between advances.
/// </summary>
internal sealed class FeatureState
{
    private static readonly long RecentHalfLife = TimeSpan.TicksPerDay;
    private static readonly long AffinityHalfLife = 14 * TimeSpan.TicksPerDay;
    private static readonly long ActivityHalfLife = 3 * TimeSpan.TicksPerDay;

    private readonly VideoEventLog _log;
    private readonly Decayed[] _itemImpressions;
    private readonly Decayed[] _itemPlays;
    private readonly int[] _impressions;
    private readonly int[] _plays;
    private readonly int[] _completions;
    private readonly Decayed[] _userActivity;
    private readonly int[] _userImpressions;
    private readonly Dictionary<long, Decayed> _affinity = RankingLabels.PairDictionary<Decayed>();
    private readonly Dictionary<long, Shown> _shown = RankingLabels.PairDictionary<Shown>();
    private int _next;

    public FeatureState(VideoEventLog log)
    {
        _log = log;
        var items = log.ItemIds.Length;
        _itemImpressions = new Decayed[items];
        _itemPlays = new Decayed[items];
        _impressions = new int[items];
        _plays = new int[items];
        _completions = new int[items];
        _userActivity = new Decayed[log.UserIds.Length];
        _userImpressions = new int[log.UserIds.Length];
        AsOf = long.MinValue;
    }

    /// <summary>The moment the features describe (UTC ticks): every event before it has been applied, none at or after it.</summary>
    public long AsOf { get; private set; }

    /// <summary>Applies the events in [<see cref="AsOf"/>, <paramref name="cutoff"/>); cuts only move forward.</summary>
    public void AdvanceTo(long cutoff)
    {
        if (cutoff < AsOf)
        {
            throw new InvalidOperationException("Features only move forward in time.");
        }

        while (_next < _log.Count && _log.Ticks[_next] < cutoff)
        {
            Apply(_next++);
        }

        AsOf = cutoff;
    }

    /// <summary>Recent plays of a video as of <see cref="AsOf"/> (the popular candidates are the top of this).</summary>
    public float RecentPlays(int item) => _itemPlays[item].At(AsOf, RecentHalfLife);

    /// <summary>Whether the user had any event in the window before <see cref="AsOf"/>.</summary>
    public bool ActiveSince(int user, long since) => _userActivity[user].Stamp >= since;

    /// <summary>Writes the <see cref="RankingFeatures.DynamicNames"/> features of (user, item) as of <see cref="AsOf"/>.</summary>
    public void Write(int user, int item, Span<float> features)
    {
        var now = AsOf;
        var impressions = _impressions[item];
        var plays = _plays[item];
        features[0] = _itemImpressions[item].At(now, RecentHalfLife);
        features[1] = _itemPlays[item].At(now, RecentHalfLife);
        features[2] = (plays + (0.3f * 10)) / (impressions + 10f);
        features[3] = (_completions[item] + (0.4f * 5)) / (plays + 5f);
        features[4] = MathF.Log(1 + plays);
        var created = _log.CreatedTicks[item];
        features[5] = created == long.MaxValue ? 10_000 : (float)Math.Clamp((now - created) / (double)TimeSpan.TicksPerHour, 0, 10_000);
        var author = _log.AuthorOf[item];
        features[6] = author >= 0 && _affinity.TryGetValue(RankingLabels.Key(user, author), out var affinity) ? affinity.At(now, AffinityHalfLife) : 0;
        if (_shown.TryGetValue(RankingLabels.Key(user, item), out var shown))
        {
            features[7] = shown.Count;
            features[8] = (float)Math.Min(10_000, (now - shown.Last) / (double)TimeSpan.TicksPerHour);
        }
        else
        {
            features[7] = 0;
            features[8] = 10_000;
        }

        features[9] = _userActivity[user].At(now, ActivityHalfLife);
        features[10] = MathF.Log(1 + _userImpressions[user]);
    }

    private void Apply(int k)
    {
        var user = _log.Users[k];
        var item = _log.Items[k];
        var t = _log.Ticks[k];
        switch (_log.Types[k])
        {
            case EventType.Impression:
                _itemImpressions[item].Add(t, RecentHalfLife, 1);
                _impressions[item]++;
                _userImpressions[user]++;
                ref var shown = ref CollectionsMarshal.GetValueRefOrAddDefault(_shown, RankingLabels.Key(user, item), out _);
                shown.Count++;
                shown.Last = t;
                _userActivity[user].Add(t, ActivityHalfLife, 0);
                return;
            case EventType.Play:
                _itemPlays[item].Add(t, RecentHalfLife, 1);
                _plays[item]++;
                _userActivity[user].Add(t, ActivityHalfLife, 1);
                Affinity(user, item, t, 1);
                break;
            case EventType.Like or EventType.Share:
                Affinity(user, item, t, 2);
                break;
        }

        if (_log.IsCompletion(k))
        {
            _completions[item]++;
            Affinity(user, item, t, 1);
        }

    }

    private void Affinity(int user, int item, long t, float weight)
    {
        var author = _log.AuthorOf[item];
        if (author >= 0)
        {
            CollectionsMarshal.GetValueRefOrAddDefault(_affinity, RankingLabels.Key(user, author), out _).Add(t, AffinityHalfLife, weight);
        }
    }

    /// <summary>An exponentially decayed count: value at its stamp, halved every half-life after it.</summary>
    private struct Decayed
    {
        public float Value;
        public long Stamp;

        public readonly float At(long now, long halfLife) =>
            Value == 0 ? 0 : Value * (float)Math.Pow(0.5, Math.Max(0, now - Stamp) / (double)halfLife);

        public void Add(long t, long halfLife, float weight)
        {
            Value = At(t, halfLife) + weight;
            Stamp = Math.Max(Stamp, t);
        }
    }

    private struct Shown
    {
        public int Count;
        public long Last;
    }
}
