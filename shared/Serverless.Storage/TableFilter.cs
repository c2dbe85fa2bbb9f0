using System.Globalization;

namespace Serverless.Storage;

/// <summary>Builds OData filters for table queries, escaping values.</summary>
public static class TableFilter
{
    public static string PartitionEquals(string partitionKey) => Equal("PartitionKey", partitionKey);

    public static string Equal(string property, string value) => $"{property} eq {Quote(value)}";

    public static string Equal(string property, bool value) => $"{property} eq {(value ? "true" : "false")}";

    public static string Compare(string property, string op, string value) => $"{property} {Op(op)} {Quote(value)}";

    public static string Compare(string property, string op, long value) =>
        $"{property} {Op(op)} {value.ToString(CultureInfo.InvariantCulture)}L";

    public static string Compare(string property, string op, DateTimeOffset value) =>
        $"{property} {Op(op)} datetime'{value.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffffffZ", CultureInfo.InvariantCulture)}'";

    public static string And(params string?[] filters)
    {
        var parts = filters.Where(f => !string.IsNullOrEmpty(f)).Select(f => $"({f})").ToArray();
        return string.Join(" and ", parts);
    }

    public static string Or(params string?[] filters)
    {
        var parts = filters.Where(f => !string.IsNullOrEmpty(f)).Select(f => $"({f})").ToArray();
        return string.Join(" or ", parts);
    }

    /// <summary>Rows of a partition whose row key starts with <paramref name="prefix"/>.</summary>
    public static string RowKeyPrefix(string partitionKey, string prefix) => And(
        PartitionEquals(partitionKey),
        Compare("RowKey", "ge", prefix),
        Compare("RowKey", "lt", prefix + '\uffff'));

    private static string Quote(string value) => "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";

    private static string Op(string op) => op switch
    {
        "eq" or "ne" or "gt" or "ge" or "lt" or "le" => op,
        _ => throw new ArgumentOutOfRangeException(nameof(op), op, "Use eq, ne, gt, ge, lt or le."),
    };
}
