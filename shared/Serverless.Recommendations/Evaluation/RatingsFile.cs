using System.Globalization;
using Serverless.Recommendations.Algorithms;

namespace Serverless.Recommendations.Evaluation;

/// <summary>A rating data set with its id maps.</summary>
internal sealed record RatingDataset(string[] UserIds, string[] ItemIds, RatingMatrix Matrix);

/// <summary>
/// Reads <c>user item rating [timestamp]</c> lines separated by a tab, a comma or <c>::</c> (the layouts the public
/// MovieLens files use: u.data, ratings.csv, ratings.dat), or by spaces. Blank lines, <c>#</c> comments and a header line
/// are skipped.
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
        var lineNumber = 0;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line) || line.StartsWith('#'))
            {
                continue;
            }

            var parts = Split(line);
            if (parts.Length < 3)
            {
                throw new FormatException($"Line {lineNumber}: expected 'user item rating [timestamp]'.");
            }

            if (!float.TryParse(parts[2], NumberStyles.Float, CultureInfo.InvariantCulture, out var rating) || !float.IsFinite(rating))
            {
                if (lineNumber == 1)
                {
                    continue; // a header such as userId,movieId,rating,timestamp
                }

                throw new FormatException($"Line {lineNumber}: '{parts[2]}' is not a number.");
            }

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
