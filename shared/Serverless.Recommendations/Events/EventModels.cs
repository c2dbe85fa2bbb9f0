using Serverless.Recommendations.Feedback;

namespace Serverless.Recommendations.Events;

/// <summary>The body of <c>POST /api/events</c>.</summary>
public sealed record EventBatchRequest(IReadOnlyList<EventInput?>? Events);

/// <summary>One event as the client sends it. <c>occurredAt</c> is ISO 8601 with an offset.</summary>
public sealed record EventInput(string? EventId, string? Type, string? VideoId, string? TemplateId, double? WatchedSeconds, string? OccurredAt);

/// <summary>The answer: how many events were accepted (a replayed event counts again but is stored once), which were rejected and why, and which were accepted with a flag.</summary>
public sealed record EventBatchResponse(int Accepted, IReadOnlyList<EventIssue> Rejected, IReadOnlyList<EventIssue> Flagged);

/// <summary>An event of the batch, by its index, with a stable reason code.</summary>
public sealed record EventIssue(int Index, string Reason);

/// <summary>An event that passed validation and was stored.</summary>
public sealed record AcceptedEvent(string EventId, EventType Type, string? VideoId, string? TemplateId, double? WatchedSeconds, DateTimeOffset OccurredAt, bool UnknownVideo);

/// <summary>An event as read back from storage.</summary>
internal sealed record StoredEvent(string UserId, string EventId, EventType Type, string? VideoId, string? TemplateId, double? WatchedSeconds, DateTimeOffset OccurredAt);

/// <summary>Called after a batch of events is stored (e.g. by the templates area for template events). Resolved as a collection.</summary>
public interface IEventObserver
{
    Task OnAcceptedAsync(string userId, IReadOnlyList<AcceptedEvent> events, CancellationToken cancellationToken);
}

/// <summary>Stable reason codes in <see cref="EventBatchResponse"/>.</summary>
public static class EventReasons
{
    public const string Missing = "missing-event";
    public const string BadEventId = "invalid-event-id";
    public const string DuplicateInBatch = "duplicate-event-id";
    public const string BadType = "invalid-type";
    public const string BadVideoId = "invalid-video-id";
    public const string BadTemplateId = "invalid-template-id";
    public const string BadWatchedSeconds = "invalid-watched-seconds";
    public const string BadOccurredAt = "invalid-occurred-at";
    public const string TooFarInFuture = "occurred-in-future";
    public const string TooOld = "occurred-too-long-ago";
    public const string UnknownVideo = "unknown-video";
}
