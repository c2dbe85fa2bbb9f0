using System.Globalization;
using Serverless.Media.Posters;
using Serverless.Media.Probing;

namespace Serverless.Media.Transcoding;

/// <summary>
/// Watches a running ladder transcode's output folder and tells the listener of every segment and poster ffmpeg has finished.
/// ffmpeg rewrites each rendition's playlist atomically after closing a segment and lists only closed segments, keeping just the
/// latest (<see cref="HlsArguments"/>); the watcher keeps the whole list. Segments that slid out of the playlist between two
/// looks (a small rendition encodes faster than the watcher looks) are read from their files: each one's duration is the
/// difference of the first video timestamps of it and of the next, which is how ffmpeg measures EXTINF, so none is skipped.
/// </summary>
internal sealed class LiveOutputWatcher
{
    /// <summary>How often the folder is looked at while ffmpeg runs: small beside a segment's encode time.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(100);

    private readonly TranscodeRequest _request;
    private readonly IHlsOutputListener? _listener;
    private readonly FfprobeMediaProbe _probe;
    private readonly Tracked[] _renditions;
    private readonly string _earlyPoster;
    private readonly string _poster;
    private bool _earlyPosterSeen;
    private bool _posterSeen;

    public LiveOutputWatcher(TranscodeRequest request, IHlsOutputListener? listener, FfprobeMediaProbe probe)
    {
        _request = request;
        _listener = listener;
        _probe = probe;
        var output = Path.GetFullPath(request.OutputDirectory);
        var target = LiveSegments.TargetDuration(request);
        _renditions = [.. request.Ladder.Select(r => new Tracked(r, Path.Combine(output, r.Name), target))];
        _earlyPoster = Path.Combine(output, PosterFrames.EarlyFileName);
        _poster = Path.Combine(output, PosterFrames.FileName);
    }

    public string PosterPath => _poster;

    /// <summary>
    /// What is known of each rendition, in ladder order (complete once <see cref="ScanAsync"/> ran after ffmpeg's exit); its
    /// codecs and frame rate as probed from its first segments (null when none was seen).
    /// </summary>
    public IEnumerable<(Rendition Rendition, string Folder, IReadOnlyList<MediaSegment> Segments, int TargetDuration, int Version, string? MapUri, string? Codecs, double FrameRate)> Renditions =>
        _renditions.Select(r => (r.Rendition, r.Folder, (IReadOnlyList<MediaSegment>)r.Segments, r.TargetDuration, r.Version, r.MapUri, r.Codecs, r.FrameRate));

    /// <summary>Looks every <see cref="Interval"/> until <paramref name="process"/> ends (the caller makes the last look).</summary>
    public async Task WatchAsync(Task process, CancellationToken cancellationToken)
    {
        while (!process.IsCompleted)
        {
            await ScanAsync(cancellationToken).ConfigureAwait(false);
            await Task.WhenAny(process, Task.Delay(Interval, cancellationToken)).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    /// <summary>One look: reports each rendition with new closed segments, then any poster newly complete.</summary>
    public async Task ScanAsync(CancellationToken cancellationToken)
    {
        foreach (var rendition in _renditions)
        {
            await ScanAsync(rendition, cancellationToken).ConfigureAwait(false);
        }

        if (!_earlyPosterSeen && File.Exists(_earlyPoster))
        {
            _earlyPosterSeen = true;
            if (_listener is not null)
            {
                await _listener.OnPosterAsync(_earlyPoster, representative: false, cancellationToken).ConfigureAwait(false);
            }
        }

        if (!_posterSeen && File.Exists(_poster))
        {
            _posterSeen = true;
            if (_listener is not null)
            {
                await _listener.OnPosterAsync(_poster, representative: true, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task ScanAsync(Tracked rendition, CancellationToken cancellationToken)
    {
        string text;
        try
        {
            text = await File.ReadAllTextAsync(Path.Combine(rendition.Folder, HlsArguments.PlaylistName), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return; // no segment closed yet
        }

        var snapshot = HlsPlaylists.ParseMedia(text);
        var (missed, added) = LiveSegments.Merge(rendition.Segments.Count, snapshot);
        if (missed.Count == 0 && added.Count == 0)
        {
            return;
        }

        if (missed.Count > 0)
        {
            var init = snapshot.MapUri is { } mapped ? Path.Combine(rendition.Folder, mapped) : null;
            var starts = new double[missed.Count + 1];
            for (var i = 0; i <= missed.Count; i++)
            {
                starts[i] = await StartAsync(rendition, i < missed.Count ? missed[i] : snapshot.MediaSequence, init, cancellationToken).ConfigureAwait(false);
            }

            for (var i = 0; i < missed.Count; i++)
            {
                rendition.Segments.Add(new MediaSegment(LiveSegments.SegmentFileName(missed[i], _request.Format), Math.Round(starts[i + 1] - starts[i], 6), null));
            }
        }

        rendition.Segments.AddRange(added);
        rendition.Version = snapshot.Version;
        rendition.MapUri = snapshot.MapUri;
        if (rendition.Codecs is null)
        {
            var report = await _probe.ProbeOutputAsync(Path.Combine(rendition.Folder, HlsArguments.PlaylistName), cancellationToken).ConfigureAwait(false);
            (rendition.Codecs, rendition.FrameRate) = StreamCodecs.Read(report, rendition.Rendition, _request.Source);
        }

        if (_listener is not null)
        {
            await _listener.OnSegmentsAsync(
                new LiveRendition(
                    rendition.Rendition,
                    rendition.Folder,
                    rendition.MapUri is { } map ? Path.Combine(rendition.Folder, map) : null,
                    [.. rendition.Segments],
                    rendition.Codecs,
                    rendition.FrameRate,
                    rendition.TargetDuration),
                cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The first video timestamp of segment <paramref name="sequence"/>.</summary>
    private async Task<double> StartAsync(Tracked rendition, long sequence, string? init, CancellationToken cancellationToken)
    {
        var path = Path.Combine(rendition.Folder, LiveSegments.SegmentFileName(sequence, _request.Format));
        return await _probe.FirstVideoPacketTimeAsync(path, init, cancellationToken).ConfigureAwait(false)
            ?? throw new FfmpegException($"The segment {Path.GetFileName(path)} of rendition {rendition.Rendition.Name} has no video.", 0, string.Empty, [], timedOut: false);
    }

    private sealed class Tracked(Rendition rendition, string folder, int targetDuration)
    {
        public Rendition Rendition { get; } = rendition;

        public string Folder { get; } = folder;

        public int TargetDuration { get; } = targetDuration;

        public List<MediaSegment> Segments { get; } = [];

        public int Version { get; set; } = 3;

        public string? MapUri { get; set; }

        public string? Codecs { get; set; }

        public double FrameRate { get; set; }
    }
}

/// <summary>The live segment list's rules. Pure.</summary>
internal static class LiveSegments
{
    /// <summary>
    /// Folds one playlist snapshot into a list of <paramref name="known"/> segments (sequence numbers 0..known-1): the segments
    /// it adds, and the sequence numbers that slid out of the playlist before they were seen.
    /// </summary>
    public static (IReadOnlyList<long> Missed, IReadOnlyList<MediaSegment> Added) Merge(int known, MediaPlaylistModel snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var missed = new List<long>();
        for (var sequence = (long)known; sequence < snapshot.MediaSequence; sequence++)
        {
            missed.Add(sequence);
        }

        var added = snapshot.Segments.Where((_, i) => snapshot.MediaSequence + i >= known).ToList();
        return (missed, added);
    }

    /// <summary>The file ffmpeg names segment <paramref name="sequence"/> (<c>seg_%05d</c>).</summary>
    public static string SegmentFileName(long sequence, HlsSegmentFormat format) =>
        string.Create(CultureInfo.InvariantCulture, $"seg_{sequence:D5}{HlsArguments.SegmentExtension(format)}");

    /// <summary>
    /// The target duration, fixed before the first segment (RFC 8216 forbids changing it while a playlist grows): the segment
    /// length, or less for a clip shorter than one segment, never below any segment's rounded duration.
    /// </summary>
    public static int TargetDuration(TranscodeRequest request) =>
        Math.Max(1, (int)Math.Ceiling(Math.Min(request.SegmentSeconds, request.Source.DurationSeconds + 0.5)));
}
