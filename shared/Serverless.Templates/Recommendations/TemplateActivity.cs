using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Serverless.Storage;
using Serverless.Templates.Library;

namespace Serverless.Templates.Recommendations;

public enum TemplateActivityKind
{
    /// <summary>Event type <c>template_impression</c>: the template was shown to the user.</summary>
    Impression,

    /// <summary>Event type <c>template_use</c>: the user applied the template.</summary>
    Use,
}

/// <summary>Library-wide activity in a window: impressions and uses per template, and all impressions.</summary>
public sealed record TemplateActivityStats(
    IReadOnlyDictionary<string, int> Impressions,
    IReadOnlyDictionary<string, int> Uses,
    long TotalImpressions)
{
    public static TemplateActivityStats Empty { get; } = new(new Dictionary<string, int>(), new Dictionary<string, int>(), 0);
}

/// <summary>
/// Template impressions and uses, as fatigue, exposure caps and performance need them. The events API's
/// <c>template_impression</c> / <c>template_use</c> events are meant to be recorded here through <see cref="RecordAsync"/>.
/// </summary>
public interface ITemplateActivitySource
{
    /// <summary>Records that <paramref name="userId"/> saw or used <paramref name="templateId"/> at <paramref name="at"/>.</summary>
    Task RecordAsync(string userId, string templateId, TemplateActivityKind kind, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>Impressions per template shown to the user at or after <paramref name="since"/>.</summary>
    Task<IReadOnlyDictionary<string, int>> GetUserImpressionsAsync(string userId, DateTimeOffset since, CancellationToken cancellationToken);

    /// <summary>Impressions and uses per template, library-wide, at or after <paramref name="since"/> (may be cached briefly).</summary>
    Task<TemplateActivityStats> GetStatsAsync(DateTimeOffset since, CancellationToken cancellationToken);
}

/// <summary>
/// Activity in the <c>TemplateActivity</c> table, append-only (no counters to contend on): each record is a row in
/// the user's partition <c>u|{user}</c> (row key starts with the time, so a window is a range query) and a row in the
/// hour's partition <c>h|{yyyyMMddHH}</c> (a window is a handful of partition queries, cached for
/// <see cref="TemplateRecommendationOptions.StatsCacheSeconds"/>).
/// </summary>
internal sealed class TableTemplateActivitySource(ITableStore tables, TimeProvider time, IOptions<TemplateRecommendationOptions> options) : ITemplateActivitySource
{
    private readonly SemaphoreSlim _statsGate = new(1, 1);
    private (DateTimeOffset Since, DateTimeOffset ReadAt, TemplateActivityStats Stats)? _stats;

    public async Task RecordAsync(string userId, string templateId, TemplateActivityKind kind, DateTimeOffset at, CancellationToken cancellationToken)
    {
        var unique = Guid.NewGuid().ToString("N");
        var ticks = at.UtcTicks.ToString("D19", CultureInfo.InvariantCulture);
        var properties = new Dictionary<string, object?>
        {
            ["Template"] = templateId,
            ["Kind"] = kind.ToString(),
            ["At"] = at,
        };
        await Task.WhenAll(
            tables.InsertAsync(TemplateStorage.ActivityTable, new TableRow(UserPartition(userId), $"{ticks}|{templateId}|{unique}", properties), cancellationToken),
            tables.InsertAsync(TemplateStorage.ActivityTable, new TableRow(HourPartition(at), $"{templateId}|{kind}|{ticks}|{unique}", properties), cancellationToken))
            .ConfigureAwait(false);
    }

    public async Task<IReadOnlyDictionary<string, int>> GetUserImpressionsAsync(string userId, DateTimeOffset since, CancellationToken cancellationToken)
    {
        var filter = TableFilter.And(
            TableFilter.PartitionEquals(UserPartition(userId)),
            TableFilter.Compare("RowKey", "ge", since.UtcTicks.ToString("D19", CultureInfo.InvariantCulture)));
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        await foreach (var row in tables.QueryAsync(TemplateStorage.ActivityTable, filter, cancellationToken).ConfigureAwait(false))
        {
            if (row.GetString("Kind") == nameof(TemplateActivityKind.Impression) && row.GetString("Template") is { } template)
            {
                counts[template] = counts.GetValueOrDefault(template) + 1;
            }
        }

        return counts;
    }

    public async Task<TemplateActivityStats> GetStatsAsync(DateTimeOffset since, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var maxAge = TimeSpan.FromSeconds(options.Value.StatsCacheSeconds);
        if (_stats is { } cached && cached.Since <= since + maxAge && since <= cached.Since + maxAge && now - cached.ReadAt < maxAge)
        {
            return cached.Stats;
        }

        await _statsGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var impressions = new Dictionary<string, int>(StringComparer.Ordinal);
            var uses = new Dictionary<string, int>(StringComparer.Ordinal);
            long total = 0;
            var hours = new List<string>();
            for (var hour = new DateTimeOffset(since.UtcDateTime.Date.AddHours(since.UtcDateTime.Hour), TimeSpan.Zero); hour <= now; hour = hour.AddHours(1))
            {
                hours.Add(HourPartition(hour));
            }

            var pages = await Task.WhenAll(hours.Select(async partition =>
            {
                var rows = new List<TableRow>();
                await foreach (var row in tables.QueryAsync(TemplateStorage.ActivityTable, TableFilter.PartitionEquals(partition), cancellationToken).ConfigureAwait(false))
                {
                    rows.Add(row);
                }

                return rows;
            })).ConfigureAwait(false);
            foreach (var row in pages.SelectMany(p => p))
            {
                if (row.GetInstant("At") is not { } at || at < since || row.GetString("Template") is not { } template)
                {
                    continue;
                }

                if (row.GetString("Kind") == nameof(TemplateActivityKind.Impression))
                {
                    impressions[template] = impressions.GetValueOrDefault(template) + 1;
                    total++;
                }
                else
                {
                    uses[template] = uses.GetValueOrDefault(template) + 1;
                }
            }

            var stats = new TemplateActivityStats(impressions, uses, total);
            _stats = (since, now, stats);
            return stats;
        }
        finally
        {
            _statsGate.Release();
        }
    }

    private static string HourPartition(DateTimeOffset at) => "h|" + at.UtcDateTime.ToString("yyyyMMddHH", CultureInfo.InvariantCulture);

    /// <summary>User ids go in keys as is when they are key-safe, else as their SHA-256.</summary>
    private static string UserPartition(string userId) =>
        "u|" + (userId.Length <= 128 && userId.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '@')
            ? userId
            : Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(userId))));
}
