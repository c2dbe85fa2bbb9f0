using System.Globalization;
using Serverless.Recommendations.Benchmarks;

// On-demand evaluation and benchmarks for the recommender (shared/Serverless.Recommendations/README.md).
return args switch
{
    ["evaluate", var file, .. var rest] => EvaluateCommand.Run(file, Option(rest, "--folds", 5), Option(rest, "--seed", 42), Console.Out),
    ["generate-ratings", var file, .. var rest] => Generate(file, Option(rest, "--seed", 42)),
    _ => Usage(),
};

static int Generate(string file, int seed)
{
    SyntheticRatings.Write(file, seed);
    Console.WriteLine($"Wrote a MovieLens-100k-shaped synthetic data set to {file}");
    return 0;
}

static int Option(string[] args, string name, int fallback)
{
    var at = Array.IndexOf(args, name);
    return at >= 0 && at + 1 < args.Length ? int.Parse(args[at + 1], CultureInfo.InvariantCulture) : fallback;
}

static int Usage()
{
    Console.Error.WriteLine("""
        usage:
          evaluate <ratings-file> [--folds 5] [--seed 42]   k-fold RMSE/MAE and 75/25 ranking metrics for every algorithm
          generate-ratings <file> [--seed 42]               a MovieLens-100k-shaped synthetic ratings file (tab-separated)
        """);
    return 2;
}
