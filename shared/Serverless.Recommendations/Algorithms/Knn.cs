using System.Buffers;

namespace Serverless.Recommendations.Algorithms;

internal enum SimilarityKind
{
    /// <summary>Pearson correlation over co-rated entries, each side centred on its own mean.</summary>
    Pearson,

    /// <summary>Cosine of the raw vectors (norms over each full vector).</summary>
    Cosine,

    /// <summary>Pearson correlation of the baseline residuals r − b_ui over co-rated entries (Koren's pearson-baseline).</summary>
    PearsonBaseline,
}

/// <summary>Neighbourhood settings shared by user- and item-based CF.</summary>
/// <param name="K">Neighbours used per prediction.</param>
/// <param name="Candidates">Most similar neighbours kept per user (item), searched for the k that rated the target.</param>
/// <param name="Shrinkage">λ in w·n/(n+λ), n = co-rated count: similarities resting on few co-ratings shrink towards 0.</param>
/// <param name="MinSupport">Co-rated entries needed before a similarity counts.</param>
/// <param name="Implicit">Implicit feedback: scores are Σ w·r over neighbours (no centring); explicit: the seed's mean-centred formula.</param>
/// <param name="MaxCoRatersPerItem">When positive, at most this many raters of an item are visited when looking for neighbours (bounds the cost of very popular items; an evenly spaced sample).</param>
/// <param name="Baseline">Explicit only: neighbours' deviations are taken from the baseline estimates b_ui = μ + b_u + b_i instead of their means, and the estimate starts from b_ui (the baseline-corrected formula; algorithms <c>user-knn-baseline</c>, <c>item-knn-baseline</c>).</param>
internal sealed record KnnOptions(
    SimilarityKind Similarity = SimilarityKind.Pearson,
    int K = 40,
    int Candidates = 200,
    double Shrinkage = 100,
    int MinSupport = 1,
    bool Implicit = false,
    int MaxCoRatersPerItem = 0,
    bool Baseline = false)
{
    /// <summary>Whether the model needs baseline estimates (to correct its formula or to compute its similarity).</summary>
    public bool NeedsBaselines => (Baseline || Similarity == SimilarityKind.PearsonBaseline) && !Implicit;
}

/// <summary>
/// User-based CF, the seed's formula (§4.2): r̂(u,j) = r̄(u) + Σ_{v∈N(u,j)} (r(v,j) − r̄(v))·w(u,v) / Σ_{v∈N(u,j)} |w(u,v)|,
/// N(u,j) = the k most similar users to u (positive similarity) who rated j. With <see cref="KnnOptions.Baseline"/> the
/// means become baseline estimates: r̂(u,j) = b_uj + Σ (r(v,j) − b_vj)·w(u,v) / Σ|w(u,v)|.
/// </summary>
internal sealed class UserKnnAlgorithm(KnnOptions? options = null, BaselineOptions? baselineOptions = null) : IRecommenderAlgorithm
{
    private readonly KnnOptions _options = options ?? new KnnOptions();

    public string Name => _options.Baseline && !_options.Implicit ? AlgorithmNames.UserKnnBaseline : AlgorithmNames.UserKnn;

    public bool PredictsRatings => !_options.Implicit;

    public IRecommenderModel Fit(RatingMatrix train, CancellationToken cancellationToken)
    {
        var baselines = _options.NeedsBaselines ? Baselines.Fit(train, baselineOptions ?? new BaselineOptions()) : null;
        var residuals = baselines?.Residuals(train);
        var graph = NeighbourGraph.Build(train, _options, cancellationToken, residuals?.ByUser, residuals?.ByItem);
        return new KnnModel(Name, train, train, graph, _options, _options.Baseline ? baselines : null);
    }
}

/// <summary>
/// Item-based CF: the same formula on the transposed matrix, r̂(u,j) = r̄(j) + Σ_{i∈N(j,u)} (r(u,i) − r̄(i))·w(j,i) / Σ|w(j,i)|
/// (with <see cref="KnnOptions.Baseline"/>: b_uj + Σ (r(u,i) − b_ui)·w(j,i) / Σ|w(j,i)|).
/// </summary>
internal sealed class ItemKnnAlgorithm(KnnOptions? options = null, BaselineOptions? baselineOptions = null) : IRecommenderAlgorithm
{
    private readonly KnnOptions _options = options ?? new KnnOptions();

    public string Name => _options.Baseline && !_options.Implicit ? AlgorithmNames.ItemKnnBaseline : AlgorithmNames.ItemKnn;

    public bool PredictsRatings => !_options.Implicit;

    public IRecommenderModel Fit(RatingMatrix train, CancellationToken cancellationToken)
    {
        var byItem = train.Transposed();
        var baselines = _options.NeedsBaselines ? Baselines.Fit(train, baselineOptions ?? new BaselineOptions()) : null;
        var residuals = baselines?.Residuals(train);

        // The transposed matrix's rows are items: its row order is the training matrix's column order, and vice versa.
        var graph = NeighbourGraph.Build(byItem, _options, cancellationToken, residuals?.ByItem, residuals?.ByUser);
        return new KnnModel(Name, train, byItem, graph, _options, _options.Baseline ? baselines : null);
    }
}

/// <summary>Each row's most similar other rows, best first, in CSR form.</summary>
internal sealed class NeighbourGraph(int[] ptr, int[] neighbours, float[] weights)
{
    public int[] Ptr => ptr;

    public int[] Neighbours => neighbours;

    public float[] Weights => weights;

    public ReadOnlySpan<int> Of(int row) => neighbours.AsSpan(ptr[row], ptr[row + 1] - ptr[row]);

    public ReadOnlySpan<float> WeightsOf(int row) => weights.AsSpan(ptr[row], ptr[row + 1] - ptr[row]);

    /// <summary>Similarities between the rows of <paramref name="m"/> (rows are the entities: users, or items for a transposed matrix).</summary>
    /// <param name="residualRows">For <see cref="SimilarityKind.PearsonBaseline"/>: r − b_ui of every entry in <paramref name="m"/>'s row order.</param>
    /// <param name="residualCols">The same residuals in <paramref name="m"/>'s column order.</param>
    public static NeighbourGraph Build(RatingMatrix m, KnnOptions options, CancellationToken cancellationToken, float[]? residualRows = null, float[]? residualCols = null)
    {
        var rows = m.UserCount;
        var baseline = options.Similarity == SimilarityKind.PearsonBaseline;
        if (baseline && (residualRows is null || residualCols is null))
        {
            throw new ArgumentException("The pearson-baseline similarity needs the baseline residuals.", nameof(residualRows));
        }

        // Both Pearson forms normalise over the co-rated entries only.
        var pearson = options.Similarity != SimilarityKind.Cosine;
        var means = m.UserMeans;

        // Centred (Pearson: on the row's mean; pearson-baseline: on the baseline estimate) or raw (cosine) values, in both orientations.
        var centred = new float[m.Count];
        var centredT = new float[m.Count];
        var norms = new float[rows];
        for (var r = 0; r < rows; r++)
        {
            double norm = 0;
            for (var p = m.RowPtr[r]; p < m.RowPtr[r + 1]; p++)
            {
                var c = baseline ? residualRows![p] : pearson ? m.Values[p] - means[r] : m.Values[p];
                centred[p] = c;
                norm += c * c;
            }

            norms[r] = (float)Math.Sqrt(norm);
        }

        for (var q = 0; q < m.Count; q++)
        {
            var r = m.Rows[q];
            centredT[q] = baseline ? residualCols![q] : pearson ? m.ColValues[q] - means[r] : m.ColValues[q];
        }

        var resultIdx = new int[rows][];
        var resultW = new float[rows][];
        var parallel = new ParallelOptions { CancellationToken = cancellationToken, MaxDegreeOfParallelism = Environment.ProcessorCount };
        Parallel.For(
            0,
            rows,
            parallel,
            () => new Scratch(rows),
            (a, _, s) =>
            {
                var touchedCount = 0;
                for (var p = m.RowPtr[a]; p < m.RowPtr[a + 1]; p++)
                {
                    var col = m.Cols[p];
                    var ca = centred[p];
                    var start = m.ColPtr[col];
                    var len = m.ColPtr[col + 1] - start;
                    var step = options.MaxCoRatersPerItem > 0 && len > options.MaxCoRatersPerItem ? (double)len / options.MaxCoRatersPerItem : 1.0;
                    var visits = step > 1 ? options.MaxCoRatersPerItem : len;
                    for (var t = 0; t < visits; t++)
                    {
                        var q = start + (step > 1 ? (int)(t * step) : t);
                        var b = m.Rows[q];
                        if (b == a)
                        {
                            continue;
                        }

                        var cb = centredT[q];
                        if (s.Count[b] == 0)
                        {
                            s.Touched[touchedCount++] = b;
                        }

                        s.Count[b]++;
                        s.Dot[b] += ca * cb;
                        if (pearson)
                        {
                            s.SumA[b] += ca * ca;
                            s.SumB[b] += cb * cb;
                        }
                    }
                }

                var kept = 0;
                for (var t = 0; t < touchedCount; t++)
                {
                    var b = s.Touched[t];
                    var n = s.Count[b];
                    double sim;
                    if (pearson)
                    {
                        var denom = Math.Sqrt(s.SumA[b] * s.SumB[b]);
                        sim = denom > 0 ? s.Dot[b] / denom : 0;
                    }
                    else
                    {
                        var denom = (double)norms[a] * norms[b];
                        sim = denom > 0 ? s.Dot[b] / denom : 0;
                    }

                    if (options.Shrinkage > 0)
                    {
                        sim *= n / (n + options.Shrinkage);
                    }

                    if (n >= options.MinSupport && sim > 1e-9 && double.IsFinite(sim))
                    {
                        s.CandIdx[kept] = b;
                        s.CandW[kept] = (float)sim;
                        kept++;
                    }

                    s.Count[b] = 0;
                    s.Dot[b] = 0;
                    s.SumA[b] = 0;
                    s.SumB[b] = 0;
                }

                var keep = Math.Min(kept, options.Candidates);
                var idx = new int[keep];
                var w = new float[keep];
                if (keep > 0)
                {
                    // Best first. The input order is fixed by the data, so the result does not depend on thread timing.
                    var keys = s.CandW.AsSpan(0, kept);
                    var items = s.CandIdx.AsSpan(0, kept);
                    for (var k = 0; k < kept; k++)
                    {
                        keys[k] = -keys[k];
                    }

                    MemoryExtensions.Sort(keys, items);
                    for (var k = 0; k < keep; k++)
                    {
                        idx[k] = items[k];
                        w[k] = -keys[k];
                    }
                }

                resultIdx[a] = idx;
                resultW[a] = w;
                return s;
            },
            _ => { });

        var ptr = new int[rows + 1];
        for (var r = 0; r < rows; r++)
        {
            ptr[r + 1] = ptr[r] + resultIdx[r].Length;
        }

        var all = new int[ptr[rows]];
        var weights = new float[ptr[rows]];
        for (var r = 0; r < rows; r++)
        {
            resultIdx[r].CopyTo(all, ptr[r]);
            resultW[r].CopyTo(weights, ptr[r]);
        }

        return new NeighbourGraph(ptr, all, weights);
    }

    private sealed class Scratch(int rows)
    {
        public int[] Count { get; } = new int[rows];

        public double[] Dot { get; } = new double[rows];

        public double[] SumA { get; } = new double[rows];

        public double[] SumB { get; } = new double[rows];

        public int[] Touched { get; } = new int[rows];

        public int[] CandIdx { get; } = new int[rows];

        public float[] CandW { get; } = new float[rows];
    }
}

/// <summary>A trained neighbourhood model: user-based (entities = users) or item-based (entities = items).</summary>
internal sealed class KnnModel : IRecommenderModel
{
    private readonly RatingMatrix _train;
    private readonly RatingMatrix _entities;
    private readonly NeighbourGraph _graph;
    private readonly KnnOptions _options;
    private readonly Baselines? _baselines;
    private readonly bool _itemBased;
    private readonly float _min;
    private readonly float _max;

    /// <param name="baselines">Given for the baseline-corrected formula (<c>user-knn-baseline</c>, <c>item-knn-baseline</c>).</param>
    public KnnModel(string algorithm, RatingMatrix train, RatingMatrix entities, NeighbourGraph graph, KnnOptions options, Baselines? baselines = null)
    {
        Algorithm = algorithm;
        _train = train;
        _entities = entities;
        _graph = graph;
        _options = options;
        _baselines = baselines;
        _itemBased = IsItemBased(algorithm);
        _min = train.Count == 0 ? 0 : train.Values.Min();
        _max = train.Count == 0 ? 0 : train.Values.Max();
    }

    public string Algorithm { get; }

    public int UserCount => _train.UserCount;

    public int ItemCount => _train.ItemCount;

    public NeighbourGraph Graph => _graph;

    public float Predict(int user, int item)
    {
        if ((uint)user >= (uint)UserCount || (uint)item >= (uint)ItemCount)
        {
            return _baselines is null ? _train.GlobalMean : Math.Clamp(_baselines.Estimate(user, item), _min, _max);
        }

        if (_baselines is not null)
        {
            return PredictFromBaseline(user, item, _baselines);
        }

        // Entity a's neighbours b that have a value at "other".
        var (a, other) = _itemBased ? (item, user) : (user, item);
        var means = _entities.UserMeans;
        var neighbours = _graph.Of(a);
        var weights = _graph.WeightsOf(a);
        double num = 0;
        double den = 0;
        var taken = 0;
        for (var k = 0; k < neighbours.Length && taken < _options.K; k++)
        {
            var b = neighbours[k];
            if (_entities.Get(b, other) is not { } r)
            {
                continue;
            }

            var w = weights[k];
            num += _options.Implicit ? w * r : (r - means[b]) * w;
            den += Math.Abs(w);
            taken++;
        }

        if (_options.Implicit)
        {
            return ModelGuards.Finite(num, 0f);
        }

        var estimate = den > 0 ? means[a] + (num / den) : means[a];
        return Math.Clamp(ModelGuards.Finite(estimate, _train.GlobalMean), _min, _max);
    }

    public void Score(int user, Span<float> scores)
    {
        scores.Clear();
        if ((uint)user >= (uint)UserCount)
        {
            return;
        }

        var den = ArrayPool<float>.Shared.Rent(ItemCount);
        try
        {
            var weightSum = den.AsSpan(0, ItemCount);
            weightSum.Clear();
            if (_itemBased)
            {
                ScoreItemBased(user, scores, weightSum);
            }
            else
            {
                ScoreUserBased(user, scores, weightSum);
            }

            if (_baselines is not null)
            {
                for (var j = 0; j < scores.Length; j++)
                {
                    var b = _baselines.Estimate(user, j);
                    scores[j] = weightSum[j] > 0 ? ModelGuards.Finite(b + (scores[j] / weightSum[j]), b) : b;
                }
            }
            else if (!_options.Implicit)
            {
                // Explicit: the predicted rating, base mean where no neighbour has evidence.
                var baseMeans = _itemBased ? _entities.UserMeans : null;
                var userMean = _train.UserMeans[user];
                for (var j = 0; j < scores.Length; j++)
                {
                    var mean = baseMeans?[j] ?? userMean;
                    scores[j] = weightSum[j] > 0 ? ModelGuards.Finite(mean + (scores[j] / weightSum[j]), mean) : mean;
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(den);
        }
    }

    public void Write(BinaryWriter writer)
    {
        writer.Write((int)_options.Similarity);
        writer.Write(_options.K);
        writer.Write(_options.Candidates);
        writer.Write(_options.Shrinkage);
        writer.Write(_options.MinSupport);
        writer.Write(_options.Implicit);
        writer.Write(_options.MaxCoRatersPerItem);
        ModelIo.WriteArray(writer, _graph.Ptr);
        ModelIo.WriteArray(writer, _graph.Neighbours);
        ModelIo.WriteArray(writer, _graph.Weights);
        _baselines?.Write(writer);
    }

    /// <summary>Reads what <see cref="Write"/> wrote; the algorithm name says whether baselines follow the graph.</summary>
    public static KnnModel Read(string algorithm, BinaryReader reader, RatingMatrix train)
    {
        var baselineVariant = algorithm is AlgorithmNames.UserKnnBaseline or AlgorithmNames.ItemKnnBaseline;
        var options = new KnnOptions(
            (SimilarityKind)reader.ReadInt32(), reader.ReadInt32(), reader.ReadInt32(), reader.ReadDouble(), reader.ReadInt32(), reader.ReadBoolean(), reader.ReadInt32(), baselineVariant);
        var graph = new NeighbourGraph(ModelIo.ReadInts(reader), ModelIo.ReadInts(reader), ModelIo.ReadFloats(reader));
        var baselines = baselineVariant ? Baselines.Read(reader) : null;
        var entities = IsItemBased(algorithm) ? train.Transposed() : train;
        if (graph.Ptr.Length != entities.UserCount + 1
            || (baselines is not null && (baselines.UserBias.Length != train.UserCount || baselines.ItemBias.Length != train.ItemCount)))
        {
            throw new InvalidDataException("The neighbour model does not match the training matrix.");
        }

        return new KnnModel(algorithm, train, entities, graph, options, baselines);
    }

    private static bool IsItemBased(string algorithm) => algorithm is AlgorithmNames.ItemKnn or AlgorithmNames.ItemKnnBaseline;

    /// <summary>b_uj + Σ_k w·(r − b) / Σ_k |w| over the first k neighbours (most similar first) that have an entry.</summary>
    private float PredictFromBaseline(int user, int item, Baselines baselines)
    {
        var (a, other) = _itemBased ? (item, user) : (user, item);
        var neighbours = _graph.Of(a);
        var weights = _graph.WeightsOf(a);
        double num = 0;
        double den = 0;
        var taken = 0;
        for (var k = 0; k < neighbours.Length && taken < _options.K; k++)
        {
            var b = neighbours[k];
            if (_entities.Get(b, other) is not { } r)
            {
                continue;
            }

            var w = weights[k];
            var (bu, bi) = _itemBased ? (other, b) : (b, other);
            num += (r - baselines.Estimate(bu, bi)) * w;
            den += Math.Abs(w);
            taken++;
        }

        var estimate = baselines.Estimate(user, item) + (den > 0 ? num / den : 0);
        return Math.Clamp(ModelGuards.Finite(estimate, baselines.Mu), _min, _max);
    }

    private void ScoreUserBased(int user, Span<float> num, Span<float> den)
    {
        var means = _train.UserMeans;
        var neighbours = _graph.Of(user);
        var weights = _graph.WeightsOf(user);
        var count = Math.Min(neighbours.Length, _options.K);
        for (var k = 0; k < count; k++)
        {
            var v = neighbours[k];
            var w = weights[k];
            var items = _train.ItemsOf(v);
            var values = _train.ValuesOf(v);
            for (var t = 0; t < items.Length; t++)
            {
                var deviation = _baselines is not null ? values[t] - _baselines.Estimate(v, items[t]) : values[t] - means[v];
                num[items[t]] += _options.Implicit ? w * values[t] : deviation * w;
                den[items[t]] += w;
            }
        }
    }

    private void ScoreItemBased(int user, Span<float> num, Span<float> den)
    {
        var means = _entities.UserMeans;
        var items = _train.ItemsOf(user);
        var values = _train.ValuesOf(user);
        for (var t = 0; t < items.Length; t++)
        {
            var i = items[t];
            var deviation = _options.Implicit ? values[t] : _baselines is not null ? values[t] - _baselines.Estimate(user, i) : values[t] - means[i];
            var neighbours = _graph.Of(i);
            var weights = _graph.WeightsOf(i);
            var count = Math.Min(neighbours.Length, _options.K);
            for (var k = 0; k < count; k++)
            {
                num[neighbours[k]] += weights[k] * deviation;
                den[neighbours[k]] += weights[k];
            }
        }
    }
}
