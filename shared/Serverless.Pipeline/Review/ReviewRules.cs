using System.Globalization;
using Serverless.Review;
using Serverless.WeChat;
using Serverless.WeChat.Push;

namespace Serverless.Pipeline.Review;

/// <summary>What the review came to.</summary>
public abstract record ReviewDecision
{
    private ReviewDecision()
    {
    }

    public sealed record Publish : ReviewDecision;

    /// <summary>Never published; the reason is the owner's to read.</summary>
    public sealed record Reject(string Reason) : ReviewDecision;

    /// <summary>A person decides; the reason is the operators'.</summary>
    public sealed record AskOperator(string Reason) : ReviewDecision;

    /// <summary>The owner deleted it: nothing more to do.</summary>
    public sealed record Withdrawn : ReviewDecision;

    /// <summary>Verdicts are still to come (and the deadline has not passed).</summary>
    public sealed record Wait : ReviewDecision;
}

/// <summary>The review's rules, a pure function of what is known so far (unit-tested without WeChat).</summary>
public static class ReviewRules
{
    /// <param name="verdicts">WeChat's verdicts, one per sample that has one.</param>
    /// <param name="pending">Samples submitted whose verdict has not come.</param>
    /// <param name="refusals">Why samples could not be checked by WeChat.</param>
    /// <param name="decisive">An operator's decision or the owner's delete, which overrules everything else.</param>
    /// <param name="deadlineMissed">The wait for WeChat's verdicts is over.</param>
    public static ReviewDecision Decide(
        IReadOnlyCollection<ReviewVerdict> verdicts,
        int pending,
        IReadOnlyCollection<string> refusals,
        ReviewVerdict? decisive,
        bool deadlineMissed,
        double deadlineMinutes)
    {
        ArgumentNullException.ThrowIfNull(verdicts);
        ArgumentNullException.ThrowIfNull(refusals);
        switch (decisive)
        {
            case { Source: VerdictSource.Withdrawn }:
                return new ReviewDecision.Withdrawn();
            case { Source: VerdictSource.Operator, Suggestion: MediaCheckSuggest.Pass }:
                return new ReviewDecision.Publish();
            case { Source: VerdictSource.Operator }:
                return new ReviewDecision.Reject("Rejected by an operator: " + (string.IsNullOrWhiteSpace(decisive.Reason) ? "no reason given." : decisive.Reason));
        }

        // One risky sample is enough, whatever the others say or whether they came.
        if (verdicts.FirstOrDefault(v => v.Suggestion == MediaCheckSuggest.Risky) is { } risky)
        {
            return new ReviewDecision.Reject("WeChat's content check found it risky: " + MediaCheckLabels.Describe(risky.Label ?? 0) + ".");
        }

        if (pending > 0 && !deadlineMissed)
        {
            return new ReviewDecision.Wait();
        }

        if (pending > 0)
        {
            return new ReviewDecision.AskOperator(string.Create(CultureInfo.InvariantCulture,
                $"WeChat's verdict on {pending} of {pending + verdicts.Count} samples did not come within {deadlineMinutes:0.##} minutes."));
        }

        if (refusals.Count > 0)
        {
            return new ReviewDecision.AskOperator(refusals.First());
        }

        if (verdicts.FirstOrDefault(v => v.Suggestion == MediaCheckSuggest.Review) is { } doubtful)
        {
            return new ReviewDecision.AskOperator("WeChat's content check asks for a person to look: " + MediaCheckLabels.Describe(doubtful.Label ?? 0) + ".");
        }

        return new ReviewDecision.Publish();
    }
}
