using System.Globalization;

namespace Serverless.Media.Review;

/// <summary>How densely a clip is sampled for the content check.</summary>
/// <param name="FrameIntervalSeconds">The clip is cut into intervals this long, one frame taken at a random moment inside each (stretched
/// for long clips so <paramref name="MaxFrames"/> covers the whole clip).</param>
/// <param name="SceneChangeThreshold">Also a frame at each scene change scoring above this (ffmpeg's <c>scene</c>, 0–1), as the cap allows.</param>
/// <param name="MaxFrames">Most frames taken.</param>
/// <param name="AudioChunkSeconds">Length of each audio chunk.</param>
public sealed record ReviewSampling(double FrameIntervalSeconds, double SceneChangeThreshold, int MaxFrames, int AudioChunkSeconds);

/// <summary>
/// One sampling of one clip: its settings and the moments frames are taken at, one at a random moment inside each interval
/// (<see cref="Draw"/>). Made where the transcode runs (an activity: never in orchestration code), anew for each run.
/// </summary>
/// <param name="IntervalSeconds">The interval the clip is cut into (<see cref="ReviewSampleArguments.Interval"/>).</param>
/// <param name="FrameTimes">One moment inside each interval, in seconds from the start, ascending.</param>
public sealed record ReviewPlan(ReviewSampling Sampling, double IntervalSeconds, IReadOnlyList<double> FrameTimes)
{
    /// <summary>
    /// Cuts the clip into intervals and draws one moment in each from a cryptographically secure generator: the uploader
    /// cannot know which frames will be looked at, so no frame between them is safe from the check.
    /// </summary>
    public static ReviewPlan Draw(MediaInfo source, ReviewSampling sampling) =>
        Draw(source, sampling, static range => System.Security.Cryptography.RandomNumberGenerator.GetInt32(range));

    /// <param name="random">A uniform integer in [0, its argument).</param>
    internal static ReviewPlan Draw(MediaInfo source, ReviewSampling sampling, Func<int, int> random)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(sampling);
        const int Resolution = 1_000_000;
        var duration = double.IsFinite(source.DurationSeconds) && source.DurationSeconds > 0 ? source.DurationSeconds : 0;
        var interval = ReviewSampleArguments.Interval(duration, sampling);
        var times = new List<double>();
        for (var start = 0.0; start < duration; start += interval)
        {
            var span = Math.Min(interval, duration - start);
            var at = Math.Round(start + (span * random(Resolution) / Resolution), 3, MidpointRounding.ToZero);
            if (times.Count == 0 || at > times[^1])
            {
                times.Add(at);
            }
        }

        return new ReviewPlan(sampling, interval, times);
    }
}

/// <summary>The files of one sampling: JPEG frames and MP3 audio chunks, in time order.</summary>
public sealed record ReviewSampleFiles(IReadOnlyList<string> Frames, IReadOnlyList<string> AudioChunks);

/// <summary>
/// The review samples' part of the ladder transcode (<see cref="Transcoding.HlsArguments"/>): one more branch of the decoded
/// picture's <c>split</c> picks frames through a <c>select</c> filter at the plan's unpredictable moments and at scene
/// changes, and the decoded audio goes, beside the renditions' AAC, to MP3 chunks through the segment muxer. So the content
/// check is asked about the very decode the published renditions are encoded from, never a second read of the source. Pure.
/// </summary>
internal static class ReviewSampleArguments
{
    public const int MaxWidth = 720;

    /// <summary>The folder under the transcode's output that holds the samples.</summary>
    public const string Folder = "review";

    public const string FramePattern = "frame_%03d.jpg";

    public const string AudioPattern = "audio_%03d.mp3";

    /// <summary>
    /// The interval the clip is cut into, one frame taken inside each: the configured one, stretched for long clips so that
    /// those frames and the first one fit the cap (scene-change frames take what the cap leaves, <see cref="FrameChain"/>).
    /// </summary>
    public static double Interval(double durationSeconds, ReviewSampling sampling) =>
        Math.Max(sampling.FrameIntervalSeconds, durationSeconds / Math.Max(1, sampling.MaxFrames - 1));

    /// <summary>
    /// The frame branch after the split: <c>select='…',scale=w=…:h=…,setsar=1</c>. A frame is taken when it is the first,
    /// when one of the plan's moments has passed since the last frame taken (the first frame at or after each moment), and at
    /// a scene change scoring above the threshold at least half an interval after the last frame taken, while the cap still
    /// leaves room for the moments to come: so the whole clip is always covered, and cuts get what the cap leaves.
    /// </summary>
    public static string FrameChain(MediaInfo source, ReviewPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var video = source.Video ?? throw new ArgumentException("The source has no video stream.", nameof(source));
        var (width, height) = Posters.PosterFrames.Size(video);
        var sampling = plan.Sampling;
        string Passed(string at) => plan.FrameTimes.Count == 0
            ? "0"
            : string.Join('+', plan.FrameTimes.Select(time => string.Create(CultureInfo.InvariantCulture, $"gte({at}\\,{time:0.###})")));
        return string.Create(CultureInfo.InvariantCulture,
            $"select='isnan(prev_selected_t)+gt({Passed("t")}\\,{Passed("prev_selected_t")})+gt(scene\\,{sampling.SceneChangeThreshold:0.###})*gte(t-prev_selected_t\\,{plan.IntervalSeconds / 2:0.###})*lt(selected_n+{plan.FrameTimes.Count}-({Passed("t")})\\,{sampling.MaxFrames})',scale=w={width}:h={height},setsar=1");
    }

    /// <summary>The frames' output: JPEGs numbered in time order, at most <see cref="ReviewSampling.MaxFrames"/>.</summary>
    public static IReadOnlyList<string> FrameOutput(string label, string folder, ReviewSampling sampling) =>
    [
        "-map", label,
        "-fps_mode", "vfr",
        "-frames:v", sampling.MaxFrames.ToString(CultureInfo.InvariantCulture),
        "-q:v", "4",
        "-c:v", "mjpeg",
        "-pix_fmt", "yuvj420p",
        "-f", "image2",
        Path.Combine(folder, FramePattern),
    ];

    /// <summary>The audio's output: mono MP3 chunks of <see cref="ReviewSampling.AudioChunkSeconds"/>, each well under WeChat's 10 MB.</summary>
    public static IReadOnlyList<string> AudioOutput(string folder, ReviewSampling sampling) =>
    [
        "-map", "0:a:0",
        "-ac", "1", "-ar", "22050",
        "-c:a", "libmp3lame", "-b:a", "64k",
        "-f", "segment",
        "-segment_time", sampling.AudioChunkSeconds.ToString(CultureInfo.InvariantCulture),
        "-reset_timestamps", "1",
        Path.Combine(folder, AudioPattern),
    ];

    /// <summary>The samples ffmpeg wrote into <paramref name="folder"/>, in time order (empty audio chunks left out).</summary>
    public static ReviewSampleFiles Collect(string folder) => new(
        Directory.GetFiles(folder, "frame_*.jpg").Order(StringComparer.Ordinal).ToList(),
        Directory.GetFiles(folder, "audio_*.mp3").Order(StringComparer.Ordinal).Where(f => new FileInfo(f).Length > 0).ToList());
}
