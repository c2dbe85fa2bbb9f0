using System.Globalization;

namespace Serverless.Media;

/// <summary>Chooses the ABR ladder from the source.</summary>
/// <remarks>
/// Rungs are defined on the short side (360p, 540p, 720p, 1080p) so portrait and landscape get the same pixel budgets;
/// width and height follow the displayed orientation (after rotation). Never upscales: a source smaller than the lowest
/// rung gets one rendition at its own (even) size. Dimensions are even and keep the aspect ratio; maxrate is 1.5x the
/// average (at most 2x); the H.264 level is the lowest (at least 3.0) that fits the size, rate and VBV, at most 4.1.
/// </remarks>
public static class LadderPlanner
{
    private const double MaxFrameRate = 60;
    private const double HighFrameRateThreshold = 31;

    /// <summary>The standard rungs: short side, video kbps at 30 fps for 16:9, audio kbps.</summary>
    private static readonly (int ShortSide, int VideoKbps, int AudioKbps)[] Rungs =
    [
        (360, 800, 96),
        (540, 1500, 128),
        (720, 2800, 128),
        (1080, 5000, 128),
    ];

    public static IReadOnlyList<Rendition> Plan(MediaInfo source, MediaOptions options)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(options);
        var video = source.Video ?? throw new ArgumentException("The source has no video stream.", nameof(source));
        if (video.DisplayWidth < 2 || video.DisplayHeight < 2)
        {
            throw new ArgumentException("The source video is smaller than 2x2.", nameof(source));
        }

        var sourceShort = Math.Min(video.DisplayWidth, video.DisplayHeight);
        var sourceFps = video.FrameRate > 0 ? Math.Min(video.FrameRate, MaxFrameRate) : 30;
        var hasAudio = source.Audio is not null;

        var ladder = new List<Rendition>();
        foreach (var rung in Rungs)
        {
            if (rung.ShortSide > sourceShort || rung.ShortSide > options.MaxLadderShortSide)
            {
                break;
            }

            ladder.Add(Build(video, rung.ShortSide, rung.VideoKbps, hasAudio ? rung.AudioKbps : 0, sourceFps));
        }

        if (ladder.Count == 0)
        {
            // Smaller than the lowest rung: one rendition at the source's own size (rounded down to even), bitrate by area.
            var lowest = Rungs[0];
            var width = EvenFloor(video.DisplayWidth);
            var height = EvenFloor(video.DisplayHeight);
            var area = (double)width * height / (lowest.ShortSide * lowest.ShortSide * 16.0 / 9.0);
            var kbps = Math.Max(150, (int)Math.Round(lowest.VideoKbps * area / 50.0) * 50);
            ladder.Add(Finish($"{Math.Min(width, height).ToString(CultureInfo.InvariantCulture)}p", width, height, kbps, hasAudio ? lowest.AudioKbps : 0, sourceFps));
        }

        return ladder;
    }

    private static Rendition Build(VideoStreamInfo video, int shortSide, int nominalKbps, int audioKbps, double fps)
    {
        var landscape = video.DisplayWidth >= video.DisplayHeight;
        var sourceShort = landscape ? video.DisplayHeight : video.DisplayWidth;
        var sourceLong = landscape ? video.DisplayWidth : video.DisplayHeight;
        var longSide = shortSide == sourceShort ? EvenFloor(sourceLong) : EvenRound((double)sourceLong * shortSide / sourceShort);
        var width = landscape ? longSide : shortSide;
        var height = landscape ? shortSide : longSide;

        // The nominal rates are for 16:9; wider or narrower frames scale with their area.
        var area = (double)shortSide * longSide / (shortSide * shortSide * 16.0 / 9.0);
        var kbps = (int)Math.Round(nominalKbps * Math.Clamp(area, 0.5, 2.0) / 50.0) * 50;
        return Finish(string.Create(CultureInfo.InvariantCulture, $"{shortSide}p"), width, height, kbps, audioKbps, fps);
    }

    private static Rendition Finish(string name, int width, int height, int videoKbps, int audioKbps, double fps)
    {
        if (fps > HighFrameRateThreshold)
        {
            videoKbps = videoKbps * 3 / 2;
        }

        // Level 4.1 holds 8192 macroblocks per frame: shrink extreme aspect ratios (e.g. 1080x2400) to fit.
        var aspect = (double)width / height;
        while (H264Levels.Macroblocks(width, height) > H264Levels.Max.MaxFrameSize)
        {
            height -= 2;
            width = EvenRound(height * aspect);
        }

        var maxRate = videoKbps * 3 / 2;
        var bufferSize = maxRate;
        double? frameRateCap = null;
        var level = H264Levels.Select(width, height, fps, maxRate, bufferSize);
        if (level is null)
        {
            // Too many macroblocks per second for 4.1 (e.g. 1080p60): cap the frame rate at 30.
            frameRateCap = 30;
            level = H264Levels.Select(width, height, 30, maxRate, bufferSize)
                ?? throw new InvalidOperationException($"No H.264 level up to 4.1 fits {width}x{height}.");
        }

        return new Rendition(name, width, height, videoKbps, maxRate, bufferSize, audioKbps, level.Name) { MaxFrameRate = frameRateCap };
    }

    private static int EvenFloor(int value) => Math.Max(2, value & ~1);

    private static int EvenRound(double value) => Math.Max(2, (int)Math.Round(value / 2, MidpointRounding.AwayFromZero) * 2);
}

/// <summary>H.264 levels (ITU-T H.264 Table A-1) up to 4.1, with High-profile bitrate and CPB limits (x1.25).</summary>
internal static class H264Levels
{
    internal sealed record Level(string Name, int Idc, long MaxMacroblocksPerSecond, int MaxFrameSize, int MaxBitrateKbps, int MaxCpbKbits);

    private static readonly Level[] All =
    [
        new("3.0", 30, 40_500, 1_620, 12_500, 12_500),
        new("3.1", 31, 108_000, 3_600, 17_500, 17_500),
        new("3.2", 32, 216_000, 5_120, 25_000, 25_000),
        new("4.0", 40, 245_760, 8_192, 25_000, 31_250),
        new("4.1", 41, 245_760, 8_192, 62_500, 78_125),
    ];

    public static Level Max => All[^1];

    public static int Macroblocks(int width, int height) => ((width + 15) / 16) * ((height + 15) / 16);

    /// <summary>The lowest level (from 3.0) that fits, or null when even 4.1 does not.</summary>
    public static Level? Select(int width, int height, double fps, int maxRateKbps, int bufferKbits)
    {
        var frame = Macroblocks(width, height);
        var perSecond = frame * fps;
        var widthMbs = (width + 15) / 16;
        var heightMbs = (height + 15) / 16;
        foreach (var level in All)
        {
            var maxSide = Math.Sqrt(level.MaxFrameSize * 8.0);
            if (frame <= level.MaxFrameSize && widthMbs <= maxSide && heightMbs <= maxSide
                && perSecond <= level.MaxMacroblocksPerSecond
                && maxRateKbps <= level.MaxBitrateKbps && bufferKbits <= level.MaxCpbKbits)
            {
                return level;
            }
        }

        return null;
    }
}
