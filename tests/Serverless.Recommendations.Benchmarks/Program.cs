using System.Globalization;
using Serverless.Recommendations.Benchmarks;

// On-demand evaluation and benchmarks for the recommender (shared/Serverless.Recommendations/README.md).
return args switch
{
    ["evaluate", var file, .. var rest] => EvaluateCommand.Run(file, Option(rest, "--folds", 5), Option(rest, "--seed", 42), rest.Contains("--extended"), Console.Out),
    ["rank-file", var file, .. var rest] => RankFileCommand.Run(file, Share(rest, "--evaluate-percent", 10), Share(rest, "--label-percent", 10), Option(rest, "--seed", 42), Option(rest, "--trees", 100), Option(rest, "--leaves", 15), Text(rest, "--models", "implicit-als,item-knn"), Console.Out),
    ["generate-ratings", var file, .. var rest] => Generate(file, Option(rest, "--seed", 42)),
    ["bench", .. var rest] => await BenchCommand.RunAsync(Option(rest, "--users", 100_000), Option(rest, "--videos", 20_000), Option(rest, "--events", 2_000_000), Option(rest, "--seed", 42), Console.Out),
    ["rank", .. var rest] => await RankCommand.RunAsync(Option(rest, "--users", 100_000), Option(rest, "--videos", 20_000), Option(rest, "--events", 2_000_000), Option(rest, "--seed", 42), Option(rest, "--trees", 100), Option(rest, "--leaves", 15), Console.Out),
    ["serve", var model, var port] => await BenchCommand.ServeAsync(model, int.Parse(port, CultureInfo.InvariantCulture), 100_000, 20_000, 42),
    ["load", var port, var usersFile] => await LoadCommand.RunAsync(int.Parse(port, CultureInfo.InvariantCulture), usersFile),
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

static double Share(string[] args, string name, double fallback)
{
    var at = Array.IndexOf(args, name);
    return at >= 0 && at + 1 < args.Length ? double.Parse(args[at + 1], CultureInfo.InvariantCulture) : fallback;
}

static string Text(string[] args, string name, string fallback)
{
    var at = Array.IndexOf(args, name);
    return at >= 0 && at + 1 < args.Length ? args[at + 1] : fallback;
}

static int Usage()
{
    Console.Error.WriteLine("""
        usage:
          evaluate <ratings-file> [--folds 5] [--seed 42] [--extended]
                                                            k-fold RMSE/MAE and 75/25 ranking metrics for every algorithm
                                                            (--extended: also the slower blend and longer sampling)
          rank-file <ratings-file> [--evaluate-percent 10] [--label-percent 10] [--seed 42] [--trees 100] [--leaves 15]
                    [--models implicit-als,item-knn]
                                                            the learned ranker on a 'user item rating timestamp' file: ratings mapped
                                                            to events, the timer's ranker stage with cuts at the last 10 % / 10 % of
                                                            the time span; NDCG@20/recall@20/precision@20 vs the best CF model and
                                                            the rule-composed feed, training time and memory
          generate-ratings <file> [--seed 42]               a MovieLens-100k-shaped synthetic ratings file (tab-separated)
          bench [--users 100000] [--videos 20000] [--events 2000000] [--seed 42]
                                                            training time/memory/quality, serving p99 in-process and req/s over HTTP
          rank [--users 100000] [--videos 20000] [--events 2000000] [--seed 42] [--trees 100] [--leaves 15]
                                                            the learned ranker (time split): NDCG@20/recall@20 vs the best CF model and
                                                            the rule-composed feed, training time and memory, in-process feed latency
        """);
    return 2;
}
