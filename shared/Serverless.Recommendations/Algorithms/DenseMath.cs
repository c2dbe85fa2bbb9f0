using System.Numerics;
using System.Runtime.InteropServices;

namespace Serverless.Recommendations.Algorithms;

/// <summary>
/// Dense symmetric positive-definite algebra for the item-item models (EASE) and the small per-row systems of the
/// Bayesian sampler. Row-major <c>double</c> arrays; every inner loop is a contiguous SIMD dot product, and the large
/// inverse works on blocks of rows that stay in cache while the rest of the matrix streams past once per block.
/// </summary>
internal static class DenseMath
{
    private const int Block = 32;

    /// <summary>Σ a[k]·b[k] over two equal-length spans.</summary>
    public static double Dot(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        var n = a.Length;
        b = b[..n];
        var i = 0;
        double result = 0;
        if (Vector.IsHardwareAccelerated && n >= 2 * Vector<double>.Count)
        {
            var va = MemoryMarshal.Cast<double, Vector<double>>(a);
            var vb = MemoryMarshal.Cast<double, Vector<double>>(b);
            var s0 = Vector<double>.Zero;
            var s1 = Vector<double>.Zero;
            var k = 0;
            for (; k + 1 < va.Length; k += 2)
            {
                s0 += va[k] * vb[k];
                s1 += va[k + 1] * vb[k + 1];
            }

            if (k < va.Length)
            {
                s0 += va[k] * vb[k];
            }

            result = Vector.Sum(s0 + s1);
            i = va.Length * Vector<double>.Count;
        }

        for (; i < n; i++)
        {
            result += a[i] * b[i];
        }

        return result;
    }

    /// <summary>y += w·x.</summary>
    public static void Axpy(double w, ReadOnlySpan<double> x, Span<double> y)
    {
        var n = x.Length;
        y = y[..n];
        var i = 0;
        if (Vector.IsHardwareAccelerated && n >= Vector<double>.Count)
        {
            var vx = MemoryMarshal.Cast<double, Vector<double>>(x);
            var vy = MemoryMarshal.Cast<double, Vector<double>>(y);
            var vw = new Vector<double>(w);
            for (var k = 0; k < vx.Length; k++)
            {
                vy[k] += vw * vx[k];
            }

            i = vx.Length * Vector<double>.Count;
        }

        for (; i < n; i++)
        {
            y[i] += w * x[i];
        }
    }

    /// <summary>
    /// Replaces the full symmetric positive-definite n×n matrix <paramref name="a"/> with its inverse
    /// (Cholesky A = LLᵀ, then A⁻¹ = L⁻ᵀL⁻¹). Returns false, leaving <paramref name="a"/> undefined, when A is not
    /// numerically positive definite.
    /// </summary>
    public static bool InvertSpd(double[] a, int n, CancellationToken cancellationToken)
    {
        if (a.Length < n * n)
        {
            throw new ArgumentException("The matrix is smaller than n×n.", nameof(a));
        }

        if (!CholeskyInPlace(a, n, cancellationToken))
        {
            return false;
        }

        // U = L⁻ᵀ (upper triangular), row j = column j of L⁻¹: U[j,j] = 1/L[j,j],
        // U[j,i] = −(Σ_{k=j}^{i−1} L[i,k]·U[j,k]) / L[i,i] for i > j.
        var u = new double[n * n];
        for (var c0 = 0; c0 < n; c0 += Block)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var c1 = Math.Min(n, c0 + Block);
            for (var j = c0; j < c1; j++)
            {
                u[(j * n) + j] = 1 / a[(j * n) + j];
            }

            for (var i = c0 + 1; i < n; i++)
            {
                var li = a.AsSpan(i * n, n);
                var inv = 1 / li[i];
                for (var j = c0; j < Math.Min(c1, i); j++)
                {
                    u[(j * n) + i] = -Dot(li[j..i], u.AsSpan((j * n) + j, i - j)) * inv;
                }
            }
        }

        // A⁻¹[p,q] = Σ_{k ≥ max(p,q)} U[p,k]·U[q,k], a dot product of two row suffixes.
        for (var p0 = 0; p0 < n; p0 += Block)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var p1 = Math.Min(n, p0 + Block);
            for (var q = p0; q < n; q++)
            {
                var uq = u.AsSpan((q * n) + q, n - q);
                for (var p = p0; p < Math.Min(p1, q + 1); p++)
                {
                    var value = Dot(u.AsSpan((p * n) + q, n - q), uq);
                    a[(p * n) + q] = value;
                    a[(q * n) + p] = value;
                }
            }
        }

        return true;
    }

    /// <summary>
    /// The lower Cholesky factor of the symmetric positive-definite <paramref name="a"/>, written over its lower triangle
    /// (the upper triangle is left as it was). Returns false when a pivot is not positive.
    /// </summary>
    public static bool CholeskyInPlace(double[] a, int n, CancellationToken cancellationToken)
    {
        for (var r0 = 0; r0 < n; r0 += Block)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var r1 = Math.Min(n, r0 + Block);

            // Columns left of the block: each finished row j is read once for the whole block of rows.
            for (var j = 0; j < r0; j++)
            {
                var lj = a.AsSpan(j * n, j);
                var pivot = a[(j * n) + j];
                for (var i = r0; i < r1; i++)
                {
                    var at = (i * n) + j;
                    a[at] = (a[at] - Dot(a.AsSpan(i * n, j), lj)) / pivot;
                }
            }

            // The block's own triangle.
            for (var i = r0; i < r1; i++)
            {
                var li = a.AsSpan(i * n, n);
                for (var j = r0; j < i; j++)
                {
                    li[j] = (li[j] - Dot(li[..j], a.AsSpan(j * n, j))) / a[(j * n) + j];
                }

                var d = li[i] - Dot(li[..i], li[..i]);
                if (!(d > 0) || !double.IsFinite(d))
                {
                    return false;
                }

                li[i] = Math.Sqrt(d);
            }
        }

        return true;
    }

    /// <summary>
    /// Solves the small SPD system A·x = b through its Cholesky factor (A is overwritten by the factor, b by x).
    /// Returns false when A is not positive definite.
    /// </summary>
    public static bool SolveSpd(Span<double> a, Span<double> b, int n)
    {
        if (!CholeskySmall(a, n))
        {
            return false;
        }

        ForwardSubstitute(a, b, n);
        BackSubstitute(a, b, n);
        return true;
    }

    /// <summary>In-place lower Cholesky factor of a small n×n matrix (row-major). False when not positive definite.</summary>
    public static bool CholeskySmall(Span<double> a, int n)
    {
        for (var i = 0; i < n; i++)
        {
            var li = a.Slice(i * n, n);
            for (var j = 0; j < i; j++)
            {
                li[j] = (li[j] - Dot(li[..j], a.Slice(j * n, j))) / a[(j * n) + j];
            }

            var d = li[i] - Dot(li[..i], li[..i]);
            if (!(d > 0) || !double.IsFinite(d))
            {
                return false;
            }

            li[i] = Math.Sqrt(d);
        }

        return true;
    }

    /// <summary>b ← L⁻¹b for the lower factor L stored in <paramref name="l"/>.</summary>
    public static void ForwardSubstitute(ReadOnlySpan<double> l, Span<double> b, int n)
    {
        for (var i = 0; i < n; i++)
        {
            b[i] = (b[i] - Dot(l.Slice(i * n, i), b[..i])) / l[(i * n) + i];
        }
    }

    /// <summary>b ← L⁻ᵀb for the lower factor L stored in <paramref name="l"/>.</summary>
    public static void BackSubstitute(ReadOnlySpan<double> l, Span<double> b, int n)
    {
        for (var i = n - 1; i >= 0; i--)
        {
            var sum = b[i];
            for (var k = i + 1; k < n; k++)
            {
                sum -= l[(k * n) + i] * b[k];
            }

            b[i] = sum / l[(i * n) + i];
        }
    }
}
