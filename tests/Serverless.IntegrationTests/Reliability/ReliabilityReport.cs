using System.Text.Json;
using Xunit.Abstractions;

namespace Serverless.IntegrationTests.Reliability;

/// <summary>
/// One row of the reliability table (docs/reliability.md). <see cref="Lost"/> and <see cref="Duplicated"/> must be 0;
/// the scenario's test asserts that after recording the row, so a failing run still reports its figures.
/// </summary>
public sealed record ReliabilityRow(
    string Scenario,
    int Runs,
    int Uploads,
    int Ready,
    int FailedExpected,
    int FailedUnexpected,
    int Lost,
    int Duplicated,
    double? MaxRecoverySeconds = null,
    double? P50Ms = null,
    double? P99Ms = null,
    long? PeakMemoryBytes = null,
    string? Notes = null);

/// <summary>
/// Appends rows as JSON lines to <c>$RELIABILITY_REPORT</c> (default <c>$TEST_RESULTS_DIR/reliability.jsonl</c>), where
/// <c>./dev.sh reliability</c> reads them to print the table, and writes each row to the test's output.
/// </summary>
public static class ReliabilityReport
{
    private static readonly Lock Gate = new();
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static string? FilePath =>
        Environment.GetEnvironmentVariable("RELIABILITY_REPORT") is { Length: > 0 } path ? path
        : Environment.GetEnvironmentVariable("TEST_RESULTS_DIR") is { Length: > 0 } dir ? Path.Combine(dir, "reliability.jsonl")
        : null;

    public static void Record(ReliabilityRow row, ITestOutputHelper? output = null)
    {
        var line = JsonSerializer.Serialize(row with { Scenario = $"{row.Scenario} [{ReliabilityProfile.Current.Name}]" }, Json);
        output?.WriteLine(line);
        if (FilePath is { } path)
        {
            lock (Gate)
            {
                Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
                File.AppendAllText(path, line + Environment.NewLine);
            }
        }
    }

    /// <summary>The p-th percentile (0..100) of <paramref name="values"/> by nearest rank; null when empty.</summary>
    public static double? Percentile(IReadOnlyCollection<double> values, double p)
    {
        if (values.Count == 0)
        {
            return null;
        }

        var sorted = values.Order().ToArray();
        var rank = (int)Math.Ceiling(p / 100 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }
}
