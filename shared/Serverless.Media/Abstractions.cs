namespace Serverless.Media;

/// <summary>Reads what a media file contains.</summary>
public interface IMediaProbe
{
    /// <summary>Probes a local path or an http(s) URL (e.g. a read SAS URL into Blob storage).</summary>
    /// <exception cref="MediaRejectedException">Bad input: not a media file, truncated, empty, no audio or video stream.</exception>
    /// <exception cref="FfmpegException">ffprobe crashed, was killed or timed out (may be transient).</exception>
    Task<MediaInfo> ProbeAsync(string input, CancellationToken cancellationToken);
}

/// <summary>Plans the ABR ladder of one source.</summary>
public interface ILadderPlanner
{
    /// <summary>
    /// The ladder for <paramref name="source"/> (probed from <paramref name="input"/>, a local path or an http(s) URL): the fixed
    /// ladder, made per-title from a short look at the content when <see cref="MediaOptions.PerTitleLadder"/> is on.
    /// </summary>
    Task<IReadOnlyList<Rendition>> PlanAsync(string input, MediaInfo source, CancellationToken cancellationToken);
}

/// <summary>One rung of the ABR ladder, in display orientation.</summary>
/// <param name="Name">Folder and variant name, e.g. <c>720p</c>.</param>
/// <param name="H264Level">H.264 level, e.g. <c>3.1</c> (at most 4.1).</param>
public sealed record Rendition(string Name, int Width, int Height, int VideoBitrateKbps, int MaxRateKbps, int BufferSizeKbits, int AudioBitrateKbps, string H264Level)
{
    /// <summary>Output frame-rate cap; null keeps the source rate.</summary>
    public double? MaxFrameRate { get; init; }

    /// <summary>
    /// Constant quality for a per-title rung (<see cref="PerTitleLadder"/>): libx264 <c>-crf</c> with
    /// <see cref="MaxRateKbps"/> / <see cref="BufferSizeKbits"/> as its VBV cap, so the rate follows the content and never
    /// exceeds the cap; null encodes at <see cref="VideoBitrateKbps"/> (capped VBR), as the fixed ladder does.
    /// </summary>
    public int? Crf { get; init; }
}

/// <summary>Transcode <paramref name="Input"/> into HLS renditions under <paramref name="OutputDirectory"/>/&lt;rendition name&gt;/.</summary>
public sealed record TranscodeRequest(string Input, string OutputDirectory, MediaInfo Source, IReadOnlyList<Rendition> Ladder, HlsSegmentFormat Format, double SegmentSeconds = 6, double KeyframeIntervalSeconds = 2)
{
    /// <summary>
    /// Also take the content check's samples (frames at the plan's moments and scene changes, audio chunks) from the same
    /// decode, into <paramref name="OutputDirectory"/>/review/; null when no review follows.
    /// </summary>
    public Review.ReviewPlan? Review { get; init; }
}

/// <summary>One produced rendition, with its bandwidths measured from the segments written.</summary>
/// <param name="PlaylistPath">Full path of the rendition's <c>index.m3u8</c>.</param>
/// <param name="Files">Full paths of every file the playlist references (init segment first for fMP4, then media segments), plus the playlist itself last.</param>
/// <param name="PeakBandwidth">Peak segment bit rate (bits/s): max of bits / EXTINF duration over segments, where a segment shorter than half
/// the target duration (the clip's tail) counts together with its neighbours, as RFC 8216 section 4.3.4.2 defines it.</param>
/// <param name="AverageBandwidth">Total segment bits / total duration (bits/s).</param>
/// <param name="Codecs">RFC 6381 codecs, e.g. <c>avc1.64001f,mp4a.40.2</c>, read from the output.</param>
/// <param name="FrameRate">The output frame rate.</param>
public sealed record RenditionOutput(Rendition Rendition, string PlaylistPath, IReadOnlyList<string> Files, long PeakBandwidth, long AverageBandwidth, string Codecs, double FrameRate);

/// <summary>All renditions of a transcode, in ladder order, and the poster and review samples taken from the same decode.</summary>
/// <param name="PosterPath">Full path of the representative poster JPEG (about a third into the clip).</param>
/// <param name="ReviewSamples">The content check's frames and audio chunks, when the request asked for them.</param>
public sealed record TranscodeResult(IReadOnlyList<RenditionOutput> Renditions, string PosterPath, Review.ReviewSampleFiles? ReviewSamples = null);

/// <summary>
/// One rendition as far as ffmpeg has finished it: every segment it has closed, in order (never one still being written).
/// </summary>
/// <param name="Folder">Full path of the rendition's folder; segment URIs are file names in it.</param>
/// <param name="InitPath">Full path of the fMP4 init segment once written (null for MPEG-TS).</param>
/// <param name="Codecs">RFC 6381 codecs, read from the first segment.</param>
/// <param name="FrameRate">The output frame rate, read from the first segment.</param>
/// <param name="TargetDuration">The EXT-X-TARGETDURATION every version of its playlist carries (fixed before the first segment).</param>
public sealed record LiveRendition(Rendition Rendition, string Folder, string? InitPath, IReadOnlyList<MediaSegment> Segments, string Codecs, double FrameRate, int TargetDuration);

/// <summary>Told of the transcode's outputs as ffmpeg finishes them, so they can be published while it still encodes.</summary>
/// <remarks>Calls come one at a time, in order; a call that throws stops the transcode with that exception.</remarks>
public interface IHlsOutputListener
{
    /// <summary>The rendition has new complete segments (<see cref="LiveRendition.Segments"/> lists them all, old and new).</summary>
    Task OnSegmentsAsync(LiveRendition rendition, CancellationToken cancellationToken);

    /// <summary>A poster JPEG is complete: first the early one (from the clip's first second), later the representative one.</summary>
    Task OnPosterAsync(string path, bool representative, CancellationToken cancellationToken);
}

/// <summary>Transcodes a source into an HLS ABR ladder, its poster and (when asked) its review samples in one ffmpeg pass (one decode).</summary>
public interface IHlsTranscoder
{
    /// <param name="progress">Receives 0..1 as ffmpeg advances.</param>
    /// <param name="listener">Told of each segment and poster as soon as ffmpeg has closed it; null when only the end matters.</param>
    /// <exception cref="FfmpegException">ffmpeg failed, was killed or timed out.</exception>
    Task<TranscodeResult> TranscodeAsync(TranscodeRequest request, IProgress<double>? progress, IHlsOutputListener? listener, CancellationToken cancellationToken);
}
