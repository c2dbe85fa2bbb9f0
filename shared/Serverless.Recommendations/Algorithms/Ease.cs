using System.Buffers;

namespace Serverless.Recommendations.Algorithms;

/// <summary>EASE settings.</summary>
/// <param name="Lambda">L2 penalty λ on the item-item weights (added to the Gram matrix's diagonal).</param>
/// <param name="MaxItems">The model covers at most this many items, the most interacted-with (the dense m×m solve costs m³/2 and m² floats); the others score −∞ (no opinion).</param>
/// <param name="Binary">Each stored entry counts as 1 (the ranking protocols' "interacted"); otherwise its value is used.</param>
internal sealed record EaseOptions(double Lambda = 200, int MaxItems = 2500, bool Binary = true);

/// <summary>
/// EASE (Steck 2019, "Embarrassingly Shallow Autoencoders for Sparse Data"): an item-item weight matrix B with a zero
/// diagonal minimising |X − XB|² + λ|B|², in closed form: P = (XᵀX + λI)⁻¹, B = I − P·diagMat(1/diag(P)), i.e.
/// B[i,j] = −P[i,j]/P[j,j] (i ≠ j). A user's score for item j is Σ_i x_ui·B[i,j]. For ranking, not rating prediction.
/// </summary>
internal sealed class EaseAlgorithm(EaseOptions? options = null) : IRecommenderAlgorithm
{
    private readonly EaseOptions _o = options ?? new EaseOptions();

    public string Name => AlgorithmNames.Ease;

    public bool PredictsRatings => false;

    public IRecommenderModel Fit(RatingMatrix train, CancellationToken cancellationToken)
    {
        var items = ModeledItems(train, _o.MaxItems);
        var m = items.Length;
        var slot = new int[train.ItemCount];
        Array.Fill(slot, -1);
        for (var s = 0; s < m; s++)
        {
            slot[items[s]] = s;
        }

        // Gram matrix G = XᵀX over the modeled items (upper triangle, then mirrored), plus λ on the diagonal.
        var g = new double[m * m];
        var rowSlots = new int[Math.Max(1, m)];
        var rowValues = new double[Math.Max(1, m)];
        for (var u = 0; u < train.UserCount; u++)
        {
            var count = 0;
            var userItems = train.ItemsOf(u);
            var values = train.ValuesOf(u);
            for (var k = 0; k < userItems.Length; k++)
            {
                var s = slot[userItems[k]];
                if (s >= 0)
                {
                    rowSlots[count] = s;
                    rowValues[count] = _o.Binary ? 1 : values[k];
                    count++;
                }
            }

            // Row items are sorted by item; slots follow the same order only when every item is modeled, so order each pair.
            for (var a = 0; a < count; a++)
            {
                var sa = rowSlots[a];
                var va = rowValues[a];
                for (var b = a; b < count; b++)
                {
                    var sb = rowSlots[b];
                    var (lo, hi) = sa <= sb ? (sa, sb) : (sb, sa);
                    g[(lo * m) + hi] += va * rowValues[b];
                }
            }
        }

        for (var a = 0; a < m; a++)
        {
            g[(a * m) + a] += _o.Lambda;
            for (var b = a + 1; b < m; b++)
            {
                g[(b * m) + a] = g[(a * m) + b];
            }
        }

        cancellationToken.ThrowIfCancellationRequested();
        if (m > 0 && !DenseMath.InvertSpd(g, m, cancellationToken))
        {
            throw new InvalidOperationException("EASE: XᵀX + λI is not positive definite; raise λ.");
        }

        var weights = new float[m * m];
        for (var i = 0; i < m; i++)
        {
            for (var j = 0; j < m; j++)
            {
                weights[(i * m) + j] = i == j ? 0f : ModelGuards.Finite(-g[(i * m) + j] / g[(j * m) + j], 0f);
            }
        }

        return new EaseModel(train, _o, items, weights);
    }

    /// <summary>Every item when there are at most <paramref name="maxItems"/>; otherwise the most interacted-with ones (ties: lower index), ascending.</summary>
    private static int[] ModeledItems(RatingMatrix train, int maxItems)
    {
        if (train.ItemCount <= maxItems)
        {
            var all = new int[train.ItemCount];
            for (var i = 0; i < all.Length; i++)
            {
                all[i] = i;
            }

            return all;
        }

        var order = new int[train.ItemCount];
        var keys = new long[train.ItemCount];
        for (var i = 0; i < order.Length; i++)
        {
            order[i] = i;
            keys[i] = ((long)-train.ItemDegree(i) << 32) | (uint)i;
        }

        Array.Sort(keys, order);
        var kept = order[..maxItems];
        Array.Sort(kept);
        return kept;
    }
}

/// <summary>A trained EASE model: the dense weights over its modeled items, and the training rows it scores from.</summary>
internal sealed class EaseModel : IRecommenderModel
{
    private readonly RatingMatrix _train;
    private readonly EaseOptions _options;
    private readonly int[] _items;
    private readonly int[] _slot;
    private readonly float[] _weights;
    private readonly bool _allItems;

    public EaseModel(RatingMatrix train, EaseOptions options, int[] items, float[] weights)
    {
        _train = train;
        _options = options;
        _items = items;
        _weights = weights;
        _slot = new int[train.ItemCount];
        Array.Fill(_slot, -1);
        for (var s = 0; s < items.Length; s++)
        {
            _slot[items[s]] = s;
        }

        _allItems = items.Length == train.ItemCount;
    }

    public string Algorithm => AlgorithmNames.Ease;

    public int UserCount => _train.UserCount;

    public int ItemCount => _train.ItemCount;

    public float Predict(int user, int item)
    {
        if ((uint)user >= (uint)UserCount || (uint)item >= (uint)ItemCount || _slot[item] < 0)
        {
            return 0f;
        }

        var m = _items.Length;
        var target = _slot[item];
        double sum = 0;
        var items = _train.ItemsOf(user);
        var values = _train.ValuesOf(user);
        for (var k = 0; k < items.Length; k++)
        {
            var s = _slot[items[k]];
            if (s >= 0)
            {
                sum += (_options.Binary ? 1 : values[k]) * _weights[(s * m) + target];
            }
        }

        return ModelGuards.Finite(sum, 0f);
    }

    public void Score(int user, Span<float> scores)
    {
        if ((uint)user >= (uint)UserCount)
        {
            scores.Clear();
            return;
        }

        var m = _items.Length;
        var buffer = _allItems ? null : ArrayPool<float>.Shared.Rent(m);
        try
        {
            var acc = _allItems ? scores[..m] : buffer.AsSpan(0, m);
            acc.Clear();
            var items = _train.ItemsOf(user);
            var values = _train.ValuesOf(user);
            for (var k = 0; k < items.Length; k++)
            {
                var s = _slot[items[k]];
                if (s >= 0)
                {
                    VectorMath.Axpy(_options.Binary ? 1 : values[k], _weights.AsSpan(s * m, m), acc);
                }
            }

            if (!_allItems)
            {
                scores.Fill(float.NegativeInfinity);
                for (var s = 0; s < m; s++)
                {
                    scores[_items[s]] = acc[s];
                }
            }
        }
        finally
        {
            if (buffer is not null)
            {
                ArrayPool<float>.Shared.Return(buffer);
            }
        }
    }

    public void Write(BinaryWriter writer)
    {
        writer.Write(_options.Lambda);
        writer.Write(_options.MaxItems);
        writer.Write(_options.Binary);
        ModelIo.WriteArray(writer, _items);
        ModelIo.WriteArray(writer, _weights);
    }

    public static EaseModel Read(BinaryReader reader, RatingMatrix train)
    {
        var options = new EaseOptions(reader.ReadDouble(), reader.ReadInt32(), reader.ReadBoolean());
        var items = ModelIo.ReadInts(reader);
        var weights = ModelIo.ReadFloats(reader);
        if (weights.Length != (long)items.Length * items.Length || items.Any(i => (uint)i >= (uint)train.ItemCount))
        {
            throw new InvalidDataException("The EASE model does not match the training matrix.");
        }

        return new EaseModel(train, options, items, weights);
    }
}
