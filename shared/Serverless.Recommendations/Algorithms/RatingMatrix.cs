namespace Serverless.Recommendations.Algorithms;

/// <summary>
/// A sparse user × item matrix in compressed sparse row form (user-major), with its transpose (item-major) built
/// alongside. No per-entry objects: a few flat arrays whatever the size. Column indices within a row are sorted and
/// unique, so membership is a binary search.
/// </summary>
internal sealed class RatingMatrix
{
    private float[]? _userMeans;
    private float[]? _itemMeans;

    private RatingMatrix(int userCount, int itemCount, int[] rowPtr, int[] cols, float[] values)
    {
        UserCount = userCount;
        ItemCount = itemCount;
        RowPtr = rowPtr;
        Cols = cols;
        Values = values;
        (ColPtr, Rows, ColValues) = Transpose(userCount, itemCount, rowPtr, cols, values);
        double sum = 0;
        foreach (var v in values)
        {
            sum += v;
        }

        GlobalMean = values.Length == 0 ? 0f : (float)(sum / values.Length);
    }

    public int UserCount { get; }

    public int ItemCount { get; }

    public int[] RowPtr { get; }

    public int[] Cols { get; }

    public float[] Values { get; }

    public int[] ColPtr { get; }

    public int[] Rows { get; }

    public float[] ColValues { get; }

    public int Count => Cols.Length;

    /// <summary>Mean of all stored values (0 when empty).</summary>
    public float GlobalMean { get; }

    /// <summary>Each user's mean value; the global mean for a user with no entries.</summary>
    public float[] UserMeans => _userMeans ??= RowMeans(UserCount, RowPtr, Values, GlobalMean);

    /// <summary>Each item's mean value; the global mean for an item with no entries.</summary>
    public float[] ItemMeans => _itemMeans ??= RowMeans(ItemCount, ColPtr, ColValues, GlobalMean);

    public ReadOnlySpan<int> ItemsOf(int user) => Cols.AsSpan(RowPtr[user], RowPtr[user + 1] - RowPtr[user]);

    public ReadOnlySpan<float> ValuesOf(int user) => Values.AsSpan(RowPtr[user], RowPtr[user + 1] - RowPtr[user]);

    public ReadOnlySpan<int> UsersOf(int item) => Rows.AsSpan(ColPtr[item], ColPtr[item + 1] - ColPtr[item]);

    public ReadOnlySpan<float> ItemValuesOf(int item) => ColValues.AsSpan(ColPtr[item], ColPtr[item + 1] - ColPtr[item]);

    public int UserDegree(int user) => RowPtr[user + 1] - RowPtr[user];

    public int ItemDegree(int item) => ColPtr[item + 1] - ColPtr[item];

    /// <summary>The stored value, or null when the user has no entry for the item.</summary>
    public float? Get(int user, int item)
    {
        var index = ItemsOf(user).BinarySearch(item);
        return index >= 0 ? ValuesOf(user)[index] : null;
    }

    /// <summary>The item-major view as a matrix of its own (users and items swapped).</summary>
    public RatingMatrix Transposed() => new(ItemCount, UserCount, ColPtr, Rows, ColValues);

    /// <summary>Builds from triples; a repeated (user, item) pair keeps the last value given.</summary>
    public static RatingMatrix FromTriples(int userCount, int itemCount, ReadOnlySpan<int> users, ReadOnlySpan<int> items, ReadOnlySpan<float> values)
    {
        if (users.Length != items.Length || users.Length != values.Length)
        {
            throw new ArgumentException("The triple arrays differ in length.");
        }

        var n = users.Length;
        var counts = new int[userCount + 1];
        for (var k = 0; k < n; k++)
        {
            if ((uint)users[k] >= (uint)userCount || (uint)items[k] >= (uint)itemCount)
            {
                throw new ArgumentOutOfRangeException(nameof(users), "A triple refers to a user or item outside the matrix.");
            }

            counts[users[k] + 1]++;
        }

        for (var u = 0; u < userCount; u++)
        {
            counts[u + 1] += counts[u];
        }

        var order = new int[n];
        var next = (int[])counts.Clone();
        for (var k = 0; k < n; k++)
        {
            order[next[users[k]]++] = k;
        }

        // Sort each row by item, then by input position, so "last wins" is well defined.
        var rowPtr = new int[userCount + 1];
        var cols = new int[n];
        var vals = new float[n];
        var keys = new long[n];
        var write = 0;
        for (var u = 0; u < userCount; u++)
        {
            var start = counts[u];
            var len = counts[u + 1] - start;
            var seg = keys.AsSpan(start, len);
            for (var k = 0; k < len; k++)
            {
                var src = order[start + k];
                seg[k] = ((long)items[src] << 32) | (uint)src;
            }

            seg.Sort();
            rowPtr[u] = write;
            for (var k = 0; k < len; k++)
            {
                var item = (int)(seg[k] >> 32);
                var src = (int)(seg[k] & 0xffffffff);
                if (k + 1 < len && (int)(seg[k + 1] >> 32) == item)
                {
                    continue;
                }

                cols[write] = item;
                vals[write] = values[src];
                write++;
            }
        }

        rowPtr[userCount] = write;
        if (write < n)
        {
            Array.Resize(ref cols, write);
            Array.Resize(ref vals, write);
        }

        return new RatingMatrix(userCount, itemCount, rowPtr, cols, vals);
    }

    /// <summary>Wraps CSR arrays that are already sorted and unique per row (e.g. read back from a model blob).</summary>
    public static RatingMatrix FromCsr(int userCount, int itemCount, int[] rowPtr, int[] cols, float[] values)
    {
        if (rowPtr.Length != userCount + 1 || cols.Length != values.Length || rowPtr[userCount] != cols.Length)
        {
            throw new InvalidDataException("The CSR arrays are inconsistent.");
        }

        return new RatingMatrix(userCount, itemCount, rowPtr, cols, values);
    }

    /// <summary>Keeps the entries for which <paramref name="keep"/> is true (indexed by position in <see cref="Cols"/>).</summary>
    public RatingMatrix Where(ReadOnlySpan<bool> keep)
    {
        var rowPtr = new int[UserCount + 1];
        var count = 0;
        foreach (var k in keep)
        {
            count += k ? 1 : 0;
        }

        var cols = new int[count];
        var vals = new float[count];
        var write = 0;
        for (var u = 0; u < UserCount; u++)
        {
            rowPtr[u] = write;
            for (var p = RowPtr[u]; p < RowPtr[u + 1]; p++)
            {
                if (keep[p])
                {
                    cols[write] = Cols[p];
                    vals[write] = Values[p];
                    write++;
                }
            }
        }

        rowPtr[UserCount] = write;
        return new RatingMatrix(UserCount, ItemCount, rowPtr, cols, vals);
    }

    private static float[] RowMeans(int rows, int[] ptr, float[] values, float fallback)
    {
        var means = new float[rows];
        for (var r = 0; r < rows; r++)
        {
            var len = ptr[r + 1] - ptr[r];
            if (len == 0)
            {
                means[r] = fallback;
                continue;
            }

            double sum = 0;
            for (var p = ptr[r]; p < ptr[r + 1]; p++)
            {
                sum += values[p];
            }

            means[r] = (float)(sum / len);
        }

        return means;
    }

    private static (int[] Ptr, int[] Idx, float[] Vals) Transpose(int rows, int cols, int[] rowPtr, int[] colIdx, float[] values)
    {
        var ptr = new int[cols + 1];
        foreach (var c in colIdx)
        {
            ptr[c + 1]++;
        }

        for (var c = 0; c < cols; c++)
        {
            ptr[c + 1] += ptr[c];
        }

        var idx = new int[colIdx.Length];
        var vals = new float[colIdx.Length];
        var next = (int[])ptr.Clone();
        for (var r = 0; r < rows; r++)
        {
            for (var p = rowPtr[r]; p < rowPtr[r + 1]; p++)
            {
                var at = next[colIdx[p]]++;
                idx[at] = r;
                vals[at] = values[p];
            }
        }

        return (ptr, idx, vals);
    }
}
