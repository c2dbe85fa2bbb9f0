using System.ComponentModel.DataAnnotations;

namespace Serverless.Rendering.Images;

/// <summary>What a photo sent for a render may be. Section <c>Images</c>.</summary>
public sealed class ImageOptions
{
    public const string SectionName = "Images";

    /// <summary>Largest photo file accepted. Default 20 MiB (a phone's full-size JPEG is 3–12 MB).</summary>
    [Range(1024, 200L * 1024 * 1024)]
    public long MaxBytes { get; set; } = 20L * 1024 * 1024;

    /// <summary>Longest side accepted, pixels. Default 8192.</summary>
    [Range(64, 65535)]
    public int MaxSide { get; set; } = 8192;

    /// <summary>Most pixels accepted (width × height), read from the header before anything is decoded: the guard against
    /// decompression bombs (a small file that decodes to gigabytes). Default 40 million (a 48 MP phone photo is refused).</summary>
    [Range(4096, 400_000_000)]
    public long MaxPixels { get; set; } = 40_000_000;

    /// <summary>Photos are stored re-encoded with their long side at most this, enough for the 1080p canvas. Default 1920.</summary>
    [Range(256, 8192)]
    public int StoredLongSide { get; set; } = 1920;
}
