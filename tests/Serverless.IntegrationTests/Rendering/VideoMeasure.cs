using System.Diagnostics;
using System.Globalization;
using Serverless.IntegrationTests.Infrastructure;
using Serverless.Rendering;

namespace Serverless.IntegrationTests.Rendering;

/// <summary>What a rendered video shows and sounds like, measured with ffmpeg: mean colours of frames or boxes, frame counts, audio.</summary>
internal static class VideoMeasure
{
    public static (byte R, byte G, byte B) Halfway((byte R, byte G, byte B) a, (byte R, byte G, byte B) b) =>
        ((byte)((a.R + b.R) / 2), (byte)((a.G + b.G) / 2), (byte)((a.B + b.B) / 2));

    public static void AssertColour((byte R, byte G, byte B) expected, (byte R, byte G, byte B) seen, string what)
    {
        const int Tolerance = 8;
        Assert.True(Math.Abs(expected.R - seen.R) <= Tolerance && Math.Abs(expected.G - seen.G) <= Tolerance && Math.Abs(expected.B - seen.B) <= Tolerance,
            $"{what}: expected about {expected}, saw {seen}");
    }

    /// <summary>The mean colour of one frame: of its centre quarter, of a box, or of all of it.</summary>
    public static async Task<(byte R, byte G, byte B)> MeanColourAsync(string video, long frame, bool centre = false, StickerOverlay? box = null)
    {
        var crop = box is { } b ? string.Create(CultureInfo.InvariantCulture, $"crop={b.Width / 2}:{b.Height / 2}:{b.X + (b.Width / 4)}:{b.Y + (b.Height / 4)},")
            : centre ? "crop=iw/2:ih/2," : string.Empty;
        var bytes = await FfmpegBytesAsync(["-v", "error", "-i", video, "-vf", $"select=eq(n\\,{frame}),{crop}scale=1:1:flags=area,format=rgb24", "-frames:v", "1", "-f", "rawvideo", "-"]);
        Assert.Equal(3, bytes.Length);
        return (bytes[0], bytes[1], bytes[2]);
    }

    public static async Task<long> CountFramesAsync(string video)
    {
        var (code, stdout, stderr) = await TestClips.RunAsync(TestClips.FfprobePath,
            ["-v", "error", "-count_frames", "-select_streams", "v:0", "-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", video]);
        Assert.True(code == 0, stderr);
        return long.Parse(stdout.Trim(), CultureInfo.InvariantCulture);
    }

    public static async Task<double> DurationAsync(string video)
    {
        var (code, stdout, stderr) = await TestClips.RunAsync(TestClips.FfprobePath,
            ["-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", video]);
        Assert.True(code == 0, stderr);
        return double.Parse(stdout.Trim(), CultureInfo.InvariantCulture);
    }

    /// <summary>The audio as mono floats at 8 kHz.</summary>
    public static async Task<float[]> DecodeAudioAsync(string video)
    {
        var bytes = await FfmpegBytesAsync(["-v", "error", "-i", video, "-map", "0:a:0", "-ac", "1", "-ar", "8000", "-f", "f32le", "-"]);
        var samples = new float[bytes.Length / 4];
        Buffer.BlockCopy(bytes, 0, samples, 0, samples.Length * 4);
        return samples;
    }

    public static double Rms(float[] samples, double from, double to)
    {
        var a = (int)(from * 8000);
        var b = Math.Min(samples.Length, (int)(to * 8000));
        Assert.True(b > a, $"no audio between {from} and {to} s");
        return Math.Sqrt(samples[a..b].Sum(s => (double)s * s) / (b - a)) * Math.Sqrt(2);
    }

    public static async Task<byte[]> FfmpegBytesAsync(IReadOnlyList<string> arguments)
    {
        var psi = new ProcessStartInfo(TestClips.FfmpegPath) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            psi.ArgumentList.Add(argument);
        }

        using var process = Process.Start(psi)!;
        using var buffer = new MemoryStream();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.StandardOutput.BaseStream.CopyToAsync(buffer);
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, await stderr);
        return buffer.ToArray();
    }

}
