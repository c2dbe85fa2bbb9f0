using System.Buffers.Binary;

namespace Serverless.Rendering.Images;

/// <summary>
/// The EXIF orientation of a JPEG (tag 0x0112 of IFD0 in the APP1 "Exif" segment): how the stored picture must be turned
/// to be seen upright. Phones store photos as the sensor saw them and write this tag; the decoder ignores it. Reads only
/// the bytes given, bounds-checked: a malformed segment reads as 1 (as stored). Pure.
/// </summary>
public static class ExifOrientation
{
    /// <summary>1 to 8 (1: as stored; 3: 180°; 6: 90° clockwise; 8: 90° counter-clockwise; 2, 4, 5, 7: mirrored).</summary>
    public static int Read(ReadOnlySpan<byte> jpeg)
    {
        if (jpeg.Length < 4 || jpeg[0] != 0xFF || jpeg[1] != 0xD8)
        {
            return 1;
        }

        var at = 2;
        while (at + 4 <= jpeg.Length && jpeg[at] == 0xFF)
        {
            var marker = jpeg[at + 1];
            if (marker is 0xDA or 0xD9)
            {
                break; // Start of scan / end of image: no EXIF before the picture data.
            }

            var length = BinaryPrimitives.ReadUInt16BigEndian(jpeg[(at + 2)..]);
            if (length < 2 || at + 2 + length > jpeg.Length)
            {
                return 1;
            }

            var segment = jpeg.Slice(at + 4, length - 2);
            if (marker == 0xE1 && segment.Length > 6 && segment[..6].SequenceEqual("Exif\0\0"u8))
            {
                return FromTiff(segment[6..]);
            }

            at += 2 + length;
        }

        return 1;
    }

    /// <summary>The ffmpeg filters that turn a picture of <paramref name="orientation"/> upright ("" when it already is).</summary>
    public static string Filters(int orientation) => orientation switch
    {
        2 => "hflip",
        3 => "hflip,vflip",
        4 => "vflip",
        5 => "transpose=0",
        6 => "transpose=1",
        7 => "transpose=3",
        8 => "transpose=2",
        _ => string.Empty,
    };

    private static int FromTiff(ReadOnlySpan<byte> tiff)
    {
        if (tiff.Length < 8)
        {
            return 1;
        }

        var little = tiff[0] == (byte)'I' && tiff[1] == (byte)'I';
        if (!little && !(tiff[0] == (byte)'M' && tiff[1] == (byte)'M'))
        {
            return 1;
        }

        ushort U16(ReadOnlySpan<byte> b) => little ? BinaryPrimitives.ReadUInt16LittleEndian(b) : BinaryPrimitives.ReadUInt16BigEndian(b);
        uint U32(ReadOnlySpan<byte> b) => little ? BinaryPrimitives.ReadUInt32LittleEndian(b) : BinaryPrimitives.ReadUInt32BigEndian(b);

        var ifd = U32(tiff[4..]);
        if (ifd > (uint)tiff.Length - 2)
        {
            return 1;
        }

        var entries = U16(tiff[(int)ifd..]);
        for (var i = 0; i < entries; i++)
        {
            var entry = (int)ifd + 2 + (i * 12);
            if (entry + 12 > tiff.Length)
            {
                return 1;
            }

            if (U16(tiff[entry..]) == 0x0112)
            {
                var value = U16(tiff[(entry + 8)..]);
                return value is >= 1 and <= 8 ? value : 1;
            }
        }

        return 1;
    }
}
