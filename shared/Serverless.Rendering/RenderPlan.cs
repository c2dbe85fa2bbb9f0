using System.Globalization;

namespace Serverless.Rendering;

/// <summary>The picture a template is rendered into: even width and height, a constant frame rate.</summary>
public sealed record RenderCanvas(int Width, int Height, int FrameRate)
{
    /// <summary>
    /// The canvas of a template's <c>aspectRatio</c> ("9:16"; anything unreadable is 9:16, the protocol's default) with
    /// <paramref name="shortSide"/> pixels on its short side, the ladder's top rung or lower.
    /// </summary>
    public static RenderCanvas For(string? aspectRatio, int shortSide, int frameRate)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(shortSide, 16);
        ArgumentOutOfRangeException.ThrowIfLessThan(frameRate, 1);
        var (w, h) = ParseRatio(aspectRatio) ?? (9, 16);
        var longSide = Even(shortSide * (double)Math.Max(w, h) / Math.Min(w, h));
        return w <= h ? new RenderCanvas(Even(shortSide), longSide, frameRate) : new RenderCanvas(longSide, Even(shortSide), frameRate);
    }

    /// <summary>The frame shown at <paramref name="seconds"/>: frame boundaries are rounded, so durations add up to within a frame.</summary>
    public long FrameAt(double seconds) => (long)Math.Round(seconds * FrameRate, MidpointRounding.AwayFromZero);

    private static (int W, int H)? ParseRatio(string? ratio)
    {
        var parts = (ratio ?? string.Empty).Split(':');
        return parts.Length == 2
            && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var w)
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var h)
            && w is > 0 and <= 100 && h is > 0 and <= 100
            && Math.Max(w, h) / (double)Math.Min(w, h) <= 4
            ? (w, h)
            : null;
    }

    private static int Even(double value) => Math.Max(2, (int)Math.Round(value / 2, MidpointRounding.AwayFromZero) * 2);
}

/// <summary>
/// How a picture moves during a node (the <c>Move2</c> family's uniforms): scaled about the canvas centre from
/// <see cref="ScaleBegin"/> by <see cref="ScaleRange"/> over the node, and shifted by a share of the canvas from
/// <see cref="MoveBeginX"/>/<see cref="MoveBeginY"/> by the ranges (protocol coordinates: x to the right, y down).
/// </summary>
public sealed record Motion(double ScaleBegin, double ScaleRange, double MoveBeginX, double MoveRangeX, double MoveBeginY, double MoveRangeY)
{
    public static readonly Motion Still = new(1, 0, 0, 0, 0, 0);

    public bool IsStill => ScaleBegin == 1 && ScaleRange == 0 && MoveBeginX == 0 && MoveRangeX == 0 && MoveBeginY == 0 && MoveRangeY == 0;

    /// <summary>The smallest scale the node reaches.</summary>
    public double SmallestScale => Math.Min(ScaleBegin, ScaleBegin + ScaleRange);
}

/// <summary>A run of frames of the video.</summary>
/// <param name="Node">Index of the timeline node it renders.</param>
public abstract record RenderSegment(int Node, long StartFrame, long FrameCount);

/// <summary>One of the user's images, moving as <see cref="Motion"/> says.</summary>
public sealed record ImageSegment(int Node, long StartFrame, long FrameCount, int ImageIndex, Motion Motion)
    : RenderSegment(Node, StartFrame, FrameCount);

/// <summary>A dissolve from image <see cref="FromImage"/> to image <see cref="ToImage"/>, each moving as its motion says: at
/// frame k of n the incoming image's share is k / (n - 1) (the first frame all outgoing, the last all incoming).</summary>
public sealed record TransitionSegment(int Node, long StartFrame, long FrameCount, int FromImage, int ToImage, Motion From, Motion To)
    : RenderSegment(Node, StartFrame, FrameCount);

/// <summary>A sticker image laid over the picture from frame <see cref="StartFrame"/> up to (not including) <see cref="EndFrame"/>.</summary>
/// <param name="X">Left edge of the sticker's box on the canvas, pixels.</param>
/// <param name="Y">Top edge of the box, pixels.</param>
public sealed record StickerOverlay(string Where, string ImageUrl, long StartFrame, long EndFrame, int X, int Y, int Width, int Height);

/// <summary>The template's music under the whole video: looped or cut to it, faded out over its last <see cref="FadeOutSeconds"/>.</summary>
public sealed record MusicTrack(string Url, double FadeOutSeconds);

/// <summary>Everything the renderer draws, frame-exact: segments cover frames 0 … <see cref="TotalFrames"/>-1 in order.</summary>
public sealed record RenderPlan(
    string TemplateId,
    long TemplateVersion,
    int ImageCount,
    RenderCanvas Canvas,
    long TotalFrames,
    IReadOnlyList<RenderSegment> Segments,
    IReadOnlyList<StickerOverlay> Stickers,
    MusicTrack? Music)
{
    public double DurationSeconds => TotalFrames / (double)Canvas.FrameRate;
}

/// <summary>A node or sticker whose effect the server does not render.</summary>
/// <param name="Where">Its place in the template: <c>nodes[2]</c> or <c>tracks[0].list[1]</c>.</param>
/// <param name="Name">The node's name, or the sticker's type.</param>
/// <param name="Effect">The effect's name (its fragment shader's file name without extension).</param>
/// <param name="Reason">Why, in words a template author reads.</param>
public sealed record UnsupportedEffect(string Where, string Name, string Effect, string Reason);
