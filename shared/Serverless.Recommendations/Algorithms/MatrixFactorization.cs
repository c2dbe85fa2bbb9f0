namespace Serverless.Recommendations.Algorithms;

/// <summary>Biased matrix factorisation for explicit ratings (SVD-style, Funk/Koren), fitted by stochastic gradient descent.</summary>
internal sealed record BiasedMfOptions(int Factors = 50, int Epochs = 40, float LearningRate = 0.01f, float Regularization = 0.1f, float InitStdDev = 0.1f, int Seed = 42);

/// <summary>r̂(u,i) = μ + b_u + b_i + p_u·q_i, minimising squared error + λ(b_u² + b_i² + |p_u|² + |q_i|²) by SGD in a seeded random order.</summary>
internal sealed class BiasedMfAlgorithm(BiasedMfOptions? options = null) : IRecommenderAlgorithm
{
    private readonly BiasedMfOptions _o = options ?? new BiasedMfOptions();

    public string Name => AlgorithmNames.BiasedMf;

    public bool PredictsRatings => true;

    public IRecommenderModel Fit(RatingMatrix train, CancellationToken cancellationToken)
    {
        var f = _o.Factors;
        var random = new Random(_o.Seed);
        var p = new float[train.UserCount * f];
        var q = new float[train.ItemCount * f];
        VectorMath.FillGaussian(p, random, _o.InitStdDev);
        VectorMath.FillGaussian(q, random, _o.InitStdDev);
        var bu = new float[train.UserCount];
        var bi = new float[train.ItemCount];
        var mu = train.GlobalMean;
        var n = train.Count;
        var userOf = new int[n];
        for (var u = 0; u < train.UserCount; u++)
        {
            userOf.AsSpan(train.RowPtr[u], train.RowPtr[u + 1] - train.RowPtr[u]).Fill(u);
        }

        var order = new int[n];
        for (var k = 0; k < n; k++)
        {
            order[k] = k;
        }

        var lr = _o.LearningRate;
        var reg = _o.Regularization;
        var pu = new float[f];
        for (var epoch = 0; epoch < _o.Epochs; epoch++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            random.Shuffle(order);
            foreach (var k in order)
            {
                var u = userOf[k];
                var i = train.Cols[k];
                var pv = p.AsSpan(u * f, f);
                var qv = q.AsSpan(i * f, f);
                var err = train.Values[k] - (mu + bu[u] + bi[i] + VectorMath.Dot(pv, qv));
                bu[u] += lr * (err - (reg * bu[u]));
                bi[i] += lr * (err - (reg * bi[i]));
                pv.CopyTo(pu);

                // p_u += lr(err·q_i − λp_u); q_i += lr(err·p_u − λq_i), both from the old values.
                VectorMath.Scale(1 - (lr * reg), pv);
                VectorMath.Axpy(lr * err, qv, pv);
                VectorMath.Scale(1 - (lr * reg), qv);
                VectorMath.Axpy(lr * err, pu, qv);
            }
        }

        var min = n == 0 ? 0 : train.Values.Min();
        var max = n == 0 ? 0 : train.Values.Max();
        return new FactorModel(AlgorithmNames.BiasedMf, f, mu, bu, bi, p, q, min, max);
    }
}

/// <summary>Implicit-feedback ALS (Hu, Koren &amp; Volinsky 2008) with the conjugate-gradient solver of Takács et al. 2011.</summary>
/// <param name="Alpha">Confidence c = 1 + α·r for an observed preference r.</param>
/// <param name="Binary">Every observed entry has r = 1 (confidence 1 + α), whatever its value: "interacted or not".</param>
/// <param name="FrequencyScaling">ν of the frequency-scaled regularisation λ·(n_r/n̄)^ν (Rendle et al. 2021, "Revisiting the performance of iALS"), n_r = the row's observed entries, n̄ their mean over rows: 0 = the same λ for every row.</param>
internal sealed record ImplicitAlsOptions(
    int Factors = 32,
    int Iterations = 12,
    float Regularization = 0.1f,
    float Alpha = 10f,
    int CgSteps = 3,
    float InitStdDev = 0.01f,
    int Seed = 42,
    bool Binary = false,
    float FrequencyScaling = 0f);

/// <summary>
/// Minimises Σ c_ui (p_ui − x_u·y_i)² + λ(|x_u|² + |y_i|²) over all user–item pairs (p = 1 when observed, else 0),
/// alternating users and items; each row is a few warm-started CG steps on (YᵀY + Yᵀ(C_u − I)Y + λI)x = YᵀC_u p_u.
/// </summary>
internal sealed class ImplicitAlsAlgorithm(ImplicitAlsOptions? options = null) : IRecommenderAlgorithm
{
    private readonly ImplicitAlsOptions _o = options ?? new ImplicitAlsOptions();

    public string Name => AlgorithmNames.ImplicitAls;

    public bool PredictsRatings => false;

    public IRecommenderModel Fit(RatingMatrix train, CancellationToken cancellationToken)
    {
        var f = _o.Factors;
        var random = new Random(_o.Seed);
        var x = new float[train.UserCount * f];
        var y = new float[train.ItemCount * f];
        VectorMath.FillGaussian(x, random, _o.InitStdDev);
        VectorMath.FillGaussian(y, random, _o.InitStdDev);
        var confidence = new float[train.Count];
        var confidenceT = new float[train.Count];
        for (var k = 0; k < train.Count; k++)
        {
            confidence[k] = 1 + (_o.Alpha * (_o.Binary ? 1 : Math.Max(0, train.Values[k])));
            confidenceT[k] = 1 + (_o.Alpha * (_o.Binary ? 1 : Math.Max(0, train.ColValues[k])));
        }

        for (var it = 0; it < _o.Iterations; it++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Solve(x, y, train.UserCount, train.RowPtr, train.Cols, confidence, cancellationToken);
            Solve(y, x, train.ItemCount, train.ColPtr, train.Rows, confidenceT, cancellationToken);
        }

        return new FactorModel(AlgorithmNames.ImplicitAls, f, 0, new float[train.UserCount], new float[train.ItemCount], x, y, float.MinValue, float.MaxValue);
    }

    private void Solve(float[] target, float[] fixedFactors, int rows, int[] ptr, int[] idx, float[] conf, CancellationToken cancellationToken)
    {
        var f = _o.Factors;
        var others = fixedFactors.Length / f;

        // λ per row: λ·(n_r/n̄)^ν with n̄ the mean number of entries of a row that has any (ν = 0: λ for every row).
        var nonEmpty = 0;
        for (var row = 0; row < rows; row++)
        {
            nonEmpty += ptr[row + 1] > ptr[row] ? 1 : 0;
        }

        var meanDegree = nonEmpty > 0 ? (double)ptr[rows] / nonEmpty : 1;

        // YᵀY, shared by every row (each row adds its own λ).
        var yty = new double[f * f];
        for (var j = 0; j < others; j++)
        {
            var v = fixedFactors.AsSpan(j * f, f);
            for (var a = 0; a < f; a++)
            {
                var va = v[a];
                for (var b = a; b < f; b++)
                {
                    yty[(a * f) + b] += va * v[b];
                }
            }
        }

        var gram = new float[f * f];
        for (var a = 0; a < f; a++)
        {
            for (var b = a; b < f; b++)
            {
                var value = (float)yty[(a * f) + b];
                gram[(a * f) + b] = value;
                gram[(b * f) + a] = value;
            }
        }

        Parallel.For(
            0,
            rows,
            new ParallelOptions { CancellationToken = cancellationToken, MaxDegreeOfParallelism = Environment.ProcessorCount },
            () => new float[4 * f],
            (u, _, scratch) =>
            {
                var xu = target.AsSpan(u * f, f);
                var r = scratch.AsSpan(0, f);
                var p = scratch.AsSpan(f, f);
                var ap = scratch.AsSpan(2 * f, f);
                var degree = ptr[u + 1] - ptr[u];
                var lambda = _o.FrequencyScaling == 0 ? _o.Regularization : (float)(_o.Regularization * Math.Pow(Math.Max(degree, 1) / meanDegree, _o.FrequencyScaling));
                MatVec(gram, xu, r, f);
                VectorMath.Axpy(lambda, xu, r);
                for (var d = 0; d < f; d++)
                {
                    r[d] = -r[d];
                }

                for (var k = ptr[u]; k < ptr[u + 1]; k++)
                {
                    var yi = fixedFactors.AsSpan(idx[k] * f, f);
                    var c = conf[k];
                    VectorMath.Axpy(c - ((c - 1) * VectorMath.Dot(yi, xu)), yi, r);
                }

                r.CopyTo(p);
                var rsOld = VectorMath.Dot(r, r);
                for (var step = 0; step < _o.CgSteps && rsOld > 1e-12f; step++)
                {
                    MatVec(gram, p, ap, f);
                    VectorMath.Axpy(lambda, p, ap);
                    for (var k = ptr[u]; k < ptr[u + 1]; k++)
                    {
                        var yi = fixedFactors.AsSpan(idx[k] * f, f);
                        VectorMath.Axpy((conf[k] - 1) * VectorMath.Dot(yi, p), yi, ap);
                    }

                    var pAp = VectorMath.Dot(p, ap);
                    if (!(pAp > 0))
                    {
                        break;
                    }

                    var alpha = rsOld / pAp;
                    VectorMath.Axpy(alpha, p, xu);
                    VectorMath.Axpy(-alpha, ap, r);
                    var rsNew = VectorMath.Dot(r, r);
                    var beta = rsNew / rsOld;
                    for (var d = 0; d < f; d++)
                    {
                        p[d] = r[d] + (beta * p[d]);
                    }

                    rsOld = rsNew;
                }

                for (var d = 0; d < f; d++)
                {
                    if (!float.IsFinite(xu[d]))
                    {
                        xu[d] = 0;
                    }
                }

                return scratch;
            },
            _ => { });
    }

    private static void MatVec(float[] m, ReadOnlySpan<float> v, Span<float> result, int f)
    {
        for (var a = 0; a < f; a++)
        {
            result[a] = VectorMath.Dot(m.AsSpan(a * f, f), v);
        }
    }
}

/// <summary>A latent-factor model: μ + b_u + b_i + x_u·y_i (biases zero for implicit ALS), clamped to the training range.</summary>
internal sealed class FactorModel(string algorithm, int factors, float mu, float[] userBias, float[] itemBias, float[] userFactors, float[] itemFactors, float min, float max)
    : IRecommenderModel
{
    public string Algorithm => algorithm;

    public int UserCount => userBias.Length;

    public int ItemCount => itemBias.Length;

    public int Factors => factors;

    public float[] ItemFactors => itemFactors;

    public float Predict(int user, int item)
    {
        var knownUser = (uint)user < (uint)UserCount;
        var knownItem = (uint)item < (uint)ItemCount;
        var estimate = mu + (knownUser ? userBias[user] : 0) + (knownItem ? itemBias[item] : 0);
        if (knownUser && knownItem)
        {
            estimate += VectorMath.Dot(userFactors.AsSpan(user * factors, factors), itemFactors.AsSpan(item * factors, factors));
        }

        return Math.Clamp(ModelGuards.Finite(estimate, mu), min, max);
    }

    public void Score(int user, Span<float> scores)
    {
        if ((uint)user >= (uint)UserCount)
        {
            itemBias.AsSpan().CopyTo(scores);
            return;
        }

        VectorMath.ScoreAll(userFactors.AsSpan(user * factors, factors), itemFactors, factors, scores);
        var bias = mu + userBias[user];
        for (var i = 0; i < scores.Length; i++)
        {
            scores[i] = ModelGuards.Finite(scores[i] + bias + itemBias[i], float.NegativeInfinity);
        }
    }

    public void Write(BinaryWriter writer)
    {
        writer.Write(factors);
        writer.Write(mu);
        writer.Write(min);
        writer.Write(max);
        ModelIo.WriteArray(writer, userBias);
        ModelIo.WriteArray(writer, itemBias);
        ModelIo.WriteArray(writer, userFactors);
        ModelIo.WriteArray(writer, itemFactors);
    }

    /// <summary>Replaces NaN/∞ parameters with 0 (a diverged fit must never reach a prediction).</summary>
    public static void Sanitize(Span<float> values)
    {
        foreach (ref var v in values)
        {
            if (!float.IsFinite(v))
            {
                v = 0;
            }
        }
    }

    public static FactorModel Read(string algorithm, BinaryReader reader)
    {
        var factors = reader.ReadInt32();
        var mu = reader.ReadSingle();
        var min = reader.ReadSingle();
        var max = reader.ReadSingle();
        var bu = ModelIo.ReadFloats(reader);
        var bi = ModelIo.ReadFloats(reader);
        var p = ModelIo.ReadFloats(reader);
        var q = ModelIo.ReadFloats(reader);
        if (factors <= 0 || p.Length != bu.Length * factors || q.Length != bi.Length * factors)
        {
            throw new InvalidDataException("The factor model's arrays do not match its sizes.");
        }

        return new FactorModel(algorithm, factors, mu, bu, bi, p, q, min, max);
    }
}
