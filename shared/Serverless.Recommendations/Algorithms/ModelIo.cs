using System.Runtime.InteropServices;

namespace Serverless.Recommendations.Algorithms;

/// <summary>Compact little-endian array I/O for model blobs.</summary>
internal static class ModelIo
{
    public static void WriteArray(BinaryWriter writer, float[] values)
    {
        writer.Write(values.Length);
        writer.Write(MemoryMarshal.AsBytes(values.AsSpan()));
    }

    public static void WriteArray(BinaryWriter writer, int[] values)
    {
        writer.Write(values.Length);
        writer.Write(MemoryMarshal.AsBytes(values.AsSpan()));
    }

    public static float[] ReadFloats(BinaryReader reader)
    {
        var values = new float[ReadLength(reader)];
        ReadExactly(reader, MemoryMarshal.AsBytes(values.AsSpan()));
        return values;
    }

    public static int[] ReadInts(BinaryReader reader)
    {
        var values = new int[ReadLength(reader)];
        ReadExactly(reader, MemoryMarshal.AsBytes(values.AsSpan()));
        return values;
    }

    public static void WriteStrings(BinaryWriter writer, IReadOnlyList<string> values)
    {
        writer.Write(values.Count);
        foreach (var value in values)
        {
            writer.Write(value);
        }
    }

    public static string[] ReadStrings(BinaryReader reader)
    {
        var values = new string[ReadLength(reader)];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = reader.ReadString();
        }

        return values;
    }

    private static int ReadLength(BinaryReader reader)
    {
        var length = reader.ReadInt32();
        return length is >= 0 and <= 1 << 28 ? length : throw new InvalidDataException("The model blob holds an array of impossible length.");
    }

    private static void ReadExactly(BinaryReader reader, Span<byte> target)
    {
        try
        {
            reader.BaseStream.ReadExactly(target);
        }
        catch (EndOfStreamException ex)
        {
            throw new InvalidDataException("The model blob is truncated.", ex);
        }
    }
}
