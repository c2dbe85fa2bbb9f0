using System.Globalization;

namespace Serverless.Media.Posters;

/// <summary>
/// The posters are taken from the ladder's own decode (two branches of its <c>split</c>): an early one from the clip's first
/// second, there as soon as the first segments are, and the representative one around a third in, which replaces it. Each
/// branch keeps the most representative of <see cref="WindowFrames"/> frames (ffmpeg's <c>thumbnail</c>). Pure.
/// </summary>
internal static class PosterFrames
{
    public const int MaxWidth = 720;

    /// <summary>Frames the <c>thumbnail</c> filter compares (it keeps the most representative one).</summary>
    public const int WindowFrames = 30;

    public const string EarlyFileName = "poster-early.jpg";
    public const string FileName = "poster.jpg";

    /// <summary>Where the representative window starts: a third in, leaving room for the window before the end.</summary>
    public static double RepresentativeStart(MediaInfo source) =>
        Math.Max(0, Math.Min(source.DurationSeconds / 3, source.DurationSeconds - Window(source) - 0.1));

    /// <summary>The window's length in seconds.</summary>
    public static double Window(MediaInfo source) =>
        WindowFrames / (source.Video?.FrameRate is > 0 and var fps ? fps : 30);

    /// <summary><c>trim=start=S:duration=W,thumbnail=30,scale=w=…:h=…,setsar=1</c>: the branch ends after its window.</summary>
    public static string Chain(MediaInfo source, double start)
    {
        var video = source.Video ?? throw new ArgumentException("The source has no video stream.", nameof(source));
        var (width, height) = Size(video);
        return string.Create(
            CultureInfo.InvariantCulture,
            $"trim=start={start:0.###}:duration={Window(source) + 0.05:0.###},thumbnail={WindowFrames},scale=w={width}:h={height},setsar=1");
    }

    /// <summary>
    /// The output options of one poster: a single JPEG written atomically (never seen half-written), at quantizer 3. Not
    /// <c>-q:v 3</c>: beside the HLS output it held the JPEG back until the whole encode ended (ffmpeg 5.1).
    /// </summary>
    public static IReadOnlyList<string> Output(string label, string path) =>
    [
        "-map", label,
        "-frames:v", "1",
        "-qmin", "3",
        "-qmax", "3",
        "-c:v", "mjpeg",
        "-pix_fmt", "yuvj420p",
        "-f", "image2",
        "-update", "1",
        "-atomic_writing", "1",
        path,
    ];

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
