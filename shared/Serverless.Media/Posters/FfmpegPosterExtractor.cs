using System.Globalization;
using Microsoft.Extensions.Options;
using Serverless.Media.Probing;
using Serverless.Media.Processes;

namespace Serverless.Media.Posters;

/// <summary>Writes a poster JPEG with ffmpeg's <c>thumbnail</c> filter around a third of the clip.</summary>
internal sealed class FfmpegPosterExtractor(MediaProcessRunner runner, IOptions<MediaOptions> options) : IPosterExtractor
{
    public async Task ExtractAsync(string input, string outputJpegPath, MediaInfo source, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var directory = Path.GetDirectoryName(Path.GetFullPath(outputJpegPath));
        if (directory is not null)
        {
            Directory.CreateDirectory(directory);
        }

        var arguments = PosterArguments.Build(input, outputJpegPath, source);
        var outcome = await runner.RunAsync(
            new ProcessInvocation(settings.FfmpegPath, arguments, TimeSpan.FromSeconds(settings.PosterTimeoutSeconds)),
            cancellationToken).ConfigureAwait(false);
        DiskSpace.ThrowIfFilledUp(Path.GetDirectoryName(Path.GetFullPath(outputJpegPath))!, outcome.StderrTail);
        if (outcome.ExitCode != 0)
        {
            throw new FfmpegException($"ffmpeg (poster) exited with code {outcome.ExitCode}: {FfprobeMediaProbe.LastLine(outcome.StderrTail)}",
                outcome.ExitCode, outcome.StderrTail, arguments, timedOut: false);
        }

        if (new FileInfo(outputJpegPath) is not { Exists: true, Length: > 0 })
        {
            throw new FfmpegException("ffmpeg wrote no poster image.", outcome.ExitCode, outcome.StderrTail, arguments, timedOut: false);
        }
    }
}

/// <summary>Poster arguments. Pure.</summary>
internal static class PosterArguments
{
    public const int MaxWidth = 720;

    /// <summary>Frames the <c>thumbnail</c> filter compares (it keeps the most representative one).</summary>
    private const int ThumbnailWindowFrames = 30;

    public static IReadOnlyList<string> Build(string input, string outputJpegPath, MediaInfo source)
    {
        var video = source.Video ?? throw new ArgumentException("The source has no video stream.", nameof(source));
        var (width, height) = Size(video);
        var fps = video.FrameRate > 0 ? video.FrameRate : 30;
        var window = ThumbnailWindowFrames / fps;

        // Seek to about a third in, leaving room for the thumbnail window before the end.
        var seek = Math.Max(0, Math.Min(source.DurationSeconds / 3, source.DurationSeconds - window - 0.1));
        return
        [
            "-hide_banner", "-nostats", "-v", "warning", "-y",
            "-ss", seek.ToString("0.###", CultureInfo.InvariantCulture),
            .. MediaInput.Arguments(input),
            "-an", "-sn", "-dn",
            "-vf", string.Create(CultureInfo.InvariantCulture, $"thumbnail={ThumbnailWindowFrames},scale=w={width}:h={height},setsar=1"),
            "-frames:v", "1",
            "-q:v", "3",
            "-f", "image2",
            "-c:v", "mjpeg",
            "-pix_fmt", "yuvj420p",
            Path.GetFullPath(outputJpegPath),
        ];
    }

    /// <summary>Display size capped at <see cref="MaxWidth"/> wide, even, aspect kept.</summary>
    internal static (int Width, int Height) Size(VideoStreamInfo video)
    {
        var width = video.DisplayWidth;
        var height = video.DisplayHeight;
        if (width > MaxWidth)
        {
            height = (int)Math.Round((double)height * MaxWidth / width);
            width = MaxWidth;
        }

        return (Math.Max(2, width & ~1), Math.Max(2, height & ~1));
    }
}
