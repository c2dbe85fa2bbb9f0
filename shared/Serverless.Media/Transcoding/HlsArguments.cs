using System.Globalization;
using System.Text;
using Serverless.Media.Processes;
using Serverless.Media.Review;

namespace Serverless.Media.Transcoding;

/// <summary>Builds the single ffmpeg pass that encodes the whole ladder into HLS. Pure: tested on the rendered list.</summary>
/// <remarks>
/// One decode, <c>split</c> once, one <c>scale</c> per rung (ffmpeg autorotates first, so sizes are the displayed ones); libx264 High
/// yuv420p with capped VBR (b:v / maxrate / bufsize per rung) or, for a per-title rung, capped constant quality (crf / maxrate /
/// bufsize, <see cref="PerTitleLadder"/>); a closed GOP with an IDR forced every keyframe interval by time
/// (<c>-force_key_frames expr</c>) so boundaries line up across renditions, no scene-cut keyframes (<c>sc_threshold 0</c>) and a
/// natural GOP longer than the forced interval; AAC-LC stereo per variant; the hls muxer with <c>-var_stream_map</c> writes
/// <c>&lt;out&gt;/&lt;name&gt;/index.m3u8</c> and its segments. The segments are made to be published while ffmpeg still encodes:
/// the first one is a keyframe interval long (<c>-hls_init_time</c>, so a video is playable seconds after the encode starts),
/// the playlist is rewritten atomically after each segment closes (<c>temp_file</c>) and lists only closed ones, and it keeps
/// just the latest segment (<c>-hls_list_size 1</c>, which is what lets <c>-hls_init_time</c> apply to the first one only): the
/// watcher (<see cref="LiveOutputWatcher"/>) keeps the whole list. Two more branches of the split make the posters
/// (<see cref="Posters.PosterFrames"/>) and, when a content review follows, one more the review frames, with the decoded audio
/// also going to the review's MP3 chunks (<see cref="ReviewSampleArguments"/>): the source is decoded once.
/// </remarks>
internal static class HlsArguments
{
    public const string PlaylistName = "index.m3u8";
    public const string InitName = "init.mp4";

    public static string SegmentExtension(HlsSegmentFormat format) => format == HlsSegmentFormat.Fmp4 ? ".m4s" : ".ts";

    public static IReadOnlyList<string> Build(TranscodeRequest request, string preset)
    {
        Validate(request);
        var args = new List<string>
        {
            "-hide_banner", "-nostats", "-v", "warning", "-y",
            "-progress", "pipe:1",
        };
        args.AddRange(MediaInput.Source(request.Input));

        args.Add("-filter_complex");
        args.Add(FilterGraph(request.Ladder, request.Source, request.Review));

        var withAudio = request.Source.Audio is not null;
        for (var i = 0; i < request.Ladder.Count; i++)
        {
            args.Add("-map");
            args.Add(Invariant($"[v{i}]"));
            if (withAudio)
            {
                args.Add("-map");
                args.Add("0:a:0");
            }
        }

        var sourceFps = request.Source.Video?.FrameRate is > 0 and var fps ? fps : 30;
        var maxFps = request.Ladder.Max(r => r.MaxFrameRate is { } cap ? Math.Min(cap, sourceFps) : sourceFps);
        var naturalGop = Math.Max(2, (int)Math.Ceiling(request.KeyframeIntervalSeconds * maxFps) * 2);
        args.AddRange(
        [
            "-c:v", "libx264",
            "-preset", preset,
            "-profile:v", "high",
            "-pix_fmt", "yuv420p",
            "-flags:v", "+cgop",
            "-g", Invariant($"{naturalGop}"),
            "-sc_threshold", "0",
            "-forced-idr", "1",
            "-force_key_frames:v", Invariant($"expr:gte(t,n_forced*{Number(request.KeyframeIntervalSeconds)})"),
        ]);
        for (var i = 0; i < request.Ladder.Count; i++)
        {
            var r = request.Ladder[i];
            args.AddRange(r.Crf is { } crf
                ? [Invariant($"-crf:v:{i}"), Invariant($"{crf}")]
                : [Invariant($"-b:v:{i}"), Invariant($"{r.VideoBitrateKbps}k")]);
            args.AddRange(
            [
                Invariant($"-maxrate:v:{i}"), Invariant($"{r.MaxRateKbps}k"),
                Invariant($"-bufsize:v:{i}"), Invariant($"{r.BufferSizeKbits}k"),
                Invariant($"-level:v:{i}"), r.H264Level,
            ]);
        }

        if (withAudio)
        {
            var sampleRate = request.Source.Audio!.SampleRate is 44100 or 48000 ? request.Source.Audio.SampleRate : 48000;
            args.AddRange(["-c:a", "aac", "-profile:a", "aac_low", "-ac", "2", "-ar", Invariant($"{sampleRate}")]);
            for (var i = 0; i < request.Ladder.Count; i++)
            {
                args.Add(Invariant($"-b:a:{i}"));
                args.Add(Invariant($"{Math.Max(32, request.Ladder[i].AudioBitrateKbps)}k"));
            }
        }

        var output = Path.GetFullPath(request.OutputDirectory);
        var extension = SegmentExtension(request.Format);
        args.AddRange(
        [
            "-max_muxing_queue_size", "1024",
            "-f", "hls",
            "-hls_time", Number(request.SegmentSeconds),
            "-hls_init_time", Number(request.KeyframeIntervalSeconds),
            "-hls_list_size", "1",
            "-hls_flags", "independent_segments+temp_file",
            "-hls_segment_type", request.Format == HlsSegmentFormat.Fmp4 ? "fmp4" : "mpegts",
        ]);
        if (request.Format == HlsSegmentFormat.Fmp4)
        {
            args.AddRange(["-hls_fmp4_init_filename", InitName]);
        }

        args.AddRange(
        [
            "-hls_segment_filename", Path.Combine(output, "%v", "seg_%05d" + extension),
            "-var_stream_map", VarStreamMap(request.Ladder, withAudio),
            Path.Combine(output, "%v", PlaylistName),
        ]);
        args.AddRange(Posters.PosterFrames.Output("[pe]", Path.Combine(output, Posters.PosterFrames.EarlyFileName)));
        args.AddRange(Posters.PosterFrames.Output("[pr]", Path.Combine(output, Posters.PosterFrames.FileName)));
        if (request.Review is { } review)
        {
            var folder = Path.Combine(output, ReviewSampleArguments.Folder);
            args.AddRange(ReviewSampleArguments.FrameOutput("[rv]", folder, review.Sampling));
            if (withAudio)
            {
                args.AddRange(ReviewSampleArguments.AudioOutput(folder, review.Sampling));
            }
        }

        return args;
    }

    /// <summary>
    /// <c>[0:v:0]split=N+2[s0]…;[s0]scale=w=W:h=H,setsar=1[v0];…;[sN]…[pe];[sN+1]…[pr]</c>: one branch per rung (an <c>fps</c> cap
    /// goes before the scale), then the early and the representative poster, then (when asked) the review frames <c>[rv]</c>.
    /// </summary>
    internal static string FilterGraph(IReadOnlyList<Rendition> ladder, MediaInfo source, ReviewPlan? review = null)
    {
        var branches = ladder.Count + (review is null ? 2 : 3);
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"[0:v:0]split={branches}");
        for (var i = 0; i < branches; i++)
        {
            sb.Append(CultureInfo.InvariantCulture, $"[s{i}]");
        }

        for (var i = 0; i < ladder.Count; i++)
        {
            sb.Append(CultureInfo.InvariantCulture, $";[s{i}]");
            AppendChain(sb, ladder[i]);
            sb.Append(CultureInfo.InvariantCulture, $"[v{i}]");
        }

        sb.Append(CultureInfo.InvariantCulture, $";[s{ladder.Count}]{Posters.PosterFrames.Chain(source, 0)}[pe]");
        sb.Append(CultureInfo.InvariantCulture, $";[s{ladder.Count + 1}]{Posters.PosterFrames.Chain(source, Posters.PosterFrames.RepresentativeStart(source))}[pr]");
        if (review is not null)
        {
            sb.Append(CultureInfo.InvariantCulture, $";[s{ladder.Count + 2}]{ReviewSampleArguments.FrameChain(source, review)}[rv]");
        }

        return sb.ToString();
    }

    internal static string VarStreamMap(IReadOnlyList<Rendition> ladder, bool withAudio) =>
        string.Join(' ', ladder.Select((r, i) => withAudio ? Invariant($"v:{i},a:{i},name:{r.Name}") : Invariant($"v:{i},name:{r.Name}")));

    internal static void AppendChain(StringBuilder sb, Rendition rendition)
    {
        if (rendition.MaxFrameRate is { } fps)
        {
            sb.Append("fps=").Append(Number(fps)).Append(',');
        }

        sb.Append(CultureInfo.InvariantCulture, $"scale=w={rendition.Width}:h={rendition.Height},setsar=1");
    }

    private static void Validate(TranscodeRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Ladder.Count == 0)
        {
            throw new ArgumentException("The ladder is empty.", nameof(request));
        }

        if (request.Source.Video is null)
        {
            throw new ArgumentException("The source has no video stream.", nameof(request));
        }

        if (request.OutputDirectory.Contains('%', StringComparison.Ordinal))
        {
            throw new ArgumentException("The output directory must not contain '%' (ffmpeg expands it in segment names).", nameof(request));
        }

        if (request.SegmentSeconds <= 0 || request.KeyframeIntervalSeconds <= 0 || request.KeyframeIntervalSeconds > request.SegmentSeconds)
        {
            throw new ArgumentException("Segment and keyframe intervals must be positive, the keyframe interval no longer than a segment.", nameof(request));
        }

        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var r in request.Ladder)
        {
            if (string.IsNullOrWhiteSpace(r.Name) || r.Name.Any(c => !char.IsAsciiLetterOrDigit(c) && c is not '_' and not '-') || !names.Add(r.Name)
                || r.Name.Equals(ReviewSampleArguments.Folder, StringComparison.OrdinalIgnoreCase))
            {
                throw new ArgumentException($"Rendition name '{r.Name}' must be unique, made of letters, digits, '-' or '_', and not '{ReviewSampleArguments.Folder}'.", nameof(request));
            }

            if (r.Width < 2 || r.Height < 2 || r.Width % 2 != 0 || r.Height % 2 != 0)
            {
                throw new ArgumentException($"Rendition {r.Name} must have even dimensions of at least 2 ({r.Width}x{r.Height}).", nameof(request));
            }

            if (r.VideoBitrateKbps <= 0 || r.MaxRateKbps < r.VideoBitrateKbps || r.BufferSizeKbits <= 0)
            {
                throw new ArgumentException($"Rendition {r.Name} has invalid rates.", nameof(request));
            }
        }
    }

    internal static string Number(double value) => value.ToString("0.###", CultureInfo.InvariantCulture);

    private static string Invariant(FormattableString value) => value.ToString(CultureInfo.InvariantCulture);
}
