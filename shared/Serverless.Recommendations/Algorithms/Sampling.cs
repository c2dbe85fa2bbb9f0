namespace Serverless.Recommendations.Algorithms;

/// <summary>
/// A small counter-based generator (splitmix64) for Gibbs sampling: every row of every sweep gets its own stream from
/// (seed, sweep, block, row), so a parallel sweep draws the same numbers whatever the thread timing.
/// </summary>
internal struct SplitMix64
{
    private ulong _state;
    private double _spare;
    private bool _hasSpare;

    public SplitMix64(int seed, int sweep, int block, int row)
    {
        _state = Mix(((ulong)(uint)seed << 32) ^ (uint)sweep) ^ Mix(((ulong)(uint)block << 32) ^ (uint)row ^ 0x9E3779B97F4A7C15UL);
        _spare = 0;
        _hasSpare = false;
    }

    public ulong Next()
    {
        _state += 0x9E3779B97F4A7C15UL;
        return Mix(_state);
    }

    /// <summary>Uniform in [0, 1).</summary>
    public double NextDouble() => (Next() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Standard normal (Box–Muller, both values used).</summary>
    public double NextGaussian()
    {
        if (_hasSpare)
        {
            _hasSpare = false;
            return _spare;
        }

        var u1 = 1.0 - NextDouble();
        var u2 = NextDouble();
        var radius = Math.Sqrt(-2.0 * Math.Log(u1));
        _spare = radius * Math.Sin(2 * Math.PI * u2);
        _hasSpare = true;
        return radius * Math.Cos(2 * Math.PI * u2);
    }

    /// <summary>Gamma(shape, rate) by Marsaglia and Tsang (2000); shape &lt; 1 through the usual U^(1/shape) boost.</summary>
    public double NextGamma(double shape, double rate)
    {
        if (shape < 1)
        {
            return NextGamma(shape + 1, rate) * Math.Pow(1.0 - NextDouble(), 1 / shape);
        }

        var d = shape - (1.0 / 3);
        var c = 1 / Math.Sqrt(9 * d);
        while (true)
        {
            double x;
            double v;
            do
            {
                x = NextGaussian();
                v = 1 + (c * x);
            }
            while (v <= 0);

            v = v * v * v;
            var u = 1.0 - NextDouble();
            if (Math.Log(u) < (0.5 * x * x) + d - (d * v) + (d * Math.Log(v)))
            {
                return d * v / rate;
            }
        }
    }

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
