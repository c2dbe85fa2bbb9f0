using Serverless.Recommendations.Events;
using Serverless.Recommendations.Feedback;

namespace Serverless.Templates.Recommendations;

/// <summary>Feeds the events API's <c>template_impression</c> and <c>template_use</c> events into template activity (fatigue, exposure, performance).</summary>
internal sealed class TemplateEventObserver(ITemplateActivitySource activity) : IEventObserver
{
    public async Task OnAcceptedAsync(string userId, IReadOnlyList<AcceptedEvent> events, CancellationToken cancellationToken)
    {
        foreach (var e in events)
        {
            TemplateActivityKind? kind = e.Type switch
            {
                EventType.TemplateImpression => TemplateActivityKind.Impression,
                EventType.TemplateUse => TemplateActivityKind.Use,
                _ => null,
            };
            if (kind is { } k && e.TemplateId is { Length: > 0 } templateId)
            {
                await activity.RecordAsync(userId, templateId, k, e.OccurredAt, cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
