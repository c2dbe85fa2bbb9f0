using System.Globalization;

namespace Serverless.Playback.Benchmarks;

/// <summary>Command line: <c>--connections 32 --seconds 10 --warmup 3 --rounds 3 --clip-seconds 60</c>.</summary>
internal sealed record BenchmarkOptions(int Connections, int Seconds, int WarmupSeconds, int Rounds, int ClipSeconds)
{
    public static BenchmarkOptions Parse(string[] args)
    {
        var values = new Dictionary<string, int>(StringComparer.Ordinal)
        {
            ["--connections"] = 32,
            ["--seconds"] = 10,
            ["--warmup"] = 3,
            ["--rounds"] = 3,
            ["--clip-seconds"] = 60,
        };
        for (var i = 0; i < args.Length; i += 2)
        {
            if (!values.ContainsKey(args[i]) || i + 1 >= args.Length
                || !int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value <= 0)
            {
                throw new ArgumentException($"Unknown option or bad value near '{args[i]}'. Options: {string.Join(", ", values.Keys)} (positive integers).");
            }

            values[args[i]] = value;
        }

        return new BenchmarkOptions(values["--connections"], values["--seconds"], values["--warmup"], values["--rounds"], values["--clip-seconds"]);
    }
}
