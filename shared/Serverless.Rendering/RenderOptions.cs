using System.ComponentModel.DataAnnotations;

namespace Serverless.Rendering;

/// <summary>The canvas renders are drawn on. Section <c>Rendering</c>.</summary>
public sealed class RenderOptions
{
    public const string SectionName = "Rendering";

    /// <summary>The canvas's short side, pixels: the ladder's top rung or lower (<c>Media__MaxLadderShortSide</c>). Default 720.</summary>
    [AllowedValues(360, 540, 720, 1080)]
    public int ShortSide { get; set; } = 720;

    /// <summary>Frames per second of a rendered video. Default 30 (the seed's players refresh at 30 fps).</summary>
    [Range(15, 60)]
    public int FrameRate { get; set; } = 30;
}
