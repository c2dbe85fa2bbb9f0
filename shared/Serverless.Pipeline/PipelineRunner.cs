using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Retry;
using Serverless.Media;
using Serverless.Storage;

namespace Serverless.Pipeline;

/// <summary>
/// Runs the durable pipeline: starts it on BlobCreated, executes one step per step message under the
/// orchestrator's decisions, checkpoints every transition in the video's row (ETag-guarded), and sweeps stuck work.
/// </summary>
internal sealed partial class PipelineRunner(
    VideoRepository videos,
    IQueueStore queues,
    IBlobStore blobs,
    IPipelineActivities activities,
    IOptions<PipelineOptions> options,
    TimeProvider time,
    ILogger<PipelineRunner> logger)
{
    /// <summary>The reason a video gets when its file never arrived.</summary>
    public const string UploadNeverCompleted = "The upload never completed: no file arrived before the upload expired.";

    private ResiliencePipeline? _outageRetry;

    private PipelineOptions Options => options.Value;

    /// <summary>Waits out a storage outage (exponential backoff with jitter, about two minutes in all) for writes that must land.</summary>
    private ResiliencePipeline OutageRetry => _outageRetry ??= new ResiliencePipelineBuilder { TimeProvider = time }
        .AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = new PredicateBuilder().Handle<StorageUnavailableException>(),
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = TimeSpan.FromSeconds(1),
            MaxDelay = TimeSpan.FromSeconds(15),
            MaxRetryAttempts = 10,
        })
        .Build();

    private TimeProvider Clock => time;

    private VideoRepository Videos => videos;

    /// <summary>Handles a BlobCreated event for <c>uploads/{videoId}/source</c>: moves the video to Processing and sends the first step.</summary>
    public async Task StartAsync(string videoId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var started = false;
        var entry = await videos.UpdateAsync(
            videoId,
            e =>
            {
                started = false;
                if (e.Video.Status != VideoStatus.Uploading)
                {
                    return null;
                }

                started = true;
                return e with
                {
                    Video = e.Video with { Status = VideoStatus.Processing, Stage = nameof(PipelineStep.ProbeSource), Progress = 0, Error = null },
                    State = PipelineState.Start(now),
                };
            },
            cancellationToken).ConfigureAwait(false);
        if (entry is null)
        {
            LogUnknownUpload(videoId);
            return;
        }

        // Also after a crash between the write above and this send (the event comes back; nothing has run yet).
        if (started || entry.State is { Current: PipelineStep.ProbeSource } s && s[PipelineStep.ProbeSource] is { Status: StepStatus.Pending, Attempts: 0 })
        {
            await SendAsync(new StepMessage(videoId, PipelineStep.ProbeSource, 1), null, cancellationToken).ConfigureAwait(false);
            LogStarted(videoId);
        }
    }

    public async Task RunStepAsync(StepMessage message, CancellationToken cancellationToken)
    {
        while (true)
        {
            var entry = await videos.GetEntryAsync(message.VideoId, cancellationToken).ConfigureAwait(false);
            if (entry is null)
            {
                LogUnknownUpload(message.VideoId);
                return;
            }

            var now = time.GetUtcNow();
            var decision = PipelineOrchestrator.OnMessage(
                entry.Video.Status, entry.State, message, Options.MaxStepAttempts, entry.Video.UpdatedAt, now, TimeSpan.FromSeconds(Options.HeartbeatTimeoutSeconds));
            switch (decision)
            {
                case StepDecision.Ignore ignore:
                    LogIgnored(message.VideoId, message.Step, message.Attempt, ignore.Why);
                    return;
                case StepDecision.Defer defer:
                    LogDeferred(message.VideoId, message.Step, message.Attempt, defer.Delay.TotalSeconds);
                    await SendAsync(message, defer.Delay, cancellationToken).ConfigureAwait(false);
                    return;
                case StepDecision.Resend resend:
                    await SendAsync(new StepMessage(message.VideoId, resend.Step, resend.Attempt), null, cancellationToken).ConfigureAwait(false);
                    return;
                case StepDecision.Fail fail:
                    await FailAsync(message.VideoId, fail.Reason, cancellationToken).ConfigureAwait(false);
                    return;
                case StepDecision.Run run:
                    VideoEntry running;
                    try
                    {
                        running = await videos.SaveAsync(
                            entry with
                            {
                                Video = entry.Video with { Stage = message.Step.ToString() },
                                State = PipelineOrchestrator.OnStarted(entry.State!, message.Step, run.Attempt, now),
                            },
                            cancellationToken).ConfigureAwait(false);
                    }
                    catch (StoragePreconditionFailedException)
                    {
                        continue; // Changed under us: decide again.
                    }

                    await ExecuteAsync(running, message.Step, run.Attempt, cancellationToken).ConfigureAwait(false);
                    return;
            }
        }
    }

    /// <summary>
    /// Resumes or fails videos whose pipeline stopped moving (lost messages, poisoned crashes), starts uploads whose
    /// file arrived but whose BlobCreated event was lost, and fails uploads whose file never arrived.
    /// </summary>
    public async Task<int> SweepAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var stuckAfter = TimeSpan.FromSeconds(Options.StuckAfterSeconds);
        var expiry = TimeSpan.FromMinutes(Options.UploadExpiryMinutes);
        var acted = 0;
        await foreach (var entry in videos.ListStaleAsync(VideoStatus.Uploading, now - stuckAfter, cancellationToken).ConfigureAwait(false))
        {
            var videoId = entry.Video.VideoId;
            if (await blobs.GetInfoAsync(MediaLayout.UploadsContainer, MediaLayout.Source(videoId), cancellationToken).ConfigureAwait(false) is { Length: > 0 })
            {
                await StartAsync(videoId, cancellationToken).ConfigureAwait(false);
                acted++;
            }
            else if (now - entry.Video.CreatedAt >= expiry)
            {
                // Its upload URL expired long ago: the file will never come. Failed (not removed) so its owner sees why.
                var expired = await videos.UpdateAsync(
                    videoId,
                    e => e.Video.Status == VideoStatus.Uploading
                        ? e with { Video = e.Video with { Status = VideoStatus.Failed, Error = UploadNeverCompleted } }
                        : null,
                    cancellationToken).ConfigureAwait(false);
                if (expired is not null && expired.Video.Status == VideoStatus.Failed && expired.ETag != entry.ETag)
                {
                    LogFailed(videoId, null, UploadNeverCompleted);
                    acted++;
                }
            }
        }

        await foreach (var entry in videos.ListStaleAsync(VideoStatus.Processing, now - stuckAfter, cancellationToken).ConfigureAwait(false))
        {
            switch (PipelineOrchestrator.OnSweep(entry.Video.Status, entry.State, entry.Video.UpdatedAt, now, stuckAfter, Options.MaxStepAttempts))
            {
                case SweepDecision.Resume resume:
                    // Touch the row (and count the resume against the step) so the next sweep waits again, then resend the step.
                    var touched = await videos.UpdateAsync(
                        entry.Video.VideoId,
                        e => e.Video.UpdatedAt == entry.Video.UpdatedAt && e.State is { } s
                            ? e with { State = s.With(s.Current, s[s.Current] with { Resumes = s[s.Current].Resumes + 1 }) with { Resumes = s.Resumes + 1 } }
                            : null,
                        cancellationToken).ConfigureAwait(false);
                    if (touched is not null && touched.ETag != entry.ETag)
                    {
                        await SendAsync(new StepMessage(entry.Video.VideoId, resume.Step, resume.Attempt), null, cancellationToken).ConfigureAwait(false);
                        LogResumed(entry.Video.VideoId, resume.Step, resume.Attempt);
                        acted++;
                    }

                    break;
                case SweepDecision.Fail fail:
                    await FailAsync(entry.Video.VideoId, fail.Reason, cancellationToken).ConfigureAwait(false);
                    acted++;
                    break;
            }
        }

        return acted;
    }

    private async Task ExecuteAsync(VideoEntry entry, PipelineStep step, int attempt, CancellationToken cancellationToken)
    {
        var videoId = entry.Video.VideoId;
        LogStepStarted(videoId, step, attempt);
        var started = time.GetTimestamp();
        using var heartbeat = new Heartbeat(this, videoId, step, cancellationToken);
        StepResult result;
        try
        {
            result = await activities.RunAsync(step, entry, heartbeat.ReportProgress, cancellationToken).ConfigureAwait(false);
        }
        catch (MediaRejectedException ex)
        {
            await heartbeat.StopAsync().ConfigureAwait(false);

            // ffprobe and ffmpeg read the source over HTTP: a read cut short by a storage outage looks like a truncated
            // file. While storage is unreachable the verdict is not trusted: the run is retried like any outage.
            var outage = await StorageUnreachableAsync(videoId, cancellationToken).ConfigureAwait(false);
            await OnStepFailedAsync(videoId, step, attempt, ex.Reason, permanent: !outage, cancellationToken, storageOutage: outage).ConfigureAwait(false);
            await RemoveMediaIfDeletedAsync(videoId, cancellationToken).ConfigureAwait(false);
            return;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Shutting down: give the attempt back; the message returns and runs it again.
            await heartbeat.StopAsync().ConfigureAwait(false);
            await videos.UpdateAsync(
                videoId,
                e => e.State is { } s && s.Current == step && s[step].Status == StepStatus.Running
                    ? e with { State = s.With(step, s[step] with { Status = StepStatus.Pending, Attempts = attempt - 1 }) }
                    : null,
                CancellationToken.None).ConfigureAwait(false);
            throw;
        }
        catch (Exception ex)
        {
            await heartbeat.StopAsync().ConfigureAwait(false);
            LogStepFailed(ex, videoId, step, attempt);
            var outage = ex is StorageUnavailableException || await StorageUnreachableAsync(videoId, cancellationToken).ConfigureAwait(false);
            await OnStepFailedAsync(videoId, step, attempt, Describe(ex), permanent: false, cancellationToken, outage).ConfigureAwait(false);
            await RemoveMediaIfDeletedAsync(videoId, cancellationToken).ConfigureAwait(false);
            return;
        }

        await heartbeat.StopAsync().ConfigureAwait(false);
        var elapsed = time.GetElapsedTime(started);
        PipelineStep? next = null;
        var saved = await videos.UpdateAsync(
            videoId,
            e =>
            {
                if (e.State is not { } s || s.Current != step || s[step].Status != StepStatus.Running)
                {
                    return null; // Someone else moved it on (e.g. the sweep failed it): keep their decision.
                }

                var (state, n) = PipelineOrchestrator.OnSucceeded(result.Apply(s), step, time.GetUtcNow());
                next = n;
                var video = result.ApplyTo(e.Video) with { Stage = n?.ToString() ?? "Ready", Progress = result.Progress ?? e.Video.Progress };
                return e with { Video = video, State = state };
            },
            cancellationToken).ConfigureAwait(false);
        LogStepCompleted(videoId, step, attempt, elapsed.TotalSeconds);
        if (saved is null || saved.Video.Status == VideoStatus.Deleted)
        {
            await RemoveMediaIfDeletedAsync(videoId, cancellationToken).ConfigureAwait(false);
        }

        if (saved is not null && next is { } nextStep && saved.State?.Current == nextStep)
        {
            // The successor runs right here, depth-first: a video once started is finished before this worker takes
            // the next upload's message (in a burst, the first uploads are Ready early instead of every video waiting
            // for the whole burst's transcodes), and no queue hand-off sits between steps. Its message is still sent,
            // delayed past the heartbeat timeout, as the durable record of the hand-off: if this worker dies mid-chain
            // that message takes the step over; otherwise it finds the step done or running and is dropped.
            var successor = new StepMessage(videoId, nextStep, 1);
            await SendAsync(successor, TimeSpan.FromSeconds(Options.HeartbeatTimeoutSeconds + Options.HeartbeatSeconds), cancellationToken).ConfigureAwait(false);
            await RunStepAsync(successor, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The owner deleted the video while this step ran: the delete already removed what was stored then, but the step
    /// may have uploaded renditions or a poster since. Remove them, so a deleted video leaves nothing behind.
    /// </summary>
    private async Task RemoveMediaIfDeletedAsync(string videoId, CancellationToken cancellationToken)
    {
        if (await videos.GetAsync(videoId, cancellationToken).ConfigureAwait(false) is { Status: VideoStatus.Deleted })
        {
            var removed = await blobs.DeletePrefixAsync(MediaLayout.Container, MediaLayout.Prefix(videoId), cancellationToken).ConfigureAwait(false);
            LogDeletedWhileRunning(videoId, removed);
        }
    }

    /// <summary>
    /// Whether storage is down right now (the step's own error may not say so: ffmpeg reading the source over HTTP
    /// reports only that its input failed).
    /// </summary>
    private async Task<bool> StorageUnreachableAsync(string videoId, CancellationToken cancellationToken)
    {
        try
        {
            // One quick try: the background retry budget would outlast a short outage and report storage as fine.
            using var quick = StorageCallScope.BeginInteractive();
            await blobs.GetInfoAsync(MediaLayout.UploadsContainer, MediaLayout.Source(videoId), cancellationToken).ConfigureAwait(false);
            return false;
        }
        catch (StorageUnavailableException)
        {
            return true;
        }
    }

    private async Task OnStepFailedAsync(string videoId, PipelineStep step, int attempt, string error, bool permanent, CancellationToken cancellationToken, bool storageOutage = false)
    {
        FailureOutcome? outcome = null;

        // The failure must be recorded for the retry to be scheduled; during an outage that write waits for storage
        // (Polly backoff) instead of leaving the step Running until a take-over counts the lost run as an attempt.
        await OutageRetry.ExecuteAsync(
            async token => await videos.UpdateAsync(
            videoId,
            e =>
            {
                // Only this run's record: a take-over may already run the next attempt.
                if (e.State is not { } s || s.Current != step || s[step].Attempts != attempt || s[step].Status != StepStatus.Running)
                {
                    return null;
                }

                var (state, o) = PipelineOrchestrator.OnFailed(
                    s, step, attempt, error, permanent, Options.MaxStepAttempts, TimeSpan.FromSeconds(Options.RetryBaseDelaySeconds), time.GetUtcNow(), storageOutage);
                outcome = o;
                var video = o is FailureOutcome.Fail f
                    ? e.Video with { Status = VideoStatus.Failed, Error = f.Reason, Stage = step.ToString() }
                    : e.Video;
                return e with { Video = video, State = state };
            },
            token).ConfigureAwait(false),
            cancellationToken).ConfigureAwait(false);
        switch (outcome)
        {
            case FailureOutcome.RetryAfter retry:
                LogRetrying(videoId, step, retry.NextAttempt, retry.Delay.TotalSeconds, error);
                await OutageRetry.ExecuteAsync(
                    async token => await SendAsync(new StepMessage(videoId, step, retry.NextAttempt), retry.Delay, token).ConfigureAwait(false),
                    cancellationToken).ConfigureAwait(false);
                break;
            case FailureOutcome.Fail fail:
                LogFailed(videoId, step, fail.Reason);
                break;
        }
    }

    private async Task FailAsync(string videoId, string reason, CancellationToken cancellationToken)
    {
        await videos.UpdateAsync(
            videoId,
            e => e.Video.Status is VideoStatus.Ready or VideoStatus.Failed or VideoStatus.Deleted
                ? null
                : e with { Video = e.Video with { Status = VideoStatus.Failed, Error = reason } },
            cancellationToken).ConfigureAwait(false);
        LogFailed(videoId, null, reason);
    }

    private Task SendAsync(StepMessage message, TimeSpan? delay, CancellationToken cancellationToken) =>
        queues.EnqueueAsync(PipelineOptions.StepQueue, JsonSerializer.Serialize(message, VideoRepository.Json), delay, cancellationToken);

    /// <summary>The human-readable reason a step failed, as the video's error shows it.</summary>
    internal static string Describe(Exception ex) => ex switch
    {
        _ when DiskSpace.IsOutOfSpace(ex) => DiskSpace.Describe(ex),
        FfmpegException f when f.TimedOut => "ffmpeg timed out.",
        FfmpegException { ExitCode: null } f => f.Message,
        FfmpegException f => "ffmpeg " + DescribeExit(f.ExitCode.GetValueOrDefault()) + (LastLine(f.StderrTail) is { Length: > 0 } line ? ": " + line : "."),
        StorageException s => $"Storage error: {s.Message}",
        IOException io => $"I/O error: {io.Message}",
        _ => $"{ex.GetType().Name}: {ex.Message}",
    };

    /// <summary>On Unix a process ended by a signal reports 128 + the signal (SIGKILL: 137, from the OOM killer or an operator).</summary>
    private static string DescribeExit(int code) => code switch
    {
        > 128 and <= 128 + 64 when !OperatingSystem.IsWindows() => string.Create(
            System.Globalization.CultureInfo.InvariantCulture, $"was killed by signal {code - 128}{(code - 128 == 9 ? " (SIGKILL)" : string.Empty)}"),
        _ => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"failed (exit {code})"),
    };

    private static string LastLine(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? string.Empty;

    /// <summary>Keeps the video's row fresh while a step runs, carrying transcode progress (throttled).</summary>
    private sealed class Heartbeat : IDisposable
    {
        private readonly PipelineRunner _runner;
        private readonly string _videoId;
        private readonly PipelineStep _step;
        private readonly CancellationTokenSource _stop;
        private readonly Task _loop;
        private double _progress = double.NaN;

        public Heartbeat(PipelineRunner runner, string videoId, PipelineStep step, CancellationToken cancellationToken)
        {
            _runner = runner;
            _videoId = videoId;
            _step = step;
            _stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var interval = TimeSpan.FromSeconds(Math.Min(runner.Options.HeartbeatSeconds, runner.Options.ProgressIntervalSeconds));
            _loop = Task.Run(() => RunAsync(interval, _stop.Token), CancellationToken.None);
        }

        /// <summary>Progress of the running step in percent (0–100).</summary>
        public void ReportProgress(double percent) => Volatile.Write(ref _progress, Math.Clamp(percent, 0, 100));

        public async Task StopAsync()
        {
            await _stop.CancelAsync().ConfigureAwait(false);
            try
            {
                await _loop.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }

        public void Dispose() => _stop.Dispose();

        private async Task RunAsync(TimeSpan interval, CancellationToken cancellationToken)
        {
            var lastBeat = _runner.Clock.GetTimestamp();
            double? written = null;
            while (!cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(interval, _runner.Clock, cancellationToken).ConfigureAwait(false);
                var raw = Volatile.Read(ref _progress);
                double? progress = double.IsNaN(raw) ? null : raw;
                var due = _runner.Clock.GetElapsedTime(lastBeat) >= TimeSpan.FromSeconds(_runner.Options.HeartbeatSeconds);
                if (progress == written && !due)
                {
                    continue;
                }

                try
                {
                    await _runner.Videos.UpdateAsync(
                        _videoId,
                        e => e.State is { } s && s.Current == _step && s[_step].Status == StepStatus.Running
                            ? e with { Video = e.Video with { Progress = progress ?? e.Video.Progress } }
                            : null,
                        cancellationToken).ConfigureAwait(false);
                    written = progress;
                    lastBeat = _runner.Clock.GetTimestamp();
                }
                catch (StorageException)
                {
                    // Best effort: a missed beat only delays progress; the step goes on.
                }
            }
        }
    }

    [LoggerMessage(EventId = 200, Level = LogLevel.Warning, Message = "Video {VideoId}: no catalog row; event ignored")]
    private partial void LogUnknownUpload(string videoId);

    [LoggerMessage(EventId = 201, Level = LogLevel.Information, Message = "Video {VideoId}: pipeline started")]
    private partial void LogStarted(string videoId);

    [LoggerMessage(EventId = 202, Level = LogLevel.Debug, Message = "Video {VideoId}: {Step} attempt {Attempt} ignored: {Why}")]
    private partial void LogIgnored(string videoId, PipelineStep step, int attempt, string why);

    [LoggerMessage(EventId = 203, Level = LogLevel.Information, Message = "Video {VideoId}: {Step} attempt {Attempt} started")]
    private partial void LogStepStarted(string videoId, PipelineStep step, int attempt);

    [LoggerMessage(EventId = 204, Level = LogLevel.Information, Message = "Video {VideoId}: {Step} attempt {Attempt} completed in {Seconds:F1} s")]
    private partial void LogStepCompleted(string videoId, PipelineStep step, int attempt, double seconds);

    [LoggerMessage(EventId = 205, Level = LogLevel.Warning, Message = "Video {VideoId}: {Step} attempt {Attempt} failed")]
    private partial void LogStepFailed(Exception exception, string videoId, PipelineStep step, int attempt);

    [LoggerMessage(EventId = 206, Level = LogLevel.Warning, Message = "Video {VideoId}: {Step} retries as attempt {Attempt} in {DelaySeconds:F0} s after: {Error}")]
    private partial void LogRetrying(string videoId, PipelineStep step, int attempt, double delaySeconds, string error);

    [LoggerMessage(EventId = 207, Level = LogLevel.Warning, Message = "Video {VideoId}: Failed at {Step}: {Reason}")]
    private partial void LogFailed(string videoId, PipelineStep? step, string reason);

    [LoggerMessage(EventId = 209, Level = LogLevel.Debug, Message = "Video {VideoId}: {Step} attempt {Attempt} is running elsewhere; checking again in {DelaySeconds:F0} s")]
    private partial void LogDeferred(string videoId, PipelineStep step, int attempt, double delaySeconds);

    [LoggerMessage(EventId = 210, Level = LogLevel.Information, Message = "Video {VideoId} was deleted while a step ran; {Blobs} media blobs it wrote removed")]
    private partial void LogDeletedWhileRunning(string videoId, int blobs);

    [LoggerMessage(EventId = 208, Level = LogLevel.Warning, Message = "Video {VideoId}: sweep resumed {Step} as attempt {Attempt}")]
    private partial void LogResumed(string videoId, PipelineStep step, int attempt);
}
