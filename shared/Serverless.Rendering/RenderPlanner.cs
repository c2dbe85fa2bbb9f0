using Serverless.Templates.Protocol;
using Serverless.Templates.Timeline;

namespace Serverless.Rendering;

/// <summary>
/// The effects the server renders, by name. A template names an effect by its shader (seed 004: every effect is a
/// shader node); the name is the fragment shader's file name without extension, e.g. <c>ImageEffect_Move2_V2</c>.
/// </summary>
public static class RenderEffects
{
    /// <summary>Image effect: the image, cover-fitted to the canvas, zoomed and moved (<c>u_First*</c> uniforms).</summary>
    public const string Move2 = "ImageEffect_Move2_V2";

    /// <summary>Transition: a dissolve from the image before to the image after, each zoomed and moved
    /// (<c>u_First*</c> for the outgoing image, <c>u_Second*</c> for the incoming one).</summary>
    public const string Mix2 = "TransitionEffect_Mix2_V2";

    /// <summary>Sticker: an image in a box placed by region and dp rectangle (<c>u_MoveX/Y</c>, <c>u_VertexScaleBegin</c>).</summary>
    public const string PopImage = "PopImageV3";

    public static IReadOnlyList<string> ImageEffects { get; } = [Move2];

    public static IReadOnlyList<string> Transitions { get; } = [Mix2];

    public static IReadOnlyList<string> Stickers { get; } = [PopImage];

    /// <summary>The effect a shader names: its fragment shader's file name without extension ("" when it has none).</summary>
    public static string NameOf(string? fragmentUrl)
    {
        var path = fragmentUrl ?? string.Empty;
        if (Uri.TryCreate(path, UriKind.Absolute, out var uri))
        {
            path = Uri.UnescapeDataString(uri.AbsolutePath);
        }

        var file = path[(path.LastIndexOf('/') + 1)..];
        var dot = file.LastIndexOf('.');
        return dot > 0 ? file[..dot] : file;
    }
}

/// <summary>
/// Turns a template expanded for N images (<see cref="TimelineExpander"/>, the same expansion the timeline endpoint
/// answers with) into a frame-exact <see cref="RenderPlan"/>, or lists every node and sticker whose effect the server
/// does not render, before any work starts. Pure.
/// </summary>
public static class RenderPlanner
{
    /// <summary>A dp is this share of the canvas width: the protocol's dp rectangles are laid out on a 375 dp wide
    /// phone screen (WeChat's 750 rpx).</summary>
    public const double CanvasWidthInDp = 375;

    /// <summary>The music fades out over the last second, or the last quarter of a video shorter than 4 s.</summary>
    public const double MusicFadeOutSeconds = 1.0;

    public static (RenderPlan? Plan, IReadOnlyList<UnsupportedEffect> Unsupported) Plan(TemplateTimeline timeline, RenderCanvas canvas)
    {
        ArgumentNullException.ThrowIfNull(timeline);
        ArgumentNullException.ThrowIfNull(canvas);
        var unsupported = new List<UnsupportedEffect>();
        var segments = new List<RenderSegment>(timeline.Nodes.Count);
        for (var i = 0; i < timeline.Nodes.Count; i++)
        {
            var node = timeline.Nodes[i];
            var effect = RenderEffects.NameOf(node.Shader.FragmentUrl);
            var where = $"nodes[{node.Node}]";
            var start = canvas.FrameAt(node.Start);
            var count = canvas.FrameAt(node.Start + node.Duration) - start;
            if (node.Type == NodeType.Image)
            {
                if (!RenderEffects.ImageEffects.Contains(effect))
                {
                    unsupported.Add(new(where, node.Name, effect, $"the server renders the image effects {string.Join(", ", RenderEffects.ImageEffects)}"));
                    continue;
                }

                if (count > 0)
                {
                    segments.Add(new ImageSegment(i, start, count, node.ImageIndex ?? 0, MotionOf(node.Shader.Uniforms, "First")));
                }
            }
            else
            {
                if (!RenderEffects.Transitions.Contains(effect))
                {
                    unsupported.Add(new(where, node.Name, effect, $"the server renders the transitions {string.Join(", ", RenderEffects.Transitions)}"));
                    continue;
                }

                if (count > 0)
                {
                    var from = ImageBefore(timeline.Nodes, i);
                    var to = ImageAfter(timeline.Nodes, i) ?? from;
                    segments.Add(new TransitionSegment(i, start, count, from ?? to ?? 0, to ?? 0,
                        MotionOf(node.Shader.Uniforms, "First"), MotionOf(node.Shader.Uniforms, "Second")));
                }
            }
        }

        var total = canvas.FrameAt(timeline.Duration);
        var stickers = new List<StickerOverlay>();
        for (var t = 0; t < timeline.Tracks.Count; t++)
        {
            for (var j = 0; j < timeline.Tracks[t].List.Count; j++)
            {
                var item = timeline.Tracks[t].List[j];
                var where = $"tracks[{t}].list[{j}]";
                if (StickerRefusal(item) is { } refusal)
                {
                    unsupported.Add(new(where, item.Type, RenderEffects.NameOf(item.Shader.FragmentUrl), refusal));
                }
                else
                {
                    stickers.Add(Sticker(item, where, canvas, total));
                }
            }
        }

        if (unsupported.Count > 0)
        {
            return (null, unsupported);
        }

        var music = timeline.Music is { Url: { Length: > 0 } url }
            ? new MusicTrack(url, Math.Min(MusicFadeOutSeconds, timeline.Duration / 4))
            : null;
        return (new RenderPlan(timeline.TemplateId, timeline.TemplateVersion, timeline.ImageCount, canvas, total, segments, stickers, music), []);
    }

    /// <summary>The motion a node's uniforms describe, <c>u_{prefix}ScaleBegin</c> and the rest; an absent uniform keeps the
    /// picture still in that respect (scale 1, no move).</summary>
    public static Motion MotionOf(IReadOnlyDictionary<string, UniformValue> uniforms, string prefix) => new(
        Scalar(uniforms, $"u_{prefix}ScaleBegin", 1),
        Scalar(uniforms, $"u_{prefix}ScaleRange", 0),
        Scalar(uniforms, $"u_{prefix}MoveBeginX", 0),
        Scalar(uniforms, $"u_{prefix}MoveRangeX", 0),
        Scalar(uniforms, $"u_{prefix}MoveBeginY", 0),
        Scalar(uniforms, $"u_{prefix}MoveRangeY", 0));

    private static StickerOverlay Sticker(TrackItem item, string where, RenderCanvas canvas, long totalFrames)
    {
        var shader = item.Shader;
        var region = shader.VertexCoordinatesValue ?? new Region { X = 0, Y = 0, Width = 1, Height = 1 };
        var (x, width) = Place(region.X * canvas.Width, region.Width * canvas.Width, region.Rect?.Left, region.Rect?.Right, region.Rect?.Width, canvas);
        var (y, height) = Place(region.Y * canvas.Height, region.Height * canvas.Height, region.Rect?.Top, region.Rect?.Bottom, region.Rect?.Height, canvas);

        // u_VertexScaleBegin scales the box about its centre; u_MoveX/Y shift it by a share of the canvas.
        var scale = Scalar(shader.Uniforms, "u_VertexScaleBegin", 1);
        var centreX = x + (width / 2) + (Scalar(shader.Uniforms, "u_MoveX", 0) * canvas.Width);
        var centreY = y + (height / 2) + (Scalar(shader.Uniforms, "u_MoveY", 0) * canvas.Height);
        var w = Math.Max(2, (int)Math.Round(width * scale / 2) * 2);
        var h = Math.Max(2, (int)Math.Round(height * scale / 2) * 2);
        var start = canvas.FrameAt(item.Position);
        var end = Math.Min(canvas.FrameAt(item.Position + item.Duration), totalFrames);
        return new StickerOverlay(where, shader.Images[0].ImageUrl, start, end,
            (int)Math.Round(centreX - (w / 2.0)), (int)Math.Round(centreY - (h / 2.0)), w, h);
    }

    private static string? StickerRefusal(TrackItem item)
    {
        var effect = RenderEffects.NameOf(item.Shader.FragmentUrl);
        if (!RenderEffects.Stickers.Contains(effect) || item.Type != "PopImage")
        {
            return $"the server renders the stickers PopImage ({string.Join(", ", RenderEffects.Stickers)})";
        }

        if (item.Shader.Images.Count != 1)
        {
            return "a PopImage sticker shows exactly one image";
        }

        return Scalar(item.Shader.Uniforms, "u_VertexScaleRange", 0) != 0
            ? "the server renders PopImage at a constant scale (u_VertexScaleRange 0)"
            : null;
    }

    /// <summary>One axis of a box inside the region [<paramref name="origin"/>, +<paramref name="extent"/>), pinned by dp
    /// edges and size like a CSS absolute box: a size with one edge sits at that edge, a size alone is centred, two
    /// edges alone stretch between them.</summary>
    private static (double Start, double Size) Place(double origin, double extent, Dp? near, Dp? far, Dp? size, RenderCanvas canvas)
    {
        var dp = canvas.Width / CanvasWidthInDp;
        if (size is { } s)
        {
            var length = s.Value * dp;
            return near is { } n ? (origin + (n.Value * dp), length)
                : far is { } f ? (origin + extent - (f.Value * dp) - length, length)
                : (origin + ((extent - length) / 2), length);
        }

        var start = origin + ((near?.Value ?? 0) * dp);
        return (start, Math.Max(0, extent - ((near?.Value ?? 0) * dp) - ((far?.Value ?? 0) * dp)));
    }

    private static int? ImageBefore(IReadOnlyList<TimelineNode> nodes, int index)
    {
        for (var i = index - 1; i >= 0; i--)
        {
            if (nodes[i].ImageIndex is { } image)
            {
                return image;
            }
        }

        return null;
    }

    private static int? ImageAfter(IReadOnlyList<TimelineNode> nodes, int index)
    {
        for (var i = index + 1; i < nodes.Count; i++)
        {
            if (nodes[i].ImageIndex is { } image)
            {
                return image;
            }
        }

        return null;
    }

    private static double Scalar(IReadOnlyDictionary<string, UniformValue> uniforms, string name, double fallback) =>
        uniforms.TryGetValue(name, out var value) && value.Components.Count > 0 ? value.Components[0] : fallback;
}
