using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Serverless.Recommendations.Catalog;
using Serverless.Recommendations.Evaluation;
using Serverless.Recommendations.Events;
using Serverless.Recommendations.Feedback;
using Serverless.Recommendations.Ranking;
using Serverless.Recommendations.Serving;
using Serverless.Storage;

namespace Serverless.Recommendations.Training;

/// <summary>How a run ended.</summary>
public static class TrainingStatus
{
    public const string Published = "published";
    public const string KeptCurrent = "kept-current";
    public const string NoData = "no-data";
    public const string Locked = "locked";
    public const string Failed = "failed";
}

/// <summary>The training report written next to each version (sizes, durations, metrics, the decision and why).</summary>
public sealed record TrainingReport(
    string Version,
    string Trigger,
    string Status,
    DateTimeOffset StartedAt,
    DateTimeOffset FinishedAt,
    DateTimeOffset WindowFrom,
    DateTimeOffset WindowTo,
    int Events,
    int Users,
    int Videos,
    int TrainPairs,
    int HoldoutPairs,
    double ScanSeconds,
    double TrainSeconds,
    IReadOnlyList<CandidateResult> Candidates,
    string? Chosen,
    string? Reason,
    string SelectionMetric,
    string? CurrentVersion,
    RankingMetrics? CurrentMetrics,
    string? Error,
    RankerReport? Ranker = null);

/// <summary>Runs one retraining: the timer and the operator endpoint both call this.</summary>
public interface IRecommenderTrainer
{
    Task<TrainingReport> TrainAsync(string trigger, CancellationToken cancellationToken);
}

internal sealed partial class RecommenderTrainer(
    EventStore events,
    ModelRepository repository,
    ModelHolder holder,
    VideoDirectoryAccessor catalog,
    IOptions<TrainingOptions> trainingOptions,
    IOptions<FeedbackOptions> feedbackOptions,
    IOptions<RankerOptions> rankerOptions,
    IOptions<ServingOptions> servingOptions,
    TimeProvider time,
    ILogger<RecommenderTrainer> logger) : IRecommenderTrainer
{
    public async Task<TrainingReport> TrainAsync(string trigger, CancellationToken cancellationToken)
    {
        var o = trainingOptions.Value;
        var started = time.GetUtcNow();
        var version = started.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture) + "-" + Guid.NewGuid().ToString("N")[..8];
        var from = started.AddDays(-o.WindowDays);
        var report = new TrainingReport(version, trigger, TrainingStatus.Failed, started, started, from, started, 0, 0, 0, 0, 0, 0, 0, [], null, null, o.SelectionMetric, null, null, null);

        // One run at a time across instances (the timer and the operator endpoint alike).
        var lease = await repository.TryLockAsync(cancellationToken).ConfigureAwait(false);
        if (lease is null)
        {
            LogLocked(trigger);
            return report with { Status = TrainingStatus.Locked, FinishedAt = time.GetUtcNow() };
        }

        await using (lease.ConfigureAwait(false))
        {
            using var renewal = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var keepAlive = RenewAsync(lease, renewal.Token);
            try
            {
                report = await RunAsync(report, o, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                // The pointer is untouched: the current model keeps serving.
                LogFailed(ex, version);
                report = report with { Status = TrainingStatus.Failed, Error = ex.GetType().Name + ": " + ex.Message, FinishedAt = time.GetUtcNow() };
                await TryWriteReportAsync(report, cancellationToken).ConfigureAwait(false);
                return report;
            }
            finally
            {
                await renewal.CancelAsync().ConfigureAwait(false);
                await keepAlive.ConfigureAwait(false);
            }
        }

        return report;
    }

    private async Task<TrainingReport> RunAsync(TrainingReport report, TrainingOptions o, CancellationToken cancellationToken)
    {
        var sw = Stopwatch.StartNew();
        var videos = await catalog.Directory.ListReadyAsync(cancellationToken).ConfigureAwait(false);
        var durations = videos.ToDictionary(v => v.VideoId, v => v.DurationSeconds, StringComparer.Ordinal);
        var aggregator = new InteractionAggregator(feedbackOptions.Value, id => durations.TryGetValue(id, out var d) ? d : null);
        var ranker = rankerOptions.Value;
        var logBuilder = ranker.Enabled ? new VideoEventLogBuilder(videos, feedbackOptions.Value.DefaultDurationSeconds) : null;
        await foreach (var e in events.ScanAsync(report.WindowFrom, report.WindowTo, cancellationToken).ConfigureAwait(false))
        {
            if (e.VideoId is not null)
            {
                aggregator.Add(e.UserId, e.VideoId, e.Type, e.WatchedSeconds, e.OccurredAt);
                logBuilder?.Add(e.UserId, e.VideoId, e.Type, e.WatchedSeconds, e.OccurredAt);
            }
        }

        var data = aggregator.Build(report.StartedAt);
        var scanSeconds = sw.Elapsed.TotalSeconds;
        report = report with { Events = aggregator.EventCount, Users = data.UserIds.Length, Videos = data.ItemIds.Length, ScanSeconds = scanSeconds };
        if (data.Matrix.Count == 0)
        {
            LogNoData(report.Version, report.Events);
            report = report with { Status = TrainingStatus.NoData, FinishedAt = time.GetUtcNow(), Reason = "No positive interactions in the window: the current model (or the popularity/fresh baseline) keeps serving." };
            await repository.WriteReportAsync(report, cancellationToken).ConfigureAwait(false);
            return report;
        }

        sw.Restart();
        var outcome = TrainingCore.Run(data, o, cancellationToken);
        report = report with
        {
            TrainSeconds = sw.Elapsed.TotalSeconds,
            TrainPairs = outcome.Train.Count,
            HoldoutPairs = outcome.Test.Count,
            Candidates = outcome.Candidates,
            Chosen = outcome.Chosen.Algorithm,
            Reason = outcome.Reason,
        };

        // Gate: the new model must not be worse than the serving one on the same (stable) holdout.
        var pointer = await repository.ReadPointerAsync(cancellationToken).ConfigureAwait(false);
        RankingMetrics? currentMetrics = null;
        RecommenderSnapshot? current = null;
        if (pointer is not null)
        {
            try
            {
                current = holder.Current?.Version == pointer.Version ? holder.Current : await repository.LoadAsync(pointer, cancellationToken).ConfigureAwait(false);
                currentMetrics = Evaluator.Ranking(MappedScorer(current, outcome.Data), outcome.Train, outcome.Test, o.MaxEvaluationUsers, o.Seed, cancellationToken);
            }
            catch (Exception ex) when (ex is InvalidDataException or StorageNotFoundException or System.Text.Json.JsonException)
            {
                LogCurrentUnreadable(pointer.Version, ex.Message);
            }
        }

        report = report with { CurrentVersion = pointer?.Version, CurrentMetrics = currentMetrics };
        var newScore = outcome.ChosenMetrics.Get(o.SelectionMetric);

        // The metrics are averaged in parallel (summation order varies), so an identical model can differ by rounding.
        if (currentMetrics is not null && newScore < currentMetrics.Get(o.SelectionMetric) - 1e-9)
        {
            report = report with
            {
                Status = TrainingStatus.KeptCurrent,
                FinishedAt = time.GetUtcNow(),
                Reason = outcome.Reason + string.Create(CultureInfo.InvariantCulture, $" Not published: {newScore:F4} is worse than the current model's {currentMetrics.Get(o.SelectionMetric):F4} on the same holdout."),
            };
            await repository.WriteReportAsync(report, cancellationToken).ConfigureAwait(false);
            LogKept(report.Version, newScore, currentMetrics.Get(o.SelectionMetric));
            return report;
        }

        // The second stage: a ranker over the CF candidates, held to the same "not worse" rule (RankerStage).
        RankedFeed? ranked = null;
        if (logBuilder is not null)
        {
            (ranked, var rankerReport) = RunRanker(logBuilder.Build(), videos, data, outcome, current, report, o, ranker, cancellationToken);
            report = report with { Ranker = rankerReport };
        }

        var snapshot = new RecommenderSnapshot(report.Version, report.StartedAt, data.UserIds, data.ItemIds, outcome.Train, outcome.Chosen, outcome.Popularity, outcome.Similar, ranked);
        await repository.WriteModelAsync(snapshot, cancellationToken).ConfigureAwait(false);
        report = report with { Status = TrainingStatus.Published, FinishedAt = time.GetUtcNow() };
        await repository.WriteReportAsync(report, cancellationToken).ConfigureAwait(false);
        await repository.WritePointerAsync(new ModelPointer(report.Version, ModelRepository.ModelBlob(report.Version), outcome.Chosen.Algorithm, report.StartedAt, o.SelectionMetric, newScore, ranked?.Ranker.Version), cancellationToken).ConfigureAwait(false);
        holder.Swap(snapshot);
        LogPublished(report.Version, outcome.Chosen.Algorithm, newScore, report.Events, report.TrainSeconds);
        return report;
    }

    /// <summary>
    /// Trains and evaluates the ranker; a failure here never fails the run: the CF model is published without a ranker
    /// (serving falls back to the CF order) and the report says why.
    /// </summary>
    private (RankedFeed? Feed, RankerReport Report) RunRanker(
        VideoEventLog log, IReadOnlyList<CatalogVideo> videos, RatingDataset data, TrainingOutcome outcome, RecommenderSnapshot? current, TrainingReport report, TrainingOptions o, RankerOptions ranker, CancellationToken cancellationToken)
    {
        try
        {
            var models = RankerStage.ServingModels(ranker, outcome, o, cancellationToken);
            var input = new RankerInput(log, videos, feedbackOptions.Value, o, ranker, servingOptions.Value, report.StartedAt, data, models, current?.Ranked?.Ranker, report.Version);
            var result = RankerStage.Run(input, cancellationToken);
            LogRanker(report.Version, result.Report.Decision, result.Report.Reason);
            return (result.Feed, result.Report);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogRankerFailed(ex, report.Version);
            return (null, new RankerReport(RankerDecisions.Failed, ex.GetType().Name + ": " + ex.Message, null, 0, 0, 0, 0, 0, 0, 0, 0, 0, [], []));
        }
    }

    /// <summary>Scores of a (possibly older) snapshot, mapped into the new data's index space; unknown users get its popularity.</summary>
    internal static Action<int, float[]> MappedScorer(RecommenderSnapshot current, RatingDataset data)
    {
        var userMap = data.UserIds.Select(id => current.UserIndex.TryGetValue(id, out var k) ? k : -1).ToArray();
        var itemMap = data.ItemIds.Select(id => current.ItemIndex.TryGetValue(id, out var k) ? k : -1).ToArray();
        var buffers = new ThreadLocal<float[]>(() => new float[current.ItemIds.Length]);
        return (u, scores) =>
        {
            var buffer = buffers.Value!;
            if (userMap[u] >= 0)
            {
                current.Model.Score(userMap[u], buffer);
            }
            else
            {
                current.Popularity.CopyTo(buffer, 0);
            }

            for (var i = 0; i < scores.Length; i++)
            {
                scores[i] = itemMap[i] >= 0 ? buffer[itemMap[i]] : float.NegativeInfinity;
            }
        };
    }

    private async Task TryWriteReportAsync(TrainingReport report, CancellationToken cancellationToken)
    {
        try
        {
            await repository.WriteReportAsync(report, cancellationToken).ConfigureAwait(false);
        }
        catch (StorageException ex)
        {
            LogReportNotWritten(report.Version, ex.Message);
        }
    }

    private async Task RenewAsync(IBlobLease lease, CancellationToken cancellationToken)
    {
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(TimeSpan.FromSeconds(20), time, cancellationToken).ConfigureAwait(false);
                await lease.RenewAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (StorageException ex)
        {
            LogReportNotWritten("lock", ex.Message);
        }
    }

    [LoggerMessage(EventId = 4100, Level = LogLevel.Information, Message = "Recommender retraining ({Trigger}) skipped: another run holds the lock")]
    private partial void LogLocked(string trigger);

    [LoggerMessage(EventId = 4101, Level = LogLevel.Error, Message = "Recommender training {Version} failed; the current model keeps serving")]
    private partial void LogFailed(Exception ex, string version);

    [LoggerMessage(EventId = 4102, Level = LogLevel.Information, Message = "Recommender training {Version}: no positive interactions among {Events} events")]
    private partial void LogNoData(string version, int events);

    [LoggerMessage(EventId = 4103, Level = LogLevel.Warning, Message = "The current model {Version} could not be read for comparison: {Reason}")]
    private partial void LogCurrentUnreadable(string version, string reason);

    [LoggerMessage(EventId = 4104, Level = LogLevel.Information, Message = "Recommender training {Version} kept the current model: {New} < {Current}")]
    private partial void LogKept(string version, double @new, double current);

    [LoggerMessage(EventId = 4105, Level = LogLevel.Information, Message = "Published recommender model {Version} ({Algorithm}, score {Score}) from {Events} events in {Seconds}s")]
    private partial void LogPublished(string version, string algorithm, double score, int events, double seconds);

    [LoggerMessage(EventId = 4106, Level = LogLevel.Warning, Message = "Could not write {What}: {Reason}")]
    private partial void LogReportNotWritten(string what, string reason);

    [LoggerMessage(EventId = 4107, Level = LogLevel.Information, Message = "Recommender training {Version}: ranker {Decision}. {Reason}")]
    private partial void LogRanker(string version, string decision, string reason);

    [LoggerMessage(EventId = 4108, Level = LogLevel.Error, Message = "Recommender training {Version}: the ranker failed; the CF model is published without one (serving uses the CF order)")]
    private partial void LogRankerFailed(Exception ex, string version);
}
