namespace Serverless.Recommendations.Algorithms;

/// <summary>SVD++ settings (defaults: the usual MovieLens-100k settings, with Koren's learning-rate decay).</summary>
/// <param name="Factors">Dimension f of p_u, q_i, y_j.</param>
/// <param name="Epochs">Passes over the ratings.</param>
/// <param name="LearningRate">γ for the factors (p, q, y), multiplied by <paramref name="Decay"/> after every epoch.</param>
/// <param name="Regularization">λ for the factors.</param>
/// <param name="BiasLearningRate">γ for b_u, b_i.</param>
/// <param name="BiasRegularization">λ for b_u, b_i.</param>
/// <param name="Decay">Learning-rate multiplier per epoch (Koren 2008: 0.9).</param>
/// <param name="InitStdDev">Standard deviation of the initial factors (biases start at 0).</param>
internal sealed record SvdPlusPlusOptions(
    int Factors = 20,
    int Epochs = 25,
    float LearningRate = 0.007f,
    float Regularization = 0.03f,
    float BiasLearningRate = 0.007f,
    float BiasRegularization = 0.01f,
    float Decay = 0.95f,
    float InitStdDev = 0.1f,
    int Seed = 42);

/// <summary>
/// SVD++ (Koren 2008, "Factorization meets the neighborhood"): r̂_ui = μ + b_u + b_i + q_iᵀ(p_u + |N(u)|^−½ Σ_{j∈N(u)} y_j),
/// N(u) = the items u rated in training (implicit feedback: what a user chose to rate, whatever the value), fitted by
/// stochastic gradient descent on squared error + λ(b_u² + b_i² + |p_u|² + |q_i|² + Σ|y_j|²).
/// <para>
/// Ratings are visited user by user (users, and each user's ratings, in a seeded random order). That makes the textbook
/// per-rating update exact at O(f) a rating instead of O(f·|N(u)|): each rating moves every y_j (j ∈ N(u)) by
/// γ(e·|N(u)|^−½·q_i − λy_j), so the implicit sum z_u = |N(u)|^−½ Σ y_j moves by γ(e·q_i − λz_u), which is tracked
/// directly; the y_j themselves decay by (1 − γλ) per rating and receive the accumulated γ·e·q_i terms once per user.
/// </para>
/// The trained model folds z_u into the user vector, so it is served as a plain factor model.
/// </summary>
internal sealed class SvdPlusPlusAlgorithm(SvdPlusPlusOptions? options = null) : IRecommenderAlgorithm
{
    private readonly SvdPlusPlusOptions _o = options ?? new SvdPlusPlusOptions();

    public string Name => AlgorithmNames.SvdPlusPlus;

    public bool PredictsRatings => true;

    public IRecommenderModel Fit(RatingMatrix train, CancellationToken cancellationToken)
    {
        var f = _o.Factors;
        var random = new Random(_o.Seed);
        var p = new float[train.UserCount * f];
        var q = new float[train.ItemCount * f];
        var y = new float[train.ItemCount * f];
        VectorMath.FillGaussian(p, random, _o.InitStdDev);
        VectorMath.FillGaussian(q, random, _o.InitStdDev);
        VectorMath.FillGaussian(y, random, _o.InitStdDev);
        var bu = new float[train.UserCount];
        var bi = new float[train.ItemCount];
        var mu = train.GlobalMean;
        var users = new int[train.UserCount];
        for (var u = 0; u < users.Length; u++)
        {
            users[u] = u;
        }

        var order = new int[train.Count];
        var z = new float[f];
        var acc = new float[f];
        var qOld = new float[f];
        var pz = new float[f];
        var lr = _o.LearningRate;
        var lrBias = _o.BiasLearningRate;
        for (var epoch = 0; epoch < _o.Epochs; epoch++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            random.Shuffle(users);
            var keep = 1 - (lr * _o.Regularization);
            foreach (var u in users)
            {
                var start = train.RowPtr[u];
                var n = train.RowPtr[u + 1] - start;
                if (n == 0)
                {
                    continue;
                }

                var items = train.ItemsOf(u);
                var scale = 1 / MathF.Sqrt(n);
                z.AsSpan().Clear();
                foreach (var j in items)
                {
                    VectorMath.Axpy(scale, y.AsSpan(j * f, f), z);
                }

                acc.AsSpan().Clear();
                var rowOrder = order.AsSpan(start, n);
                for (var k = 0; k < n; k++)
                {
                    rowOrder[k] = k;
                }

                random.Shuffle(rowOrder);
                var pu = p.AsSpan(u * f, f);
                foreach (var k in rowOrder)
                {
                    var i = items[k];
                    var qi = q.AsSpan(i * f, f);
                    pu.CopyTo(pz);
                    VectorMath.Axpy(1, z, pz);
                    var e = train.Values[start + k] - (mu + bu[u] + bi[i] + VectorMath.Dot(qi, pz));
                    bu[u] += lrBias * (e - (_o.BiasRegularization * bu[u]));
                    bi[i] += lrBias * (e - (_o.BiasRegularization * bi[i]));
                    qi.CopyTo(qOld);

                    // q_i += γ(e(p_u + z_u) − λq_i); p_u += γ(e·q_i − λp_u); z_u and the y accumulator as derived above.
                    VectorMath.Scale(keep, qi);
                    VectorMath.Axpy(lr * e, pz, qi);
                    VectorMath.Scale(keep, pu);
                    VectorMath.Axpy(lr * e, qOld, pu);
                    VectorMath.Scale(keep, z);
                    VectorMath.Axpy(lr * e, qOld, z);
                    VectorMath.Scale(keep, acc);
                    VectorMath.Axpy(lr * e, qOld, acc);
                }

                // y_j ← (1 − γλ)^n·y_j + |N(u)|^−½·acc: the n per-rating updates of every j ∈ N(u) at once.
                var decay = MathF.Pow(keep, n);
                foreach (var j in items)
                {
                    var yj = y.AsSpan(j * f, f);
                    VectorMath.Scale(decay, yj);
                    VectorMath.Axpy(scale, acc, yj);
                }
            }

            lr *= _o.Decay;
            lrBias *= _o.Decay;
        }

        // Serve p_u + z_u as the user vector.
        for (var u = 0; u < train.UserCount; u++)
        {
            var items = train.ItemsOf(u);
            if (items.Length == 0)
            {
                continue;
            }

            var scale = 1 / MathF.Sqrt(items.Length);
            var pu = p.AsSpan(u * f, f);
            foreach (var j in items)
            {
                VectorMath.Axpy(scale, y.AsSpan(j * f, f), pu);
            }
        }

        FactorModel.Sanitize(p);
        FactorModel.Sanitize(q);
        FactorModel.Sanitize(bu);
        FactorModel.Sanitize(bi);
        var min = train.Count == 0 ? 0 : train.Values.Min();
        var max = train.Count == 0 ? 0 : train.Values.Max();
        return new FactorModel(AlgorithmNames.SvdPlusPlus, f, mu, bu, bi, p, q, min, max);
    }
}
