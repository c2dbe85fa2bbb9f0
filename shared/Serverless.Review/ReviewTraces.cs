using Serverless.Storage;
using Serverless.WeChat.Push;

namespace Serverless.Review;

/// <summary>Who gave a verdict.</summary>
public enum VerdictSource
{
    /// <summary>WeChat's push for one sample (<see cref="ReviewVerdict.TraceId"/> names it).</summary>
    WeChat,

    /// <summary>An operator's decision on the whole video: final.</summary>
    Operator,

    /// <summary>The owner deleted the video while it waited: the review ends.</summary>
    Withdrawn,
}

/// <summary>The external event a waiting review receives (event name <see cref="EventName"/>).</summary>
public sealed record ReviewVerdict(VerdictSource Source, MediaCheckSuggest Suggestion, string? TraceId, int? Label, string? Reason)
{
    public const string EventName = "ReviewVerdict";
}

/// <summary>One submitted sample as <see cref="ReviewTraces"/> knows it.</summary>
/// <param name="VideoId">The video it belongs to; null when the push came before the submission was recorded.</param>
/// <param name="Verdict">WeChat's verdict; null until the push came.</param>
public sealed record TraceRecord(string TraceId, string? VideoId, string? Sample, ReviewVerdict? Verdict);

/// <summary>What recording one side of a trace found of the other.</summary>
/// <param name="IsNew">False when this exact side was recorded before (a retried submission, a repeated push).</param>
public sealed record TraceWrite(TraceRecord Trace, bool IsNew);

/// <summary>
/// The <c>ReviewTraces</c> table: trace id → the sample and video it checks, and WeChat's verdict once pushed. The submission
/// and the push may arrive in either order: each is written under ETag concurrency, so exactly one of the two writers sees
/// both halves and raises the verdict to the video's orchestration (a repeat raises nothing new: the orchestration ignores
/// verdicts for samples it already has).
/// </summary>
internal sealed class ReviewTraces(ITableStore tables, TimeProvider time)
{
    public const string Table = "ReviewTraces";
    private const string RowKey = "trace";
    private const int MaxContention = 20;

    public Task<TraceWrite> RecordSubmissionAsync(string traceId, string videoId, string sample, CancellationToken cancellationToken) =>
        WriteAsync(
            traceId,
            row => row?.GetString("VideoId") is not null,
            props =>
            {
                props["VideoId"] = videoId;
                props["Sample"] = sample;
                props["SubmittedAt"] = time.GetUtcNow();
            },
            cancellationToken);

    public Task<TraceWrite> RecordVerdictAsync(string traceId, MediaCheckSuggest suggestion, int? label, CancellationToken cancellationToken) =>
        WriteAsync(
            traceId,
            row => row?.GetString("Suggestion") is not null,
            props =>
            {
                props["Suggestion"] = suggestion.ToString();
                props["Label"] = label;
                props["VerdictAt"] = time.GetUtcNow();
            },
            cancellationToken);

    public async Task<TraceRecord?> GetAsync(string traceId, CancellationToken cancellationToken)
    {
        var row = IsValidKey(traceId) ? await tables.GetAsync(Table, traceId, RowKey, cancellationToken).ConfigureAwait(false) : null;
        return row is null ? null : FromRow(row);
    }

    /// <summary>Trace ids are WeChat's (hex and dashes); anything else is not a key we could have written.</summary>
    public static bool IsValidKey(string? traceId) =>
        !string.IsNullOrEmpty(traceId) && traceId.Length <= 128 && traceId.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');

    private async Task<TraceWrite> WriteAsync(string traceId, Func<TableRow?, bool> alreadyWritten, Action<Dictionary<string, object?>> write, CancellationToken cancellationToken)
    {
        if (!IsValidKey(traceId))
        {
            throw new ArgumentException("Not a WeChat trace id.", nameof(traceId));
        }

        for (var attempt = 0; ; attempt++)
        {
            var row = await tables.GetAsync(Table, traceId, RowKey, cancellationToken).ConfigureAwait(false);
            if (alreadyWritten(row))
            {
                return new TraceWrite(FromRow(row!), IsNew: false);
            }

            var props = row is null ? [] : new Dictionary<string, object?>(row.Properties);
            write(props);
            var next = new TableRow(traceId, RowKey, props, row?.ETag);
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

                return new TraceWrite(FromRow(next), IsNew: true);
            }
            catch (StorageException ex) when (ex is StorageConflictException or StoragePreconditionFailedException && attempt < MaxContention)
            {
                // The other side wrote meanwhile: read it and write again.
            }
        }
    }

    private static TraceRecord FromRow(TableRow row)
    {
        var verdict = Enum.TryParse<MediaCheckSuggest>(row.GetString("Suggestion"), out var suggestion)
            ? new ReviewVerdict(VerdictSource.WeChat, suggestion, row.PartitionKey, (int?)row.GetInt64("Label"), null)
            : null;
        return new TraceRecord(row.PartitionKey, row.GetString("VideoId"), row.GetString("Sample"), verdict);
    }
}
