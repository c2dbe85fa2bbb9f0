using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Serverless.Media.Probing;
using Serverless.Media.Processes;
using Serverless.Media.Review;

namespace Serverless.Media.Transcoding;

/// <summary>
/// Runs the one-pass ladder transcode, telling the listener of each segment and poster as ffmpeg closes it
/// (<see cref="LiveOutputWatcher"/>), then measures each rendition from the files written.
/// </summary>
internal sealed partial class FfmpegHlsTranscoder(
    MediaProcessRunner runner,
    FfprobeMediaProbe probe,
    IOptions<MediaOptions> options,
    ILogger<FfmpegHlsTranscoder> logger) : IHlsTranscoder
{
    public async Task<TranscodeResult> TranscodeAsync(TranscodeRequest request, IProgress<double>? progress, IHlsOutputListener? listener, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var arguments = HlsArguments.Build(request, settings.Preset);
        PrepareDirectories(request);

        var reported = -1.0;
        void OnLine(string line)
        {
            if (FfmpegProgress.Parse(line, request.Source.DurationSeconds) is { } fraction && fraction > reported)
            {
                reported = fraction;
                progress?.Report(fraction);
            }
        }

        var started = Stopwatch.GetTimestamp();
        LogStarting(logger, request.Ladder.Count, request.Source.DurationSeconds);
        var watcher = new LiveOutputWatcher(request, listener, probe);
        using var stopFfmpeg = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var encode = runner.RunAsync(
            new ProcessInvocation(settings.FfmpegPath, arguments, TimeSpan.FromSeconds(settings.TranscodeTimeoutSeconds), OnLine),
            stopFfmpeg.Token);
        var watch = watcher.WatchAsync(encode, cancellationToken);
        if (await Task.WhenAny(encode, watch).ConfigureAwait(false) == watch && watch.IsFaulted)
        {
            // Publishing what ffmpeg wrote failed (storage): stop the encode and report that failure, not the cancellation.
            await stopFfmpeg.CancelAsync().ConfigureAwait(false);
            string? stderr = null;
            try
            {
                stderr = (await encode.ConfigureAwait(false)).StderrTail;
            }
            catch (FfmpegException ex)
            {
                stderr = ex.StderrTail;
            }
            catch (OperationCanceledException)
            {
            }

            // A full disk is what broke the output the watcher read: say so.
            DiskSpace.ThrowIfFilledUp(request.OutputDirectory, stderr);
            await watch.ConfigureAwait(false);
        }

        var outcome = await encode.ConfigureAwait(false);
        try
        {
            await watch.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The watcher's last look can fail on what a full disk left (a truncated playlist or segment) just as ffmpeg
            // exits: the full disk is the reason, whichever of the two finished first.
            DiskSpace.ThrowIfFilledUp(request.OutputDirectory, outcome.StderrTail);
            throw;
        }

        DiskSpace.ThrowIfFilledUp(request.OutputDirectory, outcome.StderrTail);
        if (outcome.ExitCode != 0)
        {
            // The source opened as something else than a video container (it is not what was probed): bad input, for good.
            if (outcome.StderrTail.Contains(FfprobeMediaProbe.FormatRefusedMarker, StringComparison.Ordinal)
                && FfprobeMediaProbe.ClassifyBadInput(outcome.ExitCode, outcome.StderrTail) is { } refused)
            {
                throw new MediaRejectedException(refused);
            }

            throw new FfmpegException(
                $"ffmpeg exited with code {outcome.ExitCode}: {FfprobeMediaProbe.LastLine(outcome.StderrTail)}",
                outcome.ExitCode, outcome.StderrTail, arguments, timedOut: false);
        }

        await watcher.ScanAsync(cancellationToken).ConfigureAwait(false);
        if (new FileInfo(watcher.PosterPath) is not { Exists: true, Length: > 0 })
        {
            throw new FfmpegException("ffmpeg wrote no poster image.", outcome.ExitCode, outcome.StderrTail, arguments, timedOut: false);
        }

        var renditions = new List<RenditionOutput>(request.Ladder.Count);
        foreach (var rendition in watcher.Renditions)
        {
            cancellationToken.ThrowIfCancellationRequested();
            await WriteCompletePlaylistAsync(rendition, arguments, cancellationToken).ConfigureAwait(false);
            renditions.Add(await MeasureAsync(request, rendition.Rendition, rendition.Codecs is { } codecs ? (codecs, rendition.FrameRate) : null, arguments, cancellationToken).ConfigureAwait(false));
        }

        if (reported < 1)
        {
            progress?.Report(1);
        }

        ReviewSampleFiles? samples = null;
        if (request.Review is not null)
        {
            samples = ReviewSampleArguments.Collect(ReviewFolder(request));
            if (samples.Frames.Count == 0)
            {
                throw new FfmpegException("ffmpeg wrote no frame to check.", outcome.ExitCode, outcome.StderrTail, arguments, timedOut: false);
            }
        }

        LogFinished(logger, request.Ladder.Count, Stopwatch.GetElapsedTime(started).TotalSeconds);
        return new TranscodeResult(renditions, watcher.PosterPath, samples);
    }

    /// <summary>ffmpeg's own playlist keeps only the last segment: write the whole VOD list the watcher kept in its place.</summary>
    private static async Task WriteCompletePlaylistAsync(
        (Rendition Rendition, string Folder, IReadOnlyList<MediaSegment> Segments, int TargetDuration, int Version, string? MapUri, string? Codecs, double FrameRate) rendition,
        IReadOnlyList<string> arguments,
        CancellationToken cancellationToken)
    {
        if (rendition.Segments.Count == 0)
        {
            throw new FfmpegException($"ffmpeg wrote no segment for rendition {rendition.Rendition.Name}.", 0, string.Empty, arguments, timedOut: false);
        }

        var playlist = new MediaPlaylistModel(rendition.Version, rendition.TargetDuration, 0, "VOD", EndList: true, IndependentSegments: true, rendition.MapUri, rendition.Segments);
        playlist = playlist with { TargetDuration = Math.Max(rendition.TargetDuration, playlist.RequiredTargetDuration) };
        await File.WriteAllTextAsync(Path.Combine(rendition.Folder, HlsArguments.PlaylistName), HlsPlaylists.WriteMedia(playlist), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Re-runs overwrite: each rendition folder and poster starts absent so nothing of an earlier attempt survives.</summary>
    private static void PrepareDirectories(TranscodeRequest request)
    {
        foreach (var rendition in request.Ladder)
        {
            var folder = Path.Combine(request.OutputDirectory, rendition.Name);
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }

            Directory.CreateDirectory(folder);
        }

        foreach (var poster in new[] { Posters.PosterFrames.EarlyFileName, Posters.PosterFrames.FileName })
        {
            File.Delete(Path.Combine(request.OutputDirectory, poster));
        }

        var review = ReviewFolder(request);
        if (Directory.Exists(review))
        {
            Directory.Delete(review, recursive: true);
        }

        if (request.Review is not null)
        {
            Directory.CreateDirectory(review);
        }
    }

    private static string ReviewFolder(TranscodeRequest request) => Path.Combine(Path.GetFullPath(request.OutputDirectory), ReviewSampleArguments.Folder);

    /// <summary>
    /// A rendition's bandwidths from its segments, and its codecs and frame rate: those the live watcher probed from its first
    /// segments (<paramref name="known"/>: the encoder's settings do not change within a run, and a probe of the whole playlist
    /// reads only its first segment anyway), else probed now.
    /// </summary>
    private async Task<RenditionOutput> MeasureAsync(
        TranscodeRequest request, Rendition rendition, (string Codecs, double FrameRate)? known, IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        var folder = Path.GetFullPath(Path.Combine(request.OutputDirectory, rendition.Name));
        var playlistPath = Path.Combine(folder, HlsArguments.PlaylistName);
        if (!File.Exists(playlistPath))
        {
            throw new FfmpegException($"ffmpeg wrote no playlist for rendition {rendition.Name}.", 0, string.Empty, arguments, timedOut: false);
        }

        var playlist = HlsPlaylists.ParseMedia(await File.ReadAllTextAsync(playlistPath, cancellationToken).ConfigureAwait(false));
        if (playlist.TargetDuration != playlist.RequiredTargetDuration)
        {
            // ffmpeg truncates where RFC 8216 rounds (a 0.5 s clip gets TARGETDURATION 0): the playlist says what the rules say.
            playlist = playlist with { TargetDuration = playlist.RequiredTargetDuration };
            await File.WriteAllTextAsync(playlistPath, HlsPlaylists.WriteMedia(playlist), cancellationToken).ConfigureAwait(false);
        }

        if (request.Format == HlsSegmentFormat.Fmp4)
        {
            playlist = await NormaliseInitSegmentAsync(folder, playlistPath, playlist, cancellationToken).ConfigureAwait(false);
        }

        var files = new List<string>();
        if (playlist.MapUri is { } map)
        {
            files.Add(Path.Combine(folder, map));
        }

        var measurement = SegmentBandwidth.Measure(
            playlist.Segments.Select(s => (s.Duration, new FileInfo(Path.Combine(folder, s.Uri)).Length)).ToList(), playlist.TargetDuration);
        files.AddRange(playlist.Segments.Select(s => Path.Combine(folder, s.Uri)));
        files.Add(playlistPath);

        var (codecs, frameRate) = known
            ?? StreamCodecs.Read(await probe.ProbeOutputAsync(playlistPath, cancellationToken).ConfigureAwait(false), rendition, request.Source);
        return new RenditionOutput(rendition, playlistPath, files, measurement.Peak, measurement.Average, codecs, frameRate);
    }

    /// <summary>With several variants ffmpeg names the init segment <c>init_&lt;n&gt;.mp4</c>; rename it to <c>init.mp4</c> in every folder.</summary>
    private static async Task<MediaPlaylistModel> NormaliseInitSegmentAsync(string folder, string playlistPath, MediaPlaylistModel playlist, CancellationToken cancellationToken)
    {
        if (playlist.MapUri is not { } map || map == HlsArguments.InitName)
        {
            return playlist;
        }

        File.Move(Path.Combine(folder, map), Path.Combine(folder, HlsArguments.InitName), overwrite: true);
        var renamed = playlist with { MapUri = HlsArguments.InitName };
        await File.WriteAllTextAsync(playlistPath, HlsPlaylists.WriteMedia(renamed), cancellationToken).ConfigureAwait(false);
        return renamed;
    }

    [LoggerMessage(EventId = 310, Level = LogLevel.Information, Message = "Transcoding {Renditions} renditions of a {DurationSeconds} s source")]
    private static partial void LogStarting(ILogger logger, int renditions, double durationSeconds);

    [LoggerMessage(EventId = 311, Level = LogLevel.Information, Message = "Transcoded {Renditions} renditions in {ElapsedSeconds} s")]
    private static partial void LogFinished(ILogger logger, int renditions, double elapsedSeconds);
}

/// <summary>A rendition's RFC 6381 codecs and frame rate, as ffprobe read them from its output. Pure.</summary>
internal static class StreamCodecs
{
    public static (string Codecs, double FrameRate) Read(ProbeReport report, Rendition rendition, MediaInfo source)
    {
        var codecs = CodecStrings.Avc(report.VideoProfile, report.VideoLevel);
        if (report.Info.Audio is not null)
        {
            codecs += "," + CodecStrings.Aac(report.AudioProfile);
        }

        var frameRate = report.Info.Video?.FrameRate is > 0 and var measured
            ? measured
            : rendition.MaxFrameRate ?? source.Video?.FrameRate ?? 0;
        return (codecs, frameRate);
    }
}

/// <summary>HLS BANDWIDTH and AVERAGE-BANDWIDTH from segment sizes and EXTINF durations (RFC 8216 section 4.3.4.2). Pure.</summary>
internal static class SegmentBandwidth
{
    /// <summary>
    /// Peak: the largest bit rate of any contiguous run of segments whose total duration is between 0.5 and 1.5 times the target
    /// duration (so a short final segment holding one IDR frame does not count alone); the overall rate when no run qualifies.
    /// Average: total bits / total duration.
    /// </summary>
    public static (long Peak, long Average) Measure(IReadOnlyList<(double Duration, long Bytes)> segments, double targetDuration)
    {
        var valid = segments.Where(s => s.Duration > 0).ToList();
        var totalBits = valid.Sum(s => s.Bytes * 8.0);
        var totalSeconds = valid.Sum(s => s.Duration);
        if (totalSeconds <= 0)
        {
            return (0, 0);
        }

        var average = totalBits / totalSeconds;
        var peak = 0.0;
        for (var first = 0; first < valid.Count; first++)
        {
            double bits = 0, seconds = 0;
            for (var last = first; last < valid.Count && seconds <= 1.5 * targetDuration; last++)
            {
                bits += valid[last].Bytes * 8.0;
                seconds += valid[last].Duration;
                if (seconds >= 0.5 * targetDuration && seconds <= 1.5 * targetDuration)
                {
                    peak = Math.Max(peak, bits / seconds);
                }
            }
        }

        return ((long)Math.Ceiling(peak > 0 ? peak : average), (long)Math.Ceiling(average));
    }
}
