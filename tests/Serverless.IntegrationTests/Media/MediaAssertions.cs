using System.Globalization;
using Serverless.IntegrationTests.Infrastructure;

namespace Serverless.IntegrationTests.Media;

/// <summary>Checks on produced HLS renditions using ffprobe.</summary>
internal static class MediaAssertions
{
    /// <summary>The first video packet of a segment (fMP4 segments are probed behind their init segment): its pts and whether it is a keyframe.</summary>
    public static async Task<(double Pts, bool Keyframe)> FirstVideoPacketAsync(string segmentPath, string? initPath)
    {
        var target = segmentPath;
        string? joined = null;
        if (initPath is not null)
        {
            joined = Path.Combine(Path.GetTempPath(), "seg-" + Guid.NewGuid().ToString("N") + ".mp4");
            await using (var output = File.Create(joined))
            {
                foreach (var part in new[] { initPath, segmentPath })
                {
                    await using var input = File.OpenRead(part);
                    await input.CopyToAsync(output);
                }
            }

            target = joined;
        }

        try
        {
            var (exit, stdout, stderr) = await TestClips.RunAsync(TestClips.FfprobePath,
                ["-v", "error", "-select_streams", "v:0", "-show_entries", "packet=pts_time,flags", "-of", "csv=p=0", "-read_intervals", "%+#1", target]);
            Assert.True(exit == 0, stderr);
            var first = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)[0].Split(',');
            return (double.Parse(first[0], CultureInfo.InvariantCulture), first[1].StartsWith('K'));
        }
        finally
        {
            if (joined is not null)
            {
                File.Delete(joined);
            }
        }
    }

    /// <summary>Width and height of the first video stream of a file (e.g. a JPEG or a playlist).</summary>
    public static async Task<(int Width, int Height, string Codec)> VideoSizeAsync(string path)
    {
        var (exit, stdout, stderr) = await TestClips.RunAsync(TestClips.FfprobePath,
            ["-v", "error", "-select_streams", "v:0", "-show_entries", "stream=width,height,codec_name", "-of", "csv=p=0", path]);
        Assert.True(exit == 0, stderr);
        // A playlist read through the hls demuxer lists its streams under a program too: take the first line.
        var parts = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)[0].Split(',');
        return (int.Parse(parts[1], CultureInfo.InvariantCulture), int.Parse(parts[2], CultureInfo.InvariantCulture), parts[0]);
    }
}
