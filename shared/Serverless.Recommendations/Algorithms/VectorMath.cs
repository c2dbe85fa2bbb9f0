using System.Numerics;
using System.Runtime.InteropServices;

namespace Serverless.Recommendations.Algorithms;

/// <summary>SIMD dot products and axpy for factor vectors.</summary>
internal static class VectorMath
{
    public static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        var n = a.Length;
        var i = 0;
        var sum = Vector<float>.Zero;
        if (Vector.IsHardwareAccelerated && n >= Vector<float>.Count)
        {
            var va = MemoryMarshal.Cast<float, Vector<float>>(a);
            var vb = MemoryMarshal.Cast<float, Vector<float>>(b[..n]);
            for (var k = 0; k < va.Length; k++)
            {
                sum += va[k] * vb[k];
            }

            i = va.Length * Vector<float>.Count;
        }

        var result = Vector.Sum(sum);
        for (; i < n; i++)
        {
            result += a[i] * b[i];
        }

        return result;
    }

    /// <summary>y += alpha · x.</summary>
    public static void Axpy(float alpha, ReadOnlySpan<float> x, Span<float> y)
    {
        var n = x.Length;
        var i = 0;
        if (Vector.IsHardwareAccelerated && n >= Vector<float>.Count)
        {
            var vx = MemoryMarshal.Cast<float, Vector<float>>(x);
            var vy = MemoryMarshal.Cast<float, Vector<float>>(y[..n]);
            var va = new Vector<float>(alpha);
            for (var k = 0; k < vx.Length; k++)
            {
                vy[k] += va * vx[k];
            }

            i = vx.Length * Vector<float>.Count;
        }

        for (; i < n; i++)
        {
            y[i] += alpha * x[i];
        }
    }

    /// <summary>x *= alpha.</summary>
    public static void Scale(float alpha, Span<float> x)
    {
        var i = 0;
        if (Vector.IsHardwareAccelerated && x.Length >= Vector<float>.Count)
        {
            var vx = MemoryMarshal.Cast<float, Vector<float>>(x);
            for (var k = 0; k < vx.Length; k++)
            {
                vx[k] *= alpha;
            }

            i = vx.Length * Vector<float>.Count;
        }

        for (; i < x.Length; i++)
        {
            x[i] *= alpha;
        }
    }

    /// <summary>scores[i] = dot(user, factors[i]) for every row of a row-major factor matrix.</summary>
    public static void ScoreAll(ReadOnlySpan<float> user, float[] factors, int factorCount, Span<float> scores)
    {
        for (var i = 0; i < scores.Length; i++)
        {
            scores[i] = Dot(user, factors.AsSpan(i * factorCount, factorCount));
        }
    }

    /// <summary>Gaussian noise (Box–Muller) from a seeded generator, for deterministic initialisation.</summary>
    public static void FillGaussian(Span<float> target, Random random, double stdDev)
    {
        for (var i = 0; i < target.Length; i++)
        {
            var u1 = 1.0 - random.NextDouble();
            var u2 = random.NextDouble();
            target[i] = (float)(stdDev * Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
        }
    }
}

/// <summary>Top-k selection with a bounded min-heap; items scored −∞ are never selected.</summary>
internal static class TopK
{
    /// <summary>Writes the indices of the <paramref name="k"/> best scores, best first, and returns how many were found.</summary>
    public static int Select(ReadOnlySpan<float> scores, int k, Span<int> result)
    {
        k = Math.Min(k, result.Length);
        if (k <= 0)
        {
            return 0;
        }

        var heapScores = k <= 256 ? stackalloc float[k] : new float[k];
        var heapItems = result[..k];
        var size = 0;
        for (var i = 0; i < scores.Length; i++)
        {
            var s = scores[i];
            if (float.IsNegativeInfinity(s) || float.IsNaN(s))
            {
                continue;
            }

            if (size < k)
            {
                heapScores[size] = s;
                heapItems[size] = i;
                SiftUp(heapScores, heapItems, size++);
            }
            else if (s > heapScores[0])
            {
                heapScores[0] = s;
                heapItems[0] = i;
                SiftDown(heapScores, heapItems, size);
            }
        }

        // Pop ascending into the back: best ends up first. Ties resolve to the lower item index.
        for (var end = size - 1; end > 0; end--)
        {
            (heapScores[0], heapScores[end]) = (heapScores[end], heapScores[0]);
            (heapItems[0], heapItems[end]) = (heapItems[end], heapItems[0]);
            SiftDown(heapScores, heapItems, end);
        }

        return size;
    }

    private static bool Less(Span<float> s, Span<int> items, int a, int b) => s[a] < s[b] || (s[a] == s[b] && items[a] > items[b]);

    private static void SiftUp(Span<float> s, Span<int> items, int i)
    {
        while (i > 0)
        {
            var parent = (i - 1) / 2;
            if (!Less(s, items, i, parent))
            {
                break;
            }

            (s[i], s[parent]) = (s[parent], s[i]);
            (items[i], items[parent]) = (items[parent], items[i]);
            i = parent;
        }
    }

    private static void SiftDown(Span<float> s, Span<int> items, int size)
    {
        var i = 0;
        while (true)
        {
            var l = (2 * i) + 1;
            var r = l + 1;
            var smallest = i;
            if (l < size && Less(s, items, l, smallest))
            {
                smallest = l;
            }

            if (r < size && Less(s, items, r, smallest))
            {
                smallest = r;
            }

            if (smallest == i)
            {
                return;
            }

            (s[i], s[smallest]) = (s[smallest], s[i]);
            (items[i], items[smallest]) = (items[smallest], items[i]);
            i = smallest;
        }
    }
}
