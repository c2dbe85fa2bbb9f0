using Serverless.Storage;

namespace Serverless.Templates.Library;

internal static class TableRowExtensions
{
    /// <summary>A date property. The table client hands dates back as UTC <see cref="DateTime"/> values, which
    /// <see cref="TableRow.GetDateTimeOffset"/> does not read.</summary>
    public static DateTimeOffset? GetInstant(this TableRow row, string name) => row.Properties.GetValueOrDefault(name) switch
    {
        DateTimeOffset value => value,
        DateTime value => new DateTimeOffset(DateTime.SpecifyKind(value, DateTimeKind.Utc)),
        _ => null,
    };
}
