using Serverless.Recommendations.Algorithms;
using Serverless.Recommendations.Evaluation;

namespace Serverless.Recommendations.Ranking;

/// <summary>CF models fitted on the events before one cut, in the index space of their data set.</summary>
internal sealed record CutModels(RatingDataset Data, IReadOnlyList<IRecommenderModel> Models);

/// <summary>
/// Candidates for one user at one cut, with their features: the top <see cref="RankerOptions.CandidatesPerModel"/> of
/// each CF model, the most played videos of the last day and the newest uploads; never a video the user already has a
/// positive interaction with, never one that is not Ready or not yet uploaded at the cut. Everything comes from the CF
/// models fitted before the cut and from the <see cref="FeatureState"/> at the cut.
/// </summary>
internal sealed class CandidateGenerator
{
    private readonly VideoEventLog _log;
    private readonly FeatureState _state;
    private readonly CutModels _cut;
    private readonly RankerOptions _o;
    private readonly int[] _userToData;
    private readonly int[] _itemToData;
    private readonly int[] _dataToItem;
    private readonly int[] _popular;
    private readonly int[] _fresh;

    public CandidateGenerator(VideoEventLog log, FeatureState state, CutModels cut, RankerOptions o)
    {
        _log = log;
        _state = state;
        _cut = cut;
        _o = o;
        var userIndex = Index(cut.Data.UserIds);
        var itemIndex = Index(cut.Data.ItemIds);
        _userToData = [.. log.UserIds.Select(id => userIndex.TryGetValue(id, out var k) ? k : -1)];
        _itemToData = [.. log.ItemIds.Select(id => itemIndex.TryGetValue(id, out var k) ? k : -1)];
        var logItems = Index(log.ItemIds);
        _dataToItem = [.. cut.Data.ItemIds.Select(id => logItems.TryGetValue(id, out var k) ? k : -1)];
        FeatureCount = RankingFeatures.Count(cut.Models.Count);

        var cutoff = state.AsOf;
        var ready = Enumerable.Range(0, log.ItemIds.Length).Where(i => log.CreatedTicks[i] <= cutoff).ToArray();
        _popular = [.. ready.Where(i => state.RecentPlays(i) > 0).OrderByDescending(state.RecentPlays).ThenBy(i => i).Take(o.PopularCandidates + 100)];
        var freshSince = cutoff - TimeSpan.FromHours(o.FreshWindowHours).Ticks;
        _fresh = [.. ready.Where(i => log.CreatedTicks[i] >= freshSince).OrderByDescending(i => log.CreatedTicks[i]).ThenBy(i => i).Take(o.FreshCandidates + 100)];
    }

    public int FeatureCount { get; }

    public RatingDataset Data => _cut.Data;

    public FeatureState Features => _state;

    public long Cutoff => _state.AsOf;

    /// <summary>The user's index in the cut's CF data set, or -1 (no positive interaction before the cut).</summary>
    public int DataUser(int logUser) => _userToData[logUser];

    /// <summary>The log item of a CF data set item.</summary>
    public int LogItem(int dataItem) => _dataToItem[dataItem];

    /// <summary>The user's positives before the cut (data set item indices, ascending).</summary>
    public ReadOnlySpan<int> Seen(int logUser) => _userToData[logUser] is var u and >= 0 ? _cut.Data.Matrix.ItemsOf(u) : [];

    public Scratch CreateScratch() => new(_log.ItemIds.Length, _cut.Data.ItemIds.Length, _cut.Models.Count, _o, FeatureCount);

    /// <summary>Fills <paramref name="s"/> with the user's candidates and their features; returns how many.</summary>
    public int Generate(int logUser, Scratch s)
    {
        s.Begin();
        var du = _userToData[logUser];
        var seen = Seen(logUser);
        foreach (var di in seen)
        {
            if (_dataToItem[di] >= 0)
            {
                s.Exclude(_dataToItem[di]);
            }
        }

        if (du >= 0)
        {
            for (var m = 0; m < _cut.Models.Count; m++)
            {
                var scores = s.Scores[m];
                _cut.Models[m].Score(du, scores);
                foreach (var di in seen)
                {
                    scores[di] = float.NegativeInfinity;
                }

                var found = TopK.Select(scores, _o.CandidatesPerModel, s.Top);
                for (var r = 0; r < found; r++)
                {
                    var li = _dataToItem[s.Top[r]];
                    if (li >= 0 && _log.CreatedTicks[li] <= Cutoff)
                    {
                        s.SetRank(m, li, r);
                        s.Add(li, CandidateSource.Cf);
                    }
                }
            }
        }

        var taken = 0;
        for (var k = 0; k < _popular.Length && taken < _o.PopularCandidates; k++)
        {
            taken += s.Add(_popular[k], CandidateSource.Popular) || s.Contains(_popular[k]) ? 1 : 0;
        }

        taken = 0;
        for (var k = 0; k < _fresh.Length && taken < _o.FreshCandidates; k++)
        {
            taken += s.Add(_fresh[k], CandidateSource.Fresh) || s.Contains(_fresh[k]) ? 1 : 0;
        }

        var models = _cut.Models.Count;
        for (var c = 0; c < s.Count; c++)
        {
            var li = s.Items[c];
            var di = _itemToData[li];
            var row = s.Row(c);
            for (var m = 0; m < models; m++)
            {
                row[2 * m] = du >= 0 && di >= 0 ? s.Scores[m][di] : RankingFeatures.MissingScore;
                row[(2 * m) + 1] = s.RankOf(m, li);
            }

            _state.Write(logUser, li, row[(2 * models)..]);
        }

        return s.Count;
    }

    /// <summary>The CF model's own top <paramref name="k"/> for the user (log items, best first), seen videos excluded.</summary>
    public int TopOf(int model, int logUser, int k, Scratch s, Span<int> result)
    {
        var du = _userToData[logUser];
        if (du < 0)
        {
            return 0;
        }

        var scores = s.Scores[model];
        _cut.Models[model].Score(du, scores);
        foreach (var di in _cut.Data.Matrix.ItemsOf(du))
        {
            scores[di] = float.NegativeInfinity;
        }

        var found = TopK.Select(scores, k, s.Top);
        var n = 0;
        for (var r = 0; r < found; r++)
        {
            if (_dataToItem[s.Top[r]] is var li and >= 0)
            {
                result[n++] = li;
            }
        }

        return n;
    }

    private static Dictionary<string, int> Index(string[] ids)
    {
        var map = new Dictionary<string, int>(ids.Length, StringComparer.Ordinal);
        for (var k = 0; k < ids.Length; k++)
        {
            map[ids[k]] = k;
        }

        return map;
    }

    /// <summary>Per-thread buffers: one user's candidates, reused (no allocation per user).</summary>
    internal sealed class Scratch
    {
        private readonly int[] _mark;
        private readonly int[][] _rank;
        private readonly int _featureCount;
        private readonly List<int> _ranked = [];
        private int _stamp;

        public Scratch(int logItems, int dataItems, int models, RankerOptions o, int featureCount)
        {
            _mark = new int[logItems];
            _rank = [.. Enumerable.Range(0, models).Select(_ => Enumerable.Repeat(-1, logItems).ToArray())];
            Scores = [.. Enumerable.Range(0, models).Select(_ => new float[dataItems])];
            Top = new int[Math.Max(o.CandidatesPerModel, 20)];
            var capacity = (models * o.CandidatesPerModel) + o.PopularCandidates + o.FreshCandidates;
            Items = new int[capacity];
            Sources = new CandidateSource[capacity];
            Features = new float[capacity * featureCount];
            Ranking = new float[capacity];
            _featureCount = featureCount;
        }

        public float[][] Scores { get; }

        public int[] Top { get; }

        public int[] Items { get; }

        public CandidateSource[] Sources { get; }

        public float[] Features { get; }

        /// <summary>Ranker scores of the candidates (filled by the caller).</summary>
        public float[] Ranking { get; }

        public int Count { get; private set; }

        public Span<float> Row(int candidate) => Features.AsSpan(candidate * _featureCount, _featureCount);

        public void Begin()
        {
            foreach (var li in _ranked)
            {
                foreach (var r in _rank)
                {
                    r[li] = -1;
                }
            }

            _ranked.Clear();
            Count = 0;
            if (++_stamp == int.MaxValue)
            {
                Array.Clear(_mark);
                _stamp = 1;
            }
        }

        /// <summary>Marks a video as not a candidate (already watched).</summary>
        public void Exclude(int li) => _mark[li] = -_stamp;

        public bool Contains(int li) => _mark[li] == _stamp;

        public bool Add(int li, CandidateSource source)
        {
            if (_mark[li] == _stamp || _mark[li] == -_stamp || Count == Items.Length)
            {
                return false;
            }

            _mark[li] = _stamp;
            Items[Count] = li;
            Sources[Count] = source;
            Count++;
            return true;
        }

        public void SetRank(int model, int li, int rank)
        {
            if (_rank[model][li] < 0)
            {
                _rank[model][li] = rank;
                _ranked.Add(li);
            }
        }

        public float RankOf(int model, int li) => _rank[model][li] is var r and >= 0 ? r : RankingFeatures.RankCap;
    }
}
