using System.Globalization;
using Serverless.Storage;

namespace Serverless.WeChat;

/// <summary>Whether a call may go out now, or when to ask again.</summary>
public sealed record QuotaDecision(bool Granted, DateTimeOffset RetryAt);

/// <summary>
/// WeChat's per-app limits on the content check (calls a minute and a day), counted across every instance in the
/// <c>WeChatQuota</c> table: one row per minute and per day, incremented under ETag concurrency. A caller refused a permit
/// waits for the next window (the orchestration sleeps on a durable timer), so a burst of uploads is queued, not refused.
/// </summary>
internal sealed class CallQuota(ITableStore tables, TimeProvider time)
{
    public const string Table = "WeChatQuota";
    private const int MaxContention = 50;

    /// <summary>Takes one permit of the minute's and of the day's budget, or says when the next window opens.</summary>
    public async Task<QuotaDecision> TryTakeAsync(string api, int perMinute, int perDay, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var minute = new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, now.Minute, 0, TimeSpan.Zero);
        var day = new DateTimeOffset(now.Year, now.Month, now.Day, 0, 0, 0, TimeSpan.Zero);
        if (!await TryIncrementAsync(api, "m-" + minute.ToString("yyyyMMddHHmm", CultureInfo.InvariantCulture), perMinute, cancellationToken).ConfigureAwait(false))
        {
            return new QuotaDecision(false, minute.AddMinutes(1));
        }

        // The minute first: a day refused after the minute granted wastes one of a minute's permits, which the next minute
        // restores; the other way round a burst would waste the day's.
        if (!await TryIncrementAsync(api, "d-" + day.ToString("yyyyMMdd", CultureInfo.InvariantCulture), perDay, cancellationToken).ConfigureAwait(false))
        {
            return new QuotaDecision(false, day.AddDays(1));
        }

        return new QuotaDecision(true, now);
    }

    private async Task<bool> TryIncrementAsync(string api, string window, int limit, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var row = await tables.GetAsync(Table, api, window, cancellationToken).ConfigureAwait(false);
            var count = row?.GetInt64("Count") ?? 0;
            if (count >= limit)
            {
                return false;
            }

            var next = new TableRow(api, window, new Dictionary<string, object?> { ["Count"] = count + 1 }, row?.ETag);
            try
            {
                if (row is null)
                {
                    await tables.InsertAsync(Table, next, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    await tables.ReplaceAsync(Table, next, cancellationToken).ConfigureAwait(false);
                }

                return true;
            }
            catch (StorageException ex) when (ex is StorageConflictException or StoragePreconditionFailedException && attempt < MaxContention)
            {
                // Another caller took a permit meanwhile: read the count again.
                await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(5, 40)), cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
