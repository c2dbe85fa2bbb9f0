using System.Globalization;
using Microsoft.Extensions.Options;
using Serverless.Media.Probing;
using Serverless.Media.Processes;

namespace Serverless.Media.Review;

/// <summary>How densely a clip is sampled for the content check.</summary>
/// <param name="FrameIntervalSeconds">A frame at least this often (stretched for long clips so <paramref name="MaxFrames"/> covers the whole clip).</param>
/// <param name="SceneChangeThreshold">Also a frame at each scene change scoring above this (ffmpeg's <c>scene</c>, 0–1).</param>
/// <param name="MaxFrames">Most frames taken.</param>
/// <param name="AudioChunkSeconds">Length of each audio chunk.</param>
public sealed record ReviewSampling(double FrameIntervalSeconds, double SceneChangeThreshold, int MaxFrames, int AudioChunkSeconds);

/// <summary>The files of one sampling: JPEG frames and MP3 audio chunks, in time order.</summary>
public sealed record ReviewSampleFiles(IReadOnlyList<string> Frames, IReadOnlyList<string> AudioChunks);

/// <summary>Takes the frames and audio chunks WeChat's content check is asked about.</summary>
public interface IReviewSampler
{
    Task<ReviewSampleFiles> SampleAsync(string input, string outputDirectory, MediaInfo source, ReviewSampling sampling, CancellationToken cancellationToken);
}

/// <summary>One ffmpeg pass over the source writes both: frames through a <c>select</c> filter, audio through the segment muxer.</summary>
internal sealed class FfmpegReviewSampler(MediaProcessRunner runner, IOptions<MediaOptions> options) : IReviewSampler
{
    public async Task<ReviewSampleFiles> SampleAsync(string input, string outputDirectory, MediaInfo source, ReviewSampling sampling, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(outputDirectory);
        var arguments = ReviewSampleArguments.Build(input, outputDirectory, source, sampling);
        var outcome = await runner.RunAsync(
            new ProcessInvocation(options.Value.FfmpegPath, arguments, TimeSpan.FromSeconds(options.Value.TranscodeTimeoutSeconds)),
            cancellationToken).ConfigureAwait(false);
        DiskSpace.ThrowIfFilledUp(outputDirectory, outcome.StderrTail);
        if (outcome.ExitCode != 0)
        {
            throw new FfmpegException($"ffmpeg (review samples) exited with code {outcome.ExitCode}: {FfprobeMediaProbe.LastLine(outcome.StderrTail)}",
                outcome.ExitCode, outcome.StderrTail, arguments, timedOut: false);
        }

        var frames = Directory.GetFiles(outputDirectory, "frame_*.jpg").Order(StringComparer.Ordinal).ToList();
        var audio = Directory.GetFiles(outputDirectory, "audio_*.mp3").Order(StringComparer.Ordinal).Where(f => new FileInfo(f).Length > 0).ToList();
        if (frames.Count == 0)
        {
            throw new FfmpegException("ffmpeg wrote no frame to check.", outcome.ExitCode, outcome.StderrTail, arguments, timedOut: false);
        }

        return new ReviewSampleFiles(frames, audio);
    }
}

/// <summary>The sampling's ffmpeg arguments. Pure.</summary>
internal static class ReviewSampleArguments
{
    public const int MaxWidth = 720;

    /// <summary>
    /// The interval between periodic frames: the configured one, stretched so that periodic frames plus scene-change frames
    /// (each at least half an interval after the frame before) stay within the cap while reaching the end of the clip.
    /// </summary>
    public static double Interval(double durationSeconds, ReviewSampling sampling) =>
        Math.Max(sampling.FrameIntervalSeconds, 2 * durationSeconds / Math.Max(1, sampling.MaxFrames - 1));

    public static IReadOnlyList<string> Build(string input, string outputDirectory, MediaInfo source, ReviewSampling sampling)
    {
        var video = source.Video ?? throw new ArgumentException("The source has no video stream.", nameof(source));
        var (width, height) = Posters.PosterFrames.Size(video);
        var interval = Interval(source.DurationSeconds, sampling);
        var select = string.Create(CultureInfo.InvariantCulture,
            $"select='isnan(prev_selected_t)+gte(t-prev_selected_t\\,{interval:0.###})+gt(scene\\,{sampling.SceneChangeThreshold:0.###})*gte(t-prev_selected_t\\,{interval / 2:0.###})'");
        List<string> arguments =
        [
            "-hide_banner", "-nostats", "-v", "warning", "-y",
            .. MediaInput.Source(input),
            "-map", "0:v:0", "-an", "-sn", "-dn",
            "-vf", string.Create(CultureInfo.InvariantCulture, $"{select},scale=w={width}:h={height},setsar=1"),
            "-fps_mode", "vfr",
            "-frames:v", sampling.MaxFrames.ToString(CultureInfo.InvariantCulture),
            "-q:v", "4",
            "-c:v", "mjpeg",
            "-pix_fmt", "yuvj420p",
            "-f", "image2",
            Path.Combine(Path.GetFullPath(outputDirectory), "frame_%03d.jpg"),
        ];
        if (source.Audio is not null)
        {
            arguments.AddRange(
            [
                "-map", "0:a:0", "-vn", "-sn", "-dn",
                "-ac", "1", "-ar", "22050",
                "-c:a", "libmp3lame", "-b:a", "64k",
                "-f", "segment",
                "-segment_time", sampling.AudioChunkSeconds.ToString(CultureInfo.InvariantCulture),
                "-reset_timestamps", "1",
                Path.Combine(Path.GetFullPath(outputDirectory), "audio_%03d.mp3"),
            ]);
        }

        return arguments;
    }
}
