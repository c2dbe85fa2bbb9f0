using System.Diagnostics;
using Serverless.Recommendations.Feedback;
using Serverless.Recommendations.Ranking;
using Serverless.Recommendations.Serving;
using Serverless.Recommendations.Training;

namespace Serverless.Recommendations.Evaluation;

/// <summary>Users with an event in a period, and how many of them had one before it (only those can be ranked from history).</summary>
internal sealed record PeriodUsers(int Active, int WithHistory);

/// <summary>The ranker stage's result on a ratings file, with the cuts it used and where the time went.</summary>
internal sealed record RatingsRankerResult(
    MappedRatings Mapped,
    DateTimeOffset CutA,
    DateTimeOffset CutB,
    DateTimeOffset Now,
    PeriodUsers LabelPeriod,
    PeriodUsers EvaluationPeriod,
    RankerReport Report,
    double MapSeconds,
    double CfNowSeconds,
    double StageSeconds);

/// <summary>
/// The learned ranker on a <c>user item rating timestamp</c> file: the ratings become events (<see cref="RatingsAsEvents"/>),
/// then the retraining timer's own <see cref="RankerStage.Run"/> runs on them with its two cuts scaled to the file's time
/// span. With S the span from the first rating to just after the last (now), cut B = now − evaluationShare·S and
/// cut A = B − labelShare·S: the ranker learns at A (CF fitted on the events before A, labels from [A, B)) and every
/// method is scored at B (CF fitted on the events before B) on what the users rated in [B, now), with the timer's
/// metrics code.
/// </summary>
internal static class RatingsRankerProtocol
{
    /// <summary>
    /// Preferences from ratings: the timer's weights, but ratings barely age (half-life 3650 days, the option's maximum) and
    /// every rated pair is a positive (a rating is an interaction whatever its value), so old ratings still count as seen.
    /// </summary>
    public static FeedbackOptions Feedback() => new() { HalfLifeDays = 3650, MinPreference = 0.01 };

    public static RatingsRankerResult Run(
        IReadOnlyList<TimedRating> ratings, double evaluationShare, double labelShare, RankerOptions ranker, TrainingOptions training, CancellationToken cancellationToken)
    {
        if (evaluationShare is <= 0 or >= 1 || labelShare is <= 0 or >= 1 || evaluationShare + labelShare >= 1)
        {
            throw new ArgumentException("The evaluation and label shares must be in (0, 1) and leave some history before them.");
        }

        var sw = Stopwatch.StartNew();
        var feedback = Feedback();
        var mapped = RatingsAsEvents.Map(ratings, feedback.DefaultDurationSeconds);
        var builder = new VideoEventLogBuilder(mapped.Catalog, feedback.DefaultDurationSeconds);
        foreach (var e in mapped.Events)
        {
            builder.Add(e.User, e.Item, e.Type, e.WatchedSeconds, e.At);
        }

        var log = builder.Build();
        var now = mapped.To.AddSeconds(1); // events at the last timestamp are before now
        var span = now.UtcTicks - mapped.From.UtcTicks;
        var cutB = new DateTimeOffset(now.UtcTicks - (long)(evaluationShare * span), TimeSpan.Zero);
        var cutA = new DateTimeOffset(cutB.UtcTicks - (long)(labelShare * span), TimeSpan.Zero);
        var mapSeconds = sw.Elapsed.TotalSeconds;

        // The serving CF models (the stage's last step ranks every recently active user's candidates from them).
        sw.Restart();
        var names = RankerStage.CandidateModelNames(ranker);
        var modelsNow = RankerStage.FitCut(log, now.UtcTicks, names, feedback, training, cancellationToken)
            ?? throw new InvalidOperationException("No rating to fit the CF models on.");
        var cfNowSeconds = sw.Elapsed.TotalSeconds;

        sw.Restart();
        var input = new RankerInput(log, mapped.Catalog, feedback, training, ranker, new ServingOptions(), now, modelsNow.Data, modelsNow.Models, null, "ratings-file", new RankerCuts(cutA, cutB));
        var outcome = RankerStage.Run(input, cancellationToken);
        var stageSeconds = sw.Elapsed.TotalSeconds;

        return new RatingsRankerResult(
            mapped, cutA, cutB, now, Period(log, cutA.UtcTicks, cutB.UtcTicks), Period(log, cutB.UtcTicks, now.UtcTicks), outcome.Report, mapSeconds, cfNowSeconds, stageSeconds);
    }

    private static PeriodUsers Period(VideoEventLog log, long from, long to)
    {
        var first = new long[log.UserIds.Length];
        Array.Fill(first, long.MaxValue);
        var active = new HashSet<int>();
        for (var k = 0; k < log.Count && log.Ticks[k] < to; k++)
        {
            var u = log.Users[k];
            first[u] = Math.Min(first[u], log.Ticks[k]);
            if (log.Ticks[k] >= from)
            {
                active.Add(u);
            }
        }

        return new PeriodUsers(active.Count, active.Count(u => first[u] < from));
    }
}
