namespace Serverless.Rendering.Images;

/// <summary>A photo format the server reads, with the one ffmpeg demuxer that reads it (nothing else is tried).</summary>
public sealed record ImageFormat(string Name, string ContentType, string Demuxer);

/// <summary>Recognises a photo by its first bytes, never by its name or declared type. Pure.</summary>
public static class ImageFormats
{
    public static readonly ImageFormat Jpeg = new("JPEG", "image/jpeg", "jpeg_pipe");
    public static readonly ImageFormat Png = new("PNG", "image/png", "png_pipe");
    public static readonly ImageFormat WebP = new("WebP", "image/webp", "webp_pipe");

    /// <summary>What people call the accepted formats, for reasons shown to users.</summary>
    public const string Names = "JPEG, PNG or WebP";

    public static ImageFormat? Sniff(ReadOnlySpan<byte> head) => head switch
    {
        [0xFF, 0xD8, 0xFF, ..] => Jpeg,
        [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, ..] => Png,
        [(byte)'R', (byte)'I', (byte)'F', (byte)'F', _, _, _, _, (byte)'W', (byte)'E', (byte)'B', (byte)'P', ..] => WebP,
        _ => null,
    };

    /// <summary>Why a file that is none of them is refused: HEIC gets its own words (phones write it; the server's ffmpeg
    /// cannot decode it).</summary>
    public static string Refusal(ReadOnlySpan<byte> head) =>
        head.Length >= 12 && head[4..8].SequenceEqual("ftyp"u8) && (head[8..12].SequenceEqual("heic"u8) || head[8..12].SequenceEqual("heix"u8) || head[8..12].SequenceEqual("mif1"u8))
            ? $"HEIC photos are not supported: send a {Names} photo (wx.chooseMedia with sizeType 'compressed' gives JPEG)."
            : $"The file is not a {Names} photo.";
}
