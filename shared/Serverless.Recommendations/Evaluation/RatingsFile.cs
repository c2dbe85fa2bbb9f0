using System.Globalization;
using Serverless.Recommendations.Algorithms;

namespace Serverless.Recommendations.Evaluation;

/// <summary>A rating data set with its id maps.</summary>
internal sealed record RatingDataset(string[] UserIds, string[] ItemIds, RatingMatrix Matrix);

/// <summary>One line of a ratings file with its time (a Unix timestamp in seconds, as MovieLens writes it).</summary>
internal readonly record struct TimedRating(string User, string Item, float Rating, DateTimeOffset At);

/// <summary>
/// Reads <c>user item rating [timestamp]</c> lines separated by a tab, a comma or <c>::</c> (the layouts the public
/// MovieLens files use: u.data, ratings.csv, ratings.dat), or by spaces. Blank lines, <c>#</c> comments and a header line
/// are skipped. <see cref="ReadTimed"/> keeps each line's timestamp.
/// </summary>
internal static class RatingsFile
{
    public static RatingDataset Read(TextReader reader)
    {
        var users = new Dictionary<string, int>(StringComparer.Ordinal);
        var items = new Dictionary<string, int>(StringComparer.Ordinal);
        var us = new List<int>();
        var its = new List<int>();
        var vs = new List<float>();
        foreach (var (parts, rating, _) in Lines(reader, timed: false))
        {
            us.Add(Index(users, parts[0].Trim()));
            its.Add(Index(items, parts[1].Trim()));
            vs.Add(rating);
        }

        var userIds = new string[users.Count];
        foreach (var (id, index) in users)
        {
            userIds[index] = id;
        }

        var itemIds = new string[items.Count];
        foreach (var (id, index) in items)
        {
            itemIds[index] = id;
        }

        return new RatingDataset(userIds, itemIds, RatingMatrix.FromTriples(users.Count, items.Count, us.ToArray(), its.ToArray(), vs.ToArray()));
    }

    /// <summary>
    /// Reads <c>user item rating timestamp</c> lines in file order; the timestamp (Unix seconds) is required on every line.
    /// </summary>
    public static List<TimedRating> ReadTimed(TextReader reader)
    {
        var ratings = new List<TimedRating>();
        foreach (var (parts, rating, at) in Lines(reader, timed: true))
        {
            ratings.Add(new TimedRating(parts[0].Trim(), parts[1].Trim(), rating, at));
        }

        return ratings;
    }

    private static IEnumerable<(string[] Parts, float Rating, DateTimeOffset At)> Lines(TextReader reader, bool timed)
    {
        var lineNumber = 0;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line) || line.StartsWith('#'))
            {
                continue;
            }

            var parts = Split(line);
            if (parts.Length < (timed ? 4 : 3))
            {
                throw new FormatException(timed ? $"Line {lineNumber}: expected 'user item rating timestamp'." : $"Line {lineNumber}: expected 'user item rating [timestamp]'.");
            }

            if (!float.TryParse(parts[2], NumberStyles.Float, CultureInfo.InvariantCulture, out var rating) || !float.IsFinite(rating))
            {
                if (lineNumber == 1)
                {
                    continue; // a header such as userId,movieId,rating,timestamp
                }

                throw new FormatException($"Line {lineNumber}: '{parts[2]}' is not a number.");
            }

            var at = DateTimeOffset.UnixEpoch;
            if (timed)
            {
                if (!long.TryParse(parts[3].Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var seconds) || seconds < 0 || seconds > 253_402_300_799)
                {
                    throw new FormatException($"Line {lineNumber}: '{parts[3]}' is not a Unix timestamp in seconds.");
                }

                at = DateTimeOffset.FromUnixTimeSeconds(seconds);
            }

            yield return (parts, rating, at);
        }
    }

    private static string[] Split(string line)
    {
        if (line.Contains("::", StringComparison.Ordinal))
        {
            return line.Split("::");
        }

        if (line.Contains('\t', StringComparison.Ordinal))
        {
            return line.Split('\t');
        }

        return line.Contains(',', StringComparison.Ordinal) ? line.Split(',') : line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
    }

    private static int Index(Dictionary<string, int> map, string id)
    {
        if (!map.TryGetValue(id, out var index))
        {
            index = map.Count;
            map[id] = index;
        }

        return index;
    }
}
