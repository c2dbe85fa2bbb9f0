using System.Globalization;

namespace Serverless.Media;

/// <summary>Decides whether a probed source is acceptable, with a reason fit to show to the uploader.</summary>
public static class SourcePolicy
{
    /// <summary>Null when the source is accepted, otherwise a human-readable reason.</summary>
    public static string? Reject(MediaInfo info, MediaOptions options)
    {
        ArgumentNullException.ThrowIfNull(info);
        ArgumentNullException.ThrowIfNull(options);

        if (info.Video is not { } video)
        {
            return info.Audio is null
                ? "The file contains no video stream."
                : "The file contains only audio; a video is required.";
        }

        // Only real video containers: a playlist, a concat list, an image sequence or text would make ffmpeg read other
        // addresses or files, or is no video at all (SourceFormats).
        if (!SourceFormats.IsAccepted(info.FormatName))
        {
            return SourceFormats.Refusal(info.FormatName);
        }

        if (double.IsNaN(info.DurationSeconds) || info.DurationSeconds <= 0)
        {
            return "The video has no duration (it is empty or its length cannot be read).";
        }

        if (info.DurationSeconds > options.MaxDurationSeconds)
        {
            return string.Create(CultureInfo.InvariantCulture,
                $"The video lasts {info.DurationSeconds:0.#} s; the limit is {options.MaxDurationSeconds} s.");
        }

        if (info.SizeBytes is { } size && size > options.MaxSourceBytes)
        {
            return string.Create(CultureInfo.InvariantCulture,
                $"The file is {Megabytes(size)} MB; the limit is {Megabytes(options.MaxSourceBytes)} MB.");
        }

        if (video.DisplayWidth < options.MinDimension || video.DisplayHeight < options.MinDimension)
        {
            return string.Create(CultureInfo.InvariantCulture,
                $"The video is {video.DisplayWidth}x{video.DisplayHeight} pixels; each side must be at least {options.MinDimension} pixels.");
        }

        if (video.DisplayWidth > options.MaxDimension || video.DisplayHeight > options.MaxDimension)
        {
            return string.Create(CultureInfo.InvariantCulture,
                $"The video is {video.DisplayWidth}x{video.DisplayHeight} pixels; each side must be at most {options.MaxDimension} pixels.");
        }

        return null;
    }

    private static string Megabytes(long bytes) => (bytes / (1024.0 * 1024.0)).ToString("0.#", CultureInfo.InvariantCulture);
}
