using System.Text.Json;
using Serverless.Rendering;
using Serverless.Rendering.Images;
using Serverless.Templates.Protocol;
using Serverless.Templates.Timeline;
using Serverless.UnitTests.Templates;

namespace Serverless.UnitTests.Rendering;

public sealed class ImageRulesTests
{
    private static readonly byte[] Soi = [0xFF, 0xD8];
    private static readonly byte[] App0 = [0xFF, 0xE0, 0x00, 0x06, (byte)'J', (byte)'F', (byte)'I', (byte)'F'];
    private static readonly byte[] Sos = [0xFF, 0xDA, 0x00, 0x02];

    [Theory]
    [InlineData(true, 1)]
    [InlineData(true, 6)]
    [InlineData(false, 8)]
    [InlineData(false, 3)]
    public void Orientation_IsReadFromTheExifSegment_InEitherByteOrder(bool bigEndian, int orientation)
    {
        byte[] jpeg = [.. Soi, .. App0, .. Exif(orientation, bigEndian), .. Sos, 1, 2, 3];
        Assert.Equal(orientation, ExifOrientation.Read(jpeg));
    }

    [Fact]
    public void Orientation_OfMalformedOrMissingExif_IsAsStored()
    {
        Assert.Equal(1, ExifOrientation.Read([.. Soi, .. App0, .. Sos]));
        Assert.Equal(1, ExifOrientation.Read([.. Soi, 0xFF, 0xE1, 0xFF, 0xFF, (byte)'E']));          // a length past the end
        Assert.Equal(1, ExifOrientation.Read([.. Soi, .. Exif(9, true)]));                          // not an orientation
        Assert.Equal(1, ExifOrientation.Read([.. Soi, .. Sos, .. Exif(6, true)]));                  // after the picture data
        Assert.Equal(1, ExifOrientation.Read([0x89, 0x50]));
        var exif = Exif(6, true);
        exif[10 + 7] = 0xF0; // IFD0 placed past the end of the segment
        Assert.Equal(1, ExifOrientation.Read([.. Soi, .. exif]));
    }

    [Theory]
    [InlineData(1, "")]
    [InlineData(3, "hflip,vflip")]
    [InlineData(6, "transpose=1")]
    [InlineData(8, "transpose=2")]
    public void Orientation_TurnsUprightWithTheMatchingFilters(int orientation, string filters) =>
        Assert.Equal(filters, ExifOrientation.Filters(orientation));

    [Fact]
    public void Formats_AreRecognisedByTheirBytes_HeicNamed()
    {
        Assert.Same(ImageFormats.Jpeg, ImageFormats.Sniff([0xFF, 0xD8, 0xFF, 0xE0]));
        Assert.Same(ImageFormats.Png, ImageFormats.Sniff([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0]));
        Assert.Same(ImageFormats.WebP, ImageFormats.Sniff("RIFF\0\0\0\0WEBPVP8 "u8));
        Assert.Null(ImageFormats.Sniff("#EXTM3U\n"u8));
        Assert.Null(ImageFormats.Sniff("GIF89a"u8));
        byte[] heic = [0, 0, 0, 0x18, .. "ftypheic"u8.ToArray(), 0, 0, 0, 0];
        Assert.Null(ImageFormats.Sniff(heic));
        Assert.Contains("HEIC", ImageFormats.Refusal(heic), StringComparison.Ordinal);
        Assert.DoesNotContain("HEIC", ImageFormats.Refusal("GIF89a"u8), StringComparison.Ordinal);
    }

    [Fact]
    public void RenderJob_RoundTrips_AndPlansAlike()
    {
        var template = JsonSerializer.Deserialize<MotionTemplate>(TestTemplates.SeedTemplateJson(images: 3), TemplateJson.Options)!;
        var canvas = RenderCanvas.For(template.AspectRatio, 720, 30);
        var job = new RenderJob(TimelineExpander.Expand(template, 3), ["a", "b", "c"], canvas.Width, canvas.Height, 30,
            new Dictionary<string, string> { ["https://cdn.example.com/x.png"] = "template-assets/00" });

        var again = RenderJob.Deserialize(System.Text.Encoding.UTF8.GetString(RenderJob.Serialize(job)));

        Assert.Equal(job.Plan().Segments, again.Plan().Segments);
        Assert.Equal(job.Plan().Stickers, again.Plan().Stickers);
        Assert.Equal(job.Source(), again.Source());
        Assert.Equal(job.Assets, again.Assets);
        Assert.Throws<Serverless.Media.MediaRejectedException>(() => RenderJob.Deserialize("{\"nodes\":[]}"));
    }

    /// <summary>An APP1 Exif segment with IFD0 holding only the orientation.</summary>
    private static byte[] Exif(int orientation, bool bigEndian)
    {
        byte[] tiff = bigEndian
            ? [(byte)'M', (byte)'M', 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, (byte)orientation, 0, 0, 0, 0, 0, 0]
            : [(byte)'I', (byte)'I', 42, 0, 8, 0, 0, 0, 1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0, (byte)orientation, 0, 0, 0, 0, 0, 0, 0];
        var length = 2 + 6 + tiff.Length;
        return [0xFF, 0xE1, (byte)(length >> 8), (byte)length, .. "Exif\0\0"u8.ToArray(), .. tiff];
    }
}
