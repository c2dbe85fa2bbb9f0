using System.Globalization;

namespace Serverless.Media.Review;

/// <summary>How densely a clip is sampled for the content check.</summary>
/// <param name="FrameIntervalSeconds">A frame at least this often (stretched for long clips so <paramref name="MaxFrames"/> covers the whole clip).</param>
/// <param name="SceneChangeThreshold">Also a frame at each scene change scoring above this (ffmpeg's <c>scene</c>, 0–1).</param>
/// <param name="MaxFrames">Most frames taken.</param>
/// <param name="AudioChunkSeconds">Length of each audio chunk.</param>
public sealed record ReviewSampling(double FrameIntervalSeconds, double SceneChangeThreshold, int MaxFrames, int AudioChunkSeconds);

/// <summary>The files of one sampling: JPEG frames and MP3 audio chunks, in time order.</summary>
public sealed record ReviewSampleFiles(IReadOnlyList<string> Frames, IReadOnlyList<string> AudioChunks);

/// <summary>
/// The review samples' part of the ladder transcode (<see cref="Transcoding.HlsArguments"/>): one more branch of the decoded
/// picture's <c>split</c> picks frames through a <c>select</c> filter, and the decoded audio goes, beside the renditions' AAC,
/// to MP3 chunks through the segment muxer. So the content check is asked about the very decode the published renditions
/// are encoded from, never a second read of the source. Pure.
/// </summary>
internal static class ReviewSampleArguments
{
    public const int MaxWidth = 720;

    /// <summary>The folder under the transcode's output that holds the samples.</summary>
    public const string Folder = "review";

    public const string FramePattern = "frame_%03d.jpg";

    public const string AudioPattern = "audio_%03d.mp3";

    /// <summary>
    /// The interval between periodic frames: the configured one, stretched so that periodic frames plus scene-change frames
    /// (each at least half an interval after the frame before) stay within the cap while reaching the end of the clip.
    /// </summary>
    public static double Interval(double durationSeconds, ReviewSampling sampling) =>
        Math.Max(sampling.FrameIntervalSeconds, 2 * durationSeconds / Math.Max(1, sampling.MaxFrames - 1));

    /// <summary>The frame branch after the split: <c>select='…',scale=w=…:h=…,setsar=1</c>.</summary>
    public static string FrameChain(MediaInfo source, ReviewSampling sampling)
    {
        var video = source.Video ?? throw new ArgumentException("The source has no video stream.", nameof(source));
        var (width, height) = Posters.PosterFrames.Size(video);
        var interval = Interval(source.DurationSeconds, sampling);
        return string.Create(CultureInfo.InvariantCulture,
            $"select='isnan(prev_selected_t)+gte(t-prev_selected_t\\,{interval:0.###})+gt(scene\\,{sampling.SceneChangeThreshold:0.###})*gte(t-prev_selected_t\\,{interval / 2:0.###})',scale=w={width}:h={height},setsar=1");
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
