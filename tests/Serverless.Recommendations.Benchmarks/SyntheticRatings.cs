using System.Globalization;

namespace Serverless.Recommendations.Benchmarks;

/// <summary>
/// A MovieLens-100k-shaped explicit data set with planted latent structure: 943 users, 1,682 items, 100,000 ratings 1–5,
/// at least 20 ratings per user, heavy-tailed user activity and Zipf item popularity, items chosen missing-not-at-random
/// (users rate what they like), ratings = round(2.95 + b_u + b_i + p_u·q_i + ε) clamped to 1..5; timestamps in sessions
/// over ~7 months (users arriving throughout, most of a user's ratings in a first session).
/// </summary>
internal static class SyntheticRatings
{
    public static void Write(string path, int seed, int users = 943, int items = 1682, int ratings = 100_000, int factors = 10)
    {
        var random = new Random(seed);
        double Gauss(double sd) => sd * Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
        var p = new double[users, factors];
        var q = new double[items, factors];
        var bu = new double[users];
        var bi = new double[items];
        for (var u = 0; u < users; u++)
        {
            bu[u] = Gauss(0.35);
            for (var d = 0; d < factors; d++)
            {
                p[u, d] = Gauss(0.4);
            }
        }

        var popularity = new double[items];
        var ranks = Enumerable.Range(0, items).ToArray();
        random.Shuffle(ranks);
        for (var i = 0; i < items; i++)
        {
            popularity[i] = 1.0 / Math.Pow(ranks[i] + 10, 0.9);
            bi[i] = Gauss(0.45) + (0.1 * Math.Log(popularity[i] * items));
            for (var d = 0; d < factors; d++)
            {
                q[i, d] = Gauss(0.4);
            }
        }

        // Activity: 20 + a heavy tail, scaled to the target total.
        var tail = new double[users];
        for (var u = 0; u < users; u++)
        {
            tail[u] = Math.Exp(Gauss(1.1));
        }

        var scale = (ratings - (20.0 * users)) / tail.Sum();
        var counts = tail.Select(t => Math.Min(items - 1, 20 + (int)Math.Round(t * scale))).ToArray();
        var diff = ratings - counts.Sum();
        for (var k = 0; diff != 0; k = (k + 1) % users)
        {
            var step = Math.Sign(diff);
            if (counts[k] + step >= 20 && counts[k] + step < items)
            {
                counts[k] += step;
                diff -= step;
            }
        }

        using var writer = new StreamWriter(path);
        var keys = new double[items];
        var order = new int[items];
        // Times come from their own stream, so the ratings are the same as before times were simulated. MovieLens-like (an
        // assumption, not MovieLens's own distribution): users arrive over ~7 months, rate most in a first session, and
        // come back for later sessions (each next rating starts one with probability 3 %, after an exponential gap of
        // mean 20 days, never past the span); ratings within a session are 1–600 s apart.
        var timing = new Random(unchecked((seed * 31) + 7));
        const long start = 874_724_710L, span = 215L * 86_400;
        for (var u = 0; u < users; u++)
        {
            var session = start + (long)(timing.NextDouble() * 200 * 86_400);
            var time = session;
            for (var i = 0; i < items; i++)
            {
                var affinity = bi[i];
                for (var d = 0; d < factors; d++)
                {
                    affinity += p[u, d] * q[i, d];
                }

                // Efraimidis–Spirakis weighted sampling without replacement: key = ln(U)/w, keep the largest.
                var w = popularity[i] * Math.Exp(2.0 * (affinity - bi[i]) + (0.5 * bi[i]));
                keys[i] = Math.Log(1 - random.NextDouble()) / w;
                order[i] = i;
            }

            Array.Sort(keys, order);
            for (var k = items - counts[u]; k < items; k++)
            {
                var i = order[k];
                var dot = 0.0;
                for (var d = 0; d < factors; d++)
                {
                    dot += p[u, d] * q[i, d];
                }

                var r = Math.Clamp((int)Math.Round(2.95 + bu[u] + bi[i] + dot + Gauss(0.8)), 1, 5);
                time += random.Next(1, 600);
                if (timing.NextDouble() < 0.03)
                {
                    var next = session + (long)(-Math.Log(1 - timing.NextDouble()) * 20 * 86_400);
                    if (next < start + span && next > time)
                    {
                        session = next;
                        time = next;
                    }
                }

                writer.Write(string.Create(CultureInfo.InvariantCulture, $"{u + 1}\t{i + 1}\t{r}\t{time}\n"));
            }
        }
    }
}
