using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Serverless.Media;
using Serverless.Media.Review;
using Serverless.Pipeline.Review;
using Serverless.Rendering;
using Serverless.Review;
using Serverless.Storage;
using Serverless.Videos;
using Serverless.WeChat;

namespace Serverless.Pipeline;

/// <summary>
/// The pipeline's activities, one method per step: all the I/O, each idempotent (deterministic output names; re-runs
/// overwrite, publish last). Each keeps the video's row — the API's read model — up to date (stage, per-step attempts and
/// timings, progress, the outcome) and turns every failure into a <see cref="StepFailedException"/> whose kind the
/// orchestration decides on: bad input is <see cref="StepFailureKind.Rejected"/>, an unreachable storage account
/// <see cref="StepFailureKind.StorageOutage"/>, a shutdown <see cref="StepFailureKind.Interrupted"/>.
/// </summary>
internal sealed partial class PipelineActivities
{
    /// <summary>How long ffmpeg may read the source through its SAS URL.</summary>
    private static readonly TimeSpan SourceUrlLifetime = TimeSpan.FromHours(2);

    private readonly IBlobStore _blobs;
    private readonly IBlobSasSigner _signer;
    private readonly VideoRepository _videos;
    private readonly IMediaProbe _probe;
    private readonly ILadderPlanner _ladders;
    private readonly IHlsTranscoder _transcoder;
    private readonly WorkArea _workArea;
    private readonly LivePublishing _publishing;
    private readonly RenderSources _renders;
    private readonly ITemplateRenderer _renderer;
    private readonly IOptions<PipelineOptions> _pipelineOptions;
    private readonly IOptions<UploadOptions> _uploadOptions;
    private readonly IOptions<MediaOptions> _mediaOptions;
    private readonly IOptions<ReviewOptions> _reviewOptions;
    private readonly TimeProvider _time;
    private readonly ILogger<PipelineActivities> _logger;

    public PipelineActivities(
        IBlobStore blobs,
        IBlobSasSigner signer,
        VideoRepository videos,
        IMediaProbe probe,
        ILadderPlanner ladders,
        IHlsTranscoder transcoder,
        WorkArea workArea,
        LivePublishing publishing,
        RenderSources renders,
        ITemplateRenderer renderer,
        IOptions<PipelineOptions> pipelineOptions,
        IOptions<UploadOptions> uploadOptions,
        IOptions<MediaOptions> mediaOptions,
        IOptions<ReviewOptions> reviewOptions,
        TimeProvider time,
        ILogger<PipelineActivities> logger)
    {
        _blobs = blobs;
        _signer = signer;
        _videos = videos;
        _probe = probe;
        _ladders = ladders;
        _transcoder = transcoder;
        _workArea = workArea;
        _publishing = publishing;
        _renders = renders;
        _renderer = renderer;
        _pipelineOptions = pipelineOptions;
        _uploadOptions = uploadOptions;
        _mediaOptions = mediaOptions;
        _reviewOptions = reviewOptions;
        _time = time;
        _logger = logger;
    }

    public Task<ProbeOutput> ProbeSourceAsync(string videoId, CancellationToken cancellationToken) =>
        RunAsync(videoId, PipelineStep.ProbeSource, async () =>
        {
            var blob = await _blobs.GetInfoAsync(MediaLayout.UploadsContainer, MediaLayout.Source(videoId), cancellationToken).ConfigureAwait(false)
                ?? throw new MediaRejectedException("The upload is missing from storage.");
            if (blob.Length == 0)
            {
                throw new MediaRejectedException("The upload is empty (0 bytes).");
            }

            var limit = Math.Min(_uploadOptions.Value.MaxUploadBytes, _mediaOptions.Value.MaxSourceBytes);
            if (blob.Length > limit)
            {
                throw new MediaRejectedException(string.Create(
                    CultureInfo.InvariantCulture, $"The upload is {blob.Length} bytes; the limit is {limit} bytes."));
            }

            // The upload URL cannot limit what is PUT to it: what arrived must not be more than what was declared.
            var entry = await _videos.GetEntryAsync(videoId, cancellationToken).ConfigureAwait(false) ?? throw new VideoGoneException();
            if (entry.DeclaredBytes > 0 && blob.Length > entry.DeclaredBytes)
            {
                throw new MediaRejectedException(string.Create(
                    CultureInfo.InvariantCulture, $"The upload is {blob.Length} bytes, more than the {entry.DeclaredBytes} bytes declared when it was created."));
            }

            // A render's source is its job, written by the app (no upload can have its content type): what it makes is known
            // exactly, nothing is probed.
            var render = entry.ContentType == RenderJob.ContentType;
            var info = render
                ? (await _renders.ReadJobAsync(videoId, cancellationToken).ConfigureAwait(false)).Source()
                : await _probe.ProbeAsync(SourceUrl(videoId), cancellationToken).ConfigureAwait(false);
            info = info with { SizeBytes = info.SizeBytes ?? blob.Length };
            if (SourcePolicy.Reject(info, _mediaOptions.Value) is { } reason)
            {
                throw new MediaRejectedException(reason);
            }

            // An upload's ladder is per-title (a short look at its content); a render exists only while it is encoded, so it
            // gets the fixed ladder.
            var ladder = render
                ? LadderPlanner.Plan(info, _mediaOptions.Value)
                : await _ladders.PlanAsync(SourceUrl(videoId), info, cancellationToken).ConfigureAwait(false);
            LogProbed(videoId, info.DurationSeconds, info.Video?.DisplayWidth ?? 0, info.Video?.DisplayHeight ?? 0, string.Join(",", ladder.Select(r => r.Name)));
            return (new ProbeOutput(info, ladder), (Func<VideoEntry, VideoEntry>)(e => e with
            {
                Video = e.Video with { DurationSeconds = info.DurationSeconds, Width = info.Video?.DisplayWidth, Height = info.Video?.DisplayHeight },
                State = e.State! with { Source = info, Ladder = ladder },
            }));
        }, cancellationToken);

    /// <summary>
    /// Encodes the ladder and its posters in one ffmpeg pass and publishes while it encodes (<see cref="LivePublisher"/>):
    /// each closed segment is uploaded at once, each rendition's playlist grows as an EVENT playlist, and the video is
    /// playable as soon as every rendition has its first segment stored. When ffmpeg is done, the playlists are checked
    /// against the HLS rules, the master is rewritten with the measured bandwidths, and the media playlists become VOD.
    /// </summary>
    public Task<TranscodeOutput> TranscodeLadderAsync(TranscodeInput input, CancellationToken cancellationToken) =>
        RunAsync(input.VideoId, PipelineStep.TranscodeLadder, async () =>
        {
            var videoId = input.VideoId;
            using var work = _workArea.Create(videoId);

            // Fail (and retry later) before ffmpeg fills the disk, which would also starve every other step on this instance.
            DiskSpace.EnsureAvailable(work.Path, DiskSpace.EstimateTranscodeBytes(input.Source, input.Ladder));

            // A re-run starts from nothing: no segment of an earlier attempt is served or left behind, and the video is not
            // playable again until this attempt's first segments are stored.
            await StopPlaybackAsync(videoId, cancellationToken).ConfigureAwait(false);

            var entry = await _videos.GetEntryAsync(videoId, cancellationToken).ConfigureAwait(false) ?? throw new VideoGoneException();
            var render = entry.ContentType == RenderJob.ContentType ? await _renders.ReadJobAsync(videoId, cancellationToken).ConfigureAwait(false) : null;
            var renderInputs = render is null ? null : await _renders.DownloadAsync(render, work.Path, cancellationToken).ConfigureAwait(false);

            var publisher = _publishing.Start(videoId, input.Ladder, input.OwnerOnlyUntilPublished, cancellationToken);
            using var progress = new ProgressWriter(_videos, videoId, TimeSpan.FromSeconds(_pipelineOptions.Value.ProgressIntervalSeconds), _time, cancellationToken);
            var request = new TranscodeRequest(render is null ? SourceUrl(videoId) : Path.Combine(work.Path, RenderStreamName), work.Path, input.Source, input.Ladder, _mediaOptions.Value.SegmentFormat)
            {
                // A content review follows: its samples come from this decode, the one the published renditions are made of,
                // its frames at moments drawn here (cryptographically random, anew for each run) that no uploader can know.
                Review = input.OwnerOnlyUntilPublished ? ReviewPlan.Draw(input.Source, SamplingFor(_reviewOptions.Value)) : null,
            };
            var transcodeProgress = new Progress<double>(p => progress.Report(p * 99));
            var result = render is null
                ? await _transcoder.TranscodeAsync(request, transcodeProgress, publisher, cancellationToken).ConfigureAwait(false)
                : await RenderAndTranscodeAsync(render, renderInputs!, request, transcodeProgress, publisher, cancellationToken).ConfigureAwait(false);
            await progress.StopAsync().ConfigureAwait(false);

            var playableAt = await publisher.CompleteAsync(result, input.Source.DurationSeconds, cancellationToken).ConfigureAwait(false);
            var samples = result.ReviewSamples is { } files
                ? await StoreReviewSamplesAsync(videoId, files, result.PosterPath, cancellationToken).ConfigureAwait(false)
                : null;
            var records = result.Renditions
                .Select(r => new RenditionRecord(r.Rendition.Name, r.Rendition.Width, r.Rendition.Height, r.PeakBandwidth, r.AverageBandwidth, r.Codecs, r.FrameRate))
                .ToList();
            return (new TranscodeOutput(records, samples), (Func<VideoEntry, VideoEntry>)(e => e with
            {
                Video = e.Video with { Progress = 100, PlayableAt = e.Video.PlayableAt ?? playableAt, PlayableByOwnerOnly = input.OwnerOnlyUntilPublished },
                State = e.State! with { Renditions = records },
            }));
        }, cancellationToken);

    /// <summary>The named pipe a render is streamed through, in the step's work folder.</summary>
    internal const string RenderStreamName = "render.mkv";

    /// <summary>
    /// A render is the transcode's source: the renderer writes its uncompressed picture and sound into a named pipe that the
    /// one-pass ladder transcode reads as it is written, so the render publishes while it draws, as uploads do, and the
    /// review's samples come from the same decode. Either failing stops the other; the transcode's result counts only when
    /// the render ran to its end (a render cut short ends the pipe early, which the transcode cannot tell from the end).
    /// </summary>
    private async Task<TranscodeResult> RenderAndTranscodeAsync(
        RenderJob job, RenderInputs inputs, TranscodeRequest request, IProgress<double> progress, IHlsOutputListener publisher, CancellationToken cancellationToken)
    {
        NamedPipe.Create(request.Input);
        using var both = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var rendering = _renderer.RenderAsync(job.Plan(), inputs, request.Input, null, both.Token, stream: true);
        _ = rendering.ContinueWith(
            _ =>
            {
                try
                {
                    both.Cancel();
                }
                catch (ObjectDisposedException)
                {
                    // The step has ended already.
                }
            },
            CancellationToken.None, TaskContinuationOptions.NotOnRanToCompletion, TaskScheduler.Default);
        TranscodeResult result;
        try
        {
            result = await _transcoder.TranscodeAsync(request, progress, publisher, both.Token).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Neither process outlives the step (the work folder goes with it). The render's own failure, when it had one,
            // is the cause (the transcode only saw its pipe end, or was stopped for it), unless the render failed writing
            // into a pipe the failed transcode no longer read.
            await both.CancelAsync().ConfigureAwait(false);
            try
            {
                await rendering.ConfigureAwait(false);
            }
            catch (FfmpegException renderFailure) when (!cancellationToken.IsCancellationRequested && rendering.IsFaulted
                && !renderFailure.StderrTail.Contains("Broken pipe", StringComparison.OrdinalIgnoreCase))
            {
                throw;
            }
            catch (Exception ex) when (ex is OperationCanceledException or FfmpegException)
            {
                // Stopped together with the transcode, whose failure is rethrown.
            }

            throw;
        }

        await rendering.ConfigureAwait(false);
        return result;
    }

    private static ReviewSampling SamplingFor(ReviewOptions options) =>
        new(options.FrameIntervalSeconds, options.SceneChangeThreshold, options.MaxFrames, options.AudioChunkSeconds);

    /// <summary>
    /// Stores what the content check is asked about in the private review container (kept for appeals): the frames and audio
    /// chunks of the transcode's decode, and the representative poster, which is published too. A re-run may take fewer
    /// samples: no orphan of an earlier attempt remains.
    /// </summary>
    private async Task<IReadOnlyList<ReviewSample>> StoreReviewSamplesAsync(string videoId, ReviewSampleFiles files, string posterPath, CancellationToken cancellationToken)
    {
        await _blobs.DeletePrefixAsync(MediaLayout.ReviewContainer, MediaLayout.Prefix(videoId), cancellationToken).ConfigureAwait(false);
        var samples = new List<ReviewSample>();
        var all = files.Frames.Select(f => (File: f, Name: Path.GetFileName(f), Type: MediaCheckType.Image, ContentType: "image/jpeg"))
            .Append((File: posterPath, Name: ReviewPosterName, Type: MediaCheckType.Image, ContentType: "image/jpeg"))
            .Concat(files.AudioChunks.Select(f => (File: f, Name: Path.GetFileName(f), Type: MediaCheckType.Audio, ContentType: "audio/mpeg")));
        foreach (var (file, name, type, contentType) in all)
        {
            var blob = MediaLayout.ReviewSample(videoId, name);
            await _blobs.UploadFileAsync(MediaLayout.ReviewContainer, blob, file, new BlobWriteOptions(contentType, "private, no-store"), cancellationToken).ConfigureAwait(false);
            samples.Add(new ReviewSample(blob, type));
        }

        return samples;
    }

    /// <summary>The representative poster's name among the review samples.</summary>
    internal const string ReviewPosterName = "poster.jpg";

    /// <summary>Takes the video's playback away: the row says not playable, then its HLS files are deleted.</summary>
    private async Task StopPlaybackAsync(string videoId, CancellationToken cancellationToken)
    {
        await _videos.UpdateAsync(
            videoId,
            e => e.Video.PlayableAt is null || e.Video.Status is VideoStatus.Ready ? null : e with { Video = e.Video with { PlayableAt = null } },
            cancellationToken).ConfigureAwait(false);
        await _blobs.DeletePrefixAsync(MediaLayout.Container, MediaLayout.HlsFolder(videoId), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Publishes: the Ready index entry first (listing filters on the row's status), then the row turns Ready.</summary>
    public Task<bool> PublishVideoAsync(PublishInput input, CancellationToken cancellationToken) =>
        RunAsync(input.VideoId, PipelineStep.PublishVideo, async () =>
        {
            var entry = await _videos.GetEntryAsync(input.VideoId, cancellationToken).ConfigureAwait(false)
                ?? throw new VideoGoneException();
            var ready = Publish(entry.Video, input.Renditions, _time.GetUtcNow());
            await _videos.AddToReadyIndexAsync(ready, cancellationToken).ConfigureAwait(false);
            return (true, (Func<VideoEntry, VideoEntry>)(e => e with { Video = Publish(e.Video, input.Renditions, ready.ReadyAt!.Value) with { Stage = "Ready" } }));
        }, cancellationToken);

    /// <summary>
    /// Records the orchestration's verdict: the video is Failed with a reason its owner reads (never over a deletion or a
    /// publish). Playback granted while it was produced stops: the grant is refused from now on and its HLS files are
    /// deleted, so no player goes on with a half-made video. The upload is kept.
    /// </summary>
    public async Task<bool> FailVideoAsync(FailVideoInput input, CancellationToken cancellationToken)
    {
        var failed = await _videos.UpdateAsync(
            input.VideoId,
            e => e.Video.Status is VideoStatus.Ready or VideoStatus.Failed or VideoStatus.Deleted or VideoStatus.Rejected
                ? null
                : e with
                {
                    Video = e.Video with
                    {
                        Status = VideoStatus.Failed, Error = input.Reason, Stage = input.Step.ToString(), PlayableAt = null,
                        BadInputAt = input.BadInput ? _time.GetUtcNow() : null,
                    },
                    State = e.State is { } s ? s.With(input.Step, s[input.Step] with { Status = StepStatus.Failed, CompletedAt = _time.GetUtcNow() }) : null,
                },
            cancellationToken).ConfigureAwait(false);
        if (failed is { Video.Status: VideoStatus.Failed })
        {
            await _blobs.DeletePrefixAsync(MediaLayout.Container, MediaLayout.HlsFolder(input.VideoId), cancellationToken).ConfigureAwait(false);
        }

        LogFailed(input.VideoId, input.Step, input.Reason);
        return true;
    }

    private static VideoRecord Publish(VideoRecord video, IReadOnlyList<RenditionRecord> renditions, DateTimeOffset readyAt) => video with
    {
        Status = VideoStatus.Ready,
        ReadyAt = readyAt,
        Error = null,
        Progress = 100,
        Renditions = renditions
            .Select(r => new VideoRendition(r.Name, r.Width, r.Height, r.Bandwidth, r.AverageBandwidth, r.Codecs, r.FrameRate, MediaLayout.RenditionPlaylist(video.VideoId, r.Name)))
            .ToList(),
    };

    /// <summary>
    /// One step's bookkeeping around its work: marks it running in the row (stage, attempt, start time), runs it, records the
    /// outcome with the work's own change to the row, and classifies a failure for the orchestration.
    /// </summary>
    internal async Task<T> RunAsync<T>(string videoId, PipelineStep step, Func<Task<(T Result, Func<VideoEntry, VideoEntry>? Record)>> work, CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        var attempt = 0;
        try
        {
            var running = await _videos.UpdateAsync(
                videoId,
                e =>
                {
                    if (e.Video.Status is VideoStatus.Deleted or VideoStatus.Ready or VideoStatus.Failed or VideoStatus.Rejected)
                    {
                        return null;
                    }

                    var state = e.State ?? PipelineState.Start(_time.GetUtcNow());
                    attempt = state[step].Attempts + 1;
                    return e with
                    {
                        Video = e.Video with { Status = VideoStatus.Processing, Stage = step.ToString(), Error = null },
                        State = (state with { Current = step }).With(step, state[step] with { Status = StepStatus.Running, Attempts = attempt, StartedAt = _time.GetUtcNow(), CompletedAt = null }),
                    };
                },
                cancellationToken).ConfigureAwait(false);
            if (running is null || running.Video.Status != VideoStatus.Processing)
            {
                throw new VideoGoneException();
            }

            LogStepStarted(videoId, step, attempt);
            var (result, record) = await work().ConfigureAwait(false);
            var saved = await _videos.UpdateAsync(
                videoId,
                e =>
                {
                    if (e.Video.Status is not VideoStatus.Processing || e.State is not { } s)
                    {
                        return null; // Deleted meanwhile: nothing to record (its late outputs are removed below).
                    }

                    var done = e with { State = s.With(step, s[step] with { Status = StepStatus.Succeeded, CompletedAt = _time.GetUtcNow(), LastError = null }) };
                    return record is null ? done : record(done);
                },
                cancellationToken).ConfigureAwait(false);
            if (saved is null || saved.Video.Status == VideoStatus.Deleted)
            {
                await RemoveMediaIfDeletedAsync(videoId, cancellationToken).ConfigureAwait(false);
                throw new VideoGoneException();
            }

            LogStepCompleted(videoId, step, attempt, _time.GetElapsedTime(started).TotalSeconds);
            return result;
        }
        catch (Exception ex) when (ex is not StepFailedException)
        {
            var failure = await ClassifyAsync(videoId, ex, cancellationToken).ConfigureAwait(false);
            if (failure.Kind != StepFailureKind.VideoDeleted)
            {
                LogStepFailed(ex, videoId, step, attempt, failure.Kind);
                await RecordFailureAsync(videoId, step, failure.Reason).ConfigureAwait(false);
            }

            await RemoveMediaIfDeletedAsync(videoId, CancellationToken.None).ConfigureAwait(false);
            throw new StepFailedException(failure.Kind, failure.Reason, ex);
        }
    }

    private async Task<StepFailure> ClassifyAsync(string videoId, Exception ex, CancellationToken cancellationToken)
    {
        if (ex is VideoGoneException)
        {
            return new StepFailure(StepFailureKind.VideoDeleted, "The video was deleted.");
        }

        if (ex is OperationCanceledException && cancellationToken.IsCancellationRequested)
        {
            return new StepFailure(StepFailureKind.Interrupted, "The step was interrupted by a shutdown.");
        }

        // ffprobe and ffmpeg read the source over HTTP: a read cut short by a storage outage looks like a truncated file.
        // While storage is unreachable no verdict is trusted: the run is retried like any outage.
        var outage = ex is StorageUnavailableException || await StorageUnreachableAsync(videoId).ConfigureAwait(false);
        if (outage)
        {
            return new StepFailure(StepFailureKind.StorageOutage, ex is MediaRejectedException r ? r.Reason : Describe(ex));
        }

        return ex is MediaRejectedException rejected
            ? new StepFailure(StepFailureKind.Rejected, rejected.Reason)
            : new StepFailure(StepFailureKind.Transient, Describe(ex));
    }

    /// <summary>The step's failed run in the read model (best effort: the orchestration holds the truth).</summary>
    private async Task RecordFailureAsync(string videoId, PipelineStep step, string error)
    {
        try
        {
            using var quick = StorageCallScope.BeginInteractive();
            await _videos.UpdateAsync(
                videoId,
                e => e.State is { } s && e.Video.Status == VideoStatus.Processing && s[step].Status == StepStatus.Running
                    ? e with { State = s.With(step, s[step] with { Status = StepStatus.Pending, LastError = error, CompletedAt = _time.GetUtcNow() }) }
                    : null,
                CancellationToken.None).ConfigureAwait(false);
        }
        catch (StorageException)
        {
        }
    }

    /// <summary>
    /// The owner deleted the video while this step ran: the delete already removed what was stored then, but the step
    /// may have uploaded renditions or a poster since. Remove them, so a deleted video leaves nothing behind.
    /// </summary>
    private async Task RemoveMediaIfDeletedAsync(string videoId, CancellationToken cancellationToken)
    {
        try
        {
            if (await _videos.GetAsync(videoId, cancellationToken).ConfigureAwait(false) is { Status: VideoStatus.Deleted })
            {
                var removed = await _blobs.DeletePrefixAsync(MediaLayout.Container, MediaLayout.Prefix(videoId), cancellationToken).ConfigureAwait(false);
                LogDeletedWhileRunning(videoId, removed);
            }
        }
        catch (StorageException)
        {
            // The next delete by the owner (or the next run of this step) removes them.
        }
    }

    /// <summary>Whether storage is down right now (the step's own error may not say so).</summary>
    private async Task<bool> StorageUnreachableAsync(string videoId)
    {
        try
        {
            // One quick try: the background retry budget would outlast a short outage and report storage as fine.
            using var quick = StorageCallScope.BeginInteractive();
            await _blobs.GetInfoAsync(MediaLayout.UploadsContainer, MediaLayout.Source(videoId), CancellationToken.None).ConfigureAwait(false);
            return false;
        }
        catch (StorageUnavailableException)
        {
            return true;
        }
    }

    /// <summary>The human-readable reason a step failed, as the video's error shows it.</summary>
    internal static string Describe(Exception ex) => ex switch
    {
        _ when DiskSpace.IsOutOfSpace(ex) => DiskSpace.Describe(ex),
        FfmpegException f when f.TimedOut => "ffmpeg timed out.",
        FfmpegException { ExitCode: null } f => f.Message,
        FfmpegException f when KilledBySignal(f.ExitCode.GetValueOrDefault()) => "ffmpeg " + DescribeExit(f.ExitCode.GetValueOrDefault()) + ".",
        FfmpegException f => "ffmpeg " + DescribeExit(f.ExitCode.GetValueOrDefault()) + (LastLine(f.StderrTail) is { Length: > 0 } line ? ": " + line : "."),
        StorageException s => $"Storage error: {s.Message}",
        IOException io => $"I/O error: {io.Message}",
        _ => $"{ex.GetType().Name}: {ex.Message}",
    };

    /// <summary>Ended by a signal: its last words (warnings written before) say nothing about why.</summary>
    private static bool KilledBySignal(int code) => code is > 128 and <= 128 + 64 && !OperatingSystem.IsWindows();

    /// <summary>On Unix a process ended by a signal reports 128 + the signal (SIGKILL: 137, from the OOM killer or an operator).</summary>
    private static string DescribeExit(int code) => code switch
    {
        > 128 and <= 128 + 64 when !OperatingSystem.IsWindows() => string.Create(
            CultureInfo.InvariantCulture, $"was killed by signal {code - 128}{(code - 128 == 9 ? " (SIGKILL)" : string.Empty)}"),
        _ => string.Create(CultureInfo.InvariantCulture, $"failed (exit {code})"),
    };

    private static string LastLine(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? string.Empty;

    internal string SourceUrl(string videoId) =>
        _signer.GetSasUri(MediaLayout.UploadsContainer, MediaLayout.Source(videoId), BlobSasPermissions.Read, _time.GetUtcNow() + SourceUrlLifetime).AbsoluteUri;

    [LoggerMessage(EventId = 220, Level = LogLevel.Information, Message = "Video {VideoId}: probed {Duration:F2} s {Width}x{Height}; ladder {Ladder}")]
    private partial void LogProbed(string videoId, double duration, int width, int height, string ladder);

    [LoggerMessage(EventId = 203, Level = LogLevel.Information, Message = "Video {VideoId}: {Step} attempt {Attempt} started")]
    private partial void LogStepStarted(string videoId, PipelineStep step, int attempt);

    [LoggerMessage(EventId = 204, Level = LogLevel.Information, Message = "Video {VideoId}: {Step} attempt {Attempt} completed in {Seconds:F1} s")]
    private partial void LogStepCompleted(string videoId, PipelineStep step, int attempt, double seconds);

    [LoggerMessage(EventId = 205, Level = LogLevel.Warning, Message = "Video {VideoId}: {Step} attempt {Attempt} failed ({Kind})")]
    private partial void LogStepFailed(Exception exception, string videoId, PipelineStep step, int attempt, StepFailureKind kind);

    [LoggerMessage(EventId = 207, Level = LogLevel.Warning, Message = "Video {VideoId}: Failed at {Step}: {Reason}")]
    private partial void LogFailed(string videoId, PipelineStep step, string reason);

    [LoggerMessage(EventId = 210, Level = LogLevel.Information, Message = "Video {VideoId} was deleted while a step ran; {Blobs} media blobs it wrote removed")]
    private partial void LogDeletedWhileRunning(string videoId, int blobs);
}
