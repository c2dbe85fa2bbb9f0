namespace Serverless.Recommendations.Algorithms;

/// <summary>Regularisation of the baseline estimates (the defaults are the usual ones for MovieLens-sized data).</summary>
/// <param name="ItemRegularization">λ of b_i: b_i = Σ_{u∈R(i)} (r_ui − μ − b_u) / (λ + |R(i)|).</param>
/// <param name="UserRegularization">λ of b_u: b_u = Σ_{i∈R(u)} (r_ui − μ − b_i) / (λ + |R(u)|).</param>
/// <param name="Epochs">Alternating passes.</param>
internal sealed record BaselineOptions(double ItemRegularization = 10, double UserRegularization = 15, int Epochs = 10);

/// <summary>
/// Baseline estimates b_ui = μ + b_u + b_i (Koren 2010, "Factor in the neighbors", §2.1), fitted by alternating
/// regularised least squares: the part of a rating that the user's and the item's general level explain, which the
/// neighbourhood models correct for before comparing users (or items).
/// </summary>
internal sealed class Baselines(float mu, float[] userBias, float[] itemBias)
{
    public float Mu => mu;

    public float[] UserBias => userBias;

    public float[] ItemBias => itemBias;

    /// <summary>μ + b_u + b_i; an unknown user or item contributes no bias.</summary>
    public float Estimate(int user, int item) =>
        mu + ((uint)user < (uint)userBias.Length ? userBias[user] : 0f) + ((uint)item < (uint)itemBias.Length ? itemBias[item] : 0f);

    public static Baselines Fit(RatingMatrix train, BaselineOptions options)
    {
        var mu = train.GlobalMean;
        var bu = new float[train.UserCount];
        var bi = new float[train.ItemCount];
        for (var epoch = 0; epoch < options.Epochs; epoch++)
        {
            for (var i = 0; i < train.ItemCount; i++)
            {
                double sum = 0;
                var users = train.UsersOf(i);
                var values = train.ItemValuesOf(i);
                for (var k = 0; k < users.Length; k++)
                {
                    sum += values[k] - mu - bu[users[k]];
                }

                bi[i] = (float)(sum / (options.ItemRegularization + users.Length));
            }

            for (var u = 0; u < train.UserCount; u++)
            {
                double sum = 0;
                var items = train.ItemsOf(u);
                var values = train.ValuesOf(u);
                for (var k = 0; k < items.Length; k++)
                {
                    sum += values[k] - mu - bi[items[k]];
                }

                bu[u] = (float)(sum / (options.UserRegularization + items.Length));
            }
        }

        return new Baselines(mu, Guard(bu), Guard(bi));
    }

    /// <summary>r_ui − b_ui for every stored entry, in the user-major order of <paramref name="m"/> and in its item-major order.</summary>
    public (float[] ByUser, float[] ByItem) Residuals(RatingMatrix m)
    {
        var byUser = new float[m.Count];
        var byItem = new float[m.Count];
        for (var u = 0; u < m.UserCount; u++)
        {
            for (var p = m.RowPtr[u]; p < m.RowPtr[u + 1]; p++)
            {
                byUser[p] = m.Values[p] - Estimate(u, m.Cols[p]);
            }
        }

        for (var i = 0; i < m.ItemCount; i++)
        {
            for (var q = m.ColPtr[i]; q < m.ColPtr[i + 1]; q++)
            {
                byItem[q] = m.ColValues[q] - Estimate(m.Rows[q], i);
            }
        }

        return (byUser, byItem);
    }

    public void Write(BinaryWriter writer)
    {
        writer.Write(mu);
        ModelIo.WriteArray(writer, userBias);
        ModelIo.WriteArray(writer, itemBias);
    }

    public static Baselines Read(BinaryReader reader) => new(reader.ReadSingle(), ModelIo.ReadFloats(reader), ModelIo.ReadFloats(reader));

    private static float[] Guard(float[] values)
    {
        for (var k = 0; k < values.Length; k++)
        {
            values[k] = ModelGuards.Finite(values[k], 0f);
        }

        return values;
    }
}
