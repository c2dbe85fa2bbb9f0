using Serverless.Recommendations.Catalog;
using Serverless.Recommendations.Feedback;

namespace Serverless.Recommendations.Ranking;

/// <summary>
/// The window's video events as compact columns, in time order: what the ranker's features and labels are computed
/// from. Users and videos are indexed densely; every catalog video has an index even without events (fresh uploads).
/// </summary>
internal sealed class VideoEventLog
{
    public required string[] UserIds { get; init; }

    public required string[] ItemIds { get; init; }

    public required int[] Users { get; init; }

    public required int[] Items { get; init; }

    public required EventType[] Types { get; init; }

    public required long[] Ticks { get; init; }

    /// <summary>Watch fraction of progress events (1 for complete), else 0.</summary>
    public required float[] Fractions { get; init; }

    /// <summary>Per item: its author's index in <see cref="AuthorIds"/>, or -1 when the catalog does not know it.</summary>
    public required int[] AuthorOf { get; init; }

    public required string[] AuthorIds { get; init; }

    /// <summary>Per item: upload time (UTC ticks) from the catalog, or <see cref="long.MaxValue"/> when unknown (not Ready).</summary>
    public required long[] CreatedTicks { get; init; }

    public int Count => Ticks.Length;

    /// <summary>The position of the first event at or after <paramref name="ticks"/>: events [0, result) happened before it.</summary>
    public int CountBefore(long ticks)
    {
        int lo = 0, hi = Ticks.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (Ticks[mid] < ticks)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }

    /// <summary>Whether an event counts as a completed watch: a complete event or progress past <see cref="RankingLabels.CompletionFraction"/>.</summary>
    public bool IsCompletion(int k) => Types[k] == EventType.Complete || (Types[k] == EventType.Progress && Fractions[k] >= RankingLabels.CompletionFraction);
}

/// <summary>Collects events in any order, then sorts them by time (stable) into an <see cref="VideoEventLog"/>.</summary>
internal sealed class VideoEventLogBuilder
{
    private readonly Dictionary<string, int> _users = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _items = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _authors = new(StringComparer.Ordinal);
    private readonly List<string> _userIds = [];
    private readonly List<string> _itemIds = [];
    private readonly List<string> _authorIds = [];
    private readonly List<int> _authorOf = [];
    private readonly List<long> _created = [];
    private readonly List<double> _durations = [];
    private readonly List<int> _u = [];
    private readonly List<int> _i = [];
    private readonly List<EventType> _type = [];
    private readonly List<long> _ticks = [];
    private readonly List<float> _fraction = [];
    private readonly double _defaultDuration;

    public VideoEventLogBuilder(IEnumerable<CatalogVideo> catalog, double defaultDurationSeconds)
    {
        _defaultDuration = defaultDurationSeconds;
        foreach (var video in catalog)
        {
            var item = Item(video.VideoId);
            if (!_authors.TryGetValue(video.OwnerId, out var author))
            {
                author = _authorIds.Count;
                _authors[video.OwnerId] = author;
                _authorIds.Add(video.OwnerId);
            }

            _authorOf[item] = author;
            _created[item] = video.CreatedAt.UtcTicks;
            _durations[item] = video.DurationSeconds > 0 ? video.DurationSeconds : defaultDurationSeconds;
        }
    }

    public void Add(string userId, string videoId, EventType type, double? watchedSeconds, DateTimeOffset occurredAt)
    {
        if (EventTypes.IsTemplateEvent(type))
        {
            return;
        }

        ref var user = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_users, userId, out var known);
        if (!known)
        {
            user = _userIds.Count;
            _userIds.Add(userId);
        }

        var item = Item(videoId);
        _u.Add(user);
        _i.Add(item);
        _type.Add(type);
        _ticks.Add(occurredAt.UtcTicks);
        _fraction.Add(type switch
        {
            EventType.Complete => 1f,
            EventType.Progress => (float)Math.Clamp((watchedSeconds ?? 0) / _durations[item], 0, 1),
            _ => 0f,
        });
    }

    public VideoEventLog Build()
    {
        var order = new int[_ticks.Count];
        for (var k = 0; k < order.Length; k++)
        {
            order[k] = k;
        }

        // Deterministic for a given input (equal times keep an arbitrary but reproducible order).
        var ticks = _ticks.ToArray();
        Array.Sort(ticks, order);
        return new VideoEventLog
        {
            UserIds = [.. _userIds],
            ItemIds = [.. _itemIds],
            AuthorIds = [.. _authorIds],
            AuthorOf = [.. _authorOf],
            CreatedTicks = [.. _created],
            Users = [.. order.Select(k => _u[k])],
            Items = [.. order.Select(k => _i[k])],
            Types = [.. order.Select(k => _type[k])],
            Ticks = ticks,
            Fractions = [.. order.Select(k => _fraction[k])],
        };
    }

    private int Item(string videoId)
    {
        ref var item = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_items, videoId, out var known);
        if (!known)
        {
            item = _itemIds.Count;
            _itemIds.Add(videoId);
            _authorOf.Add(-1);
            _created.Add(long.MaxValue);
            _durations.Add(_defaultDuration);
        }

        return item;
    }
}

/// <summary>
/// Graded labels from what a user did with what they were shown: shown only 0 &lt; played 1 &lt; completed 2 &lt;
/// liked or shared 3 (the latest of like/unlike wins). The grade of a (user, video) pair over a period is the best it reached.
/// </summary>
internal static class RankingLabels
{
    public const float CompletionFraction = 0.9f;

    public const byte Shown = 0;
    public const byte Played = 1;
    public const byte Completed = 2;
    public const byte Engaged = 3;

    public static long Key(int user, int item) => ((long)user << 32) | (uint)item;

    /// <summary>A dictionary keyed by (user, item) pairs that hashes well (see <see cref="PairKeyComparer"/>).</summary>
    public static Dictionary<long, T> PairDictionary<T>() => new(PairKeyComparer.Instance);

    /// <summary>Grades of every pair with an event in [<paramref name="from"/>, <paramref name="to"/>).</summary>
    public static Dictionary<long, byte> Grades(VideoEventLog log, long from, long to)
    {
        var grades = PairDictionary<byte>();
        var liked = PairDictionary<bool>();
        for (var k = log.CountBefore(from); k < log.Count && log.Ticks[k] < to; k++)
        {
            var key = Key(log.Users[k], log.Items[k]);
            byte grade = log.Types[k] switch
            {
                EventType.Share => Engaged,
                EventType.Complete => Completed,
                EventType.Progress => log.IsCompletion(k) ? Completed : Played,
                EventType.Play => Played,
                _ => Shown,
            };
            if (log.Types[k] is EventType.Like or EventType.Unlike)
            {
                liked[key] = log.Types[k] == EventType.Like;
            }

            ref var g = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(grades, key, out _);
            g = Math.Max(g, grade);
        }

        foreach (var (key, like) in liked)
        {
            if (like)
            {
                grades[key] = Engaged;
            }
        }

        return grades;
    }
}

/// <summary>
/// Hashes a (user, item) pair key with a multiplicative mix. <see cref="long.GetHashCode"/> folds the halves with XOR, so
/// user ^ item collides for most pairs of dense indices and dictionary lookups degrade into long chains.
/// </summary>
internal sealed class PairKeyComparer : IEqualityComparer<long>
{
    public static readonly PairKeyComparer Instance = new();

    public bool Equals(long x, long y) => x == y;

    public int GetHashCode(long obj) => (int)((ulong)(obj * -7046029254386353131L) >> 32);
}
