using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Serverless.Recommendations.Catalog;
using Serverless.Recommendations.Feedback;
using Serverless.Recommendations.Serving;

namespace Serverless.Recommendations.Events;

/// <summary>Validates a batch of a user's events, stores the valid ones and tells the observers.</summary>
public interface IEventIngestion
{
    Task<EventBatchResponse> IngestAsync(string userId, IReadOnlyList<EventInput?> events, CancellationToken cancellationToken);
}

internal sealed partial class EventIngestion(
    EventStore store,
    VideoDirectoryAccessor catalog,
    CatalogCache readyVideos,
    IEnumerable<IEventObserver> observers,
    IOptions<EventsOptions> options,
    TimeProvider time,
    ILogger<EventIngestion> logger) : IEventIngestion
{
    public async Task<EventBatchResponse> IngestAsync(string userId, IReadOnlyList<EventInput?> events, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var rejected = new List<EventIssue>();
        var valid = new List<(int Index, AcceptedEvent Event)>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var index = 0; index < events.Count; index++)
        {
            var reason = Validate(events[index], now, out var accepted);
            if (reason is null && !seen.Add(accepted!.EventId))
            {
                reason = EventReasons.DuplicateInBatch;
            }

            if (reason is not null)
            {
                rejected.Add(new EventIssue(index, reason));
            }
            else
            {
                valid.Add((index, accepted!));
            }
        }

        var flagged = new List<EventIssue>();
        var videoIds = valid.Select(v => v.Event.VideoId).OfType<string>().Distinct(StringComparer.Ordinal).ToList();
        if (videoIds.Count > 0)
        {
            // Events are almost always about Ready videos, which the serving cache already lists: only the others
            // (not Ready yet, or unknown) cost a catalog read.
            var ready = (await readyVideos.GetAsync(cancellationToken).ConfigureAwait(false)).ById;
            var others = videoIds.Where(id => !ready.ContainsKey(id)).ToList();
            var directory = catalog.Directory;
            var exists = await Task.WhenAll(others.Select(id => directory.ExistsAsync(id, cancellationToken))).ConfigureAwait(false);
            var unknown = others.Where((_, k) => !exists[k]).ToHashSet(StringComparer.Ordinal);
            for (var k = 0; k < valid.Count; k++)
            {
                if (valid[k].Event.VideoId is { } id && unknown.Contains(id))
                {
                    valid[k] = (valid[k].Index, valid[k].Event with { UnknownVideo = true });
                    flagged.Add(new EventIssue(valid[k].Index, EventReasons.UnknownVideo));
                }
            }
        }

        var stored = valid.Select(v => v.Event).ToList();
        if (stored.Count > 0)
        {
            await store.WriteAsync(userId, stored, now, cancellationToken).ConfigureAwait(false);
            foreach (var observer in observers)
            {
                await observer.OnAcceptedAsync(userId, stored, cancellationToken).ConfigureAwait(false);
            }
        }

        LogIngested(userId, stored.Count, rejected.Count, flagged.Count);
        return new EventBatchResponse(stored.Count, rejected, flagged);
    }

    private string? Validate(EventInput? input, DateTimeOffset now, out AcceptedEvent? accepted)
    {
        accepted = null;
        if (input is null)
        {
            return EventReasons.Missing;
        }

        if (!IsId(input.EventId))
        {
            return EventReasons.BadEventId;
        }

        if (!EventTypes.TryParse(input.Type, out var type))
        {
            return EventReasons.BadType;
        }

        var template = EventTypes.IsTemplateEvent(type);
        if (template ? !IsId(input.TemplateId) : !IsId(input.VideoId))
        {
            return template ? EventReasons.BadTemplateId : EventReasons.BadVideoId;
        }

        if (input.WatchedSeconds is { } watched && (!double.IsFinite(watched) || watched < 0 || watched > 86_400))
        {
            return EventReasons.BadWatchedSeconds;
        }

        if (input.OccurredAt is null
            || !DateTimeOffset.TryParse(input.OccurredAt, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at))
        {
            return EventReasons.BadOccurredAt;
        }

        if (at > now.AddMinutes(options.Value.MaxClockSkewMinutes))
        {
            return EventReasons.TooFarInFuture;
        }

        if (at < now.AddDays(-options.Value.MaxEventAgeDays))
        {
            return EventReasons.TooOld;
        }

        accepted = new AcceptedEvent(
            input.EventId!, type, template ? null : input.VideoId, template ? input.TemplateId : null, input.WatchedSeconds, at, false);
        return null;
    }

    /// <summary>Ids are 1–128 characters of letters, digits, '-', '_', '.' or ':'.</summary>
    internal static bool IsId(string? id) =>
        id is { Length: > 0 and <= 128 } && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ':');

    [LoggerMessage(EventId = 4000, Level = LogLevel.Debug, Message = "Events from {UserId}: {Accepted} accepted, {Rejected} rejected, {Flagged} flagged")]
    private partial void LogIngested(string userId, int accepted, int rejected, int flagged);
}
