using System.Globalization;

namespace Serverless.Media;

/// <summary>Free space of the work folder's disk and how much a transcode needs, to fail a step before ffmpeg fills the disk.</summary>
public static class DiskSpace
{
    /// <summary>What the OS says when a write fails for lack of space (ENOSPC); ffmpeg prints it on stderr.</summary>
    public const string OutOfSpaceText = "No space left on device";

    /// <summary>Slack on top of the bit-rate estimate: container overhead (MPEG-TS about 10 %), playlists, VBV overshoot.</summary>
    public const double Overhead = 1.25;

    /// <summary>Free space under which a disk counts as filled up after ffmpeg wrote to it: its output cannot be trusted.</summary>
    public const long FilledUpBytes = 64 * 1024;

    /// <summary>The reason when ffmpeg ran out of space while writing.</summary>
    public const string FilledUpReason = "Not enough temporary disk space to process the video (the disk filled up while writing).";

    /// <summary>Fixed slack for playlists, the init segment and the file system's own blocks.</summary>
    public const long FixedBytes = 256 * 1024;

    /// <summary>
    /// Upper estimate of the bytes a ladder transcode writes: every rung at its capped rate (video max rate plus audio)
    /// for the source's duration, with <see cref="Overhead"/> and <see cref="FixedBytes"/>.
    /// </summary>
    public static long EstimateTranscodeBytes(MediaInfo source, IReadOnlyList<Rendition> ladder)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(ladder);
        var kbps = ladder.Sum(r => (long)Math.Max(r.MaxRateKbps, r.VideoBitrateKbps) + (source.Audio is null ? 0 : r.AudioBitrateKbps));
        var bytes = kbps * 1000.0 / 8 * Math.Max(source.DurationSeconds, 1) * Overhead;
        return (long)Math.Ceiling(bytes) + FixedBytes;
    }

    /// <summary>Bytes free to this process on the disk holding <paramref name="path"/> (an existing folder); null when unknown.</summary>
    public static long? AvailableBytes(string path)
    {
        try
        {
            return new DriveInfo(Path.GetFullPath(path)).AvailableFreeSpace;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return null;
        }
    }

    /// <summary>Throws <see cref="InsufficientDiskSpaceException"/> when the disk of <paramref name="folder"/> has less than <paramref name="neededBytes"/> free.</summary>
    public static void EnsureAvailable(string folder, long neededBytes)
    {
        if (AvailableBytes(folder) is { } free && free < neededBytes)
        {
            throw new InsufficientDiskSpaceException(string.Create(
                CultureInfo.InvariantCulture,
                $"Not enough temporary disk space to process the video: {Format(free)} free, about {Format(neededBytes)} needed."));
        }
    }

    /// <summary>
    /// After ffmpeg wrote into <paramref name="folder"/>: throws <see cref="InsufficientDiskSpaceException"/> when it
    /// reported ENOSPC or the disk is (all but) full. ffmpeg's HLS muxer exits 0 after failed writes, leaving an empty
    /// playlist or truncated segments, so its exit code alone does not tell.
    /// </summary>
    public static void ThrowIfFilledUp(string folder, string? stderr)
    {
        if (stderr?.Contains(OutOfSpaceText, StringComparison.OrdinalIgnoreCase) == true || AvailableBytes(folder) is < FilledUpBytes)
        {
            throw new InsufficientDiskSpaceException(FilledUpReason);
        }
    }

    /// <summary>True when <paramref name="exception"/> is a write that failed because the disk is full.</summary>
    public static bool IsOutOfSpace(Exception exception) => exception switch
    {
        InsufficientDiskSpaceException => true,
        FfmpegException f => f.StderrTail.Contains(OutOfSpaceText, StringComparison.OrdinalIgnoreCase),

        // ENOSPC on Unix (the HResult is the errno, 28); ERROR_DISK_FULL / ERROR_HANDLE_DISK_FULL on Windows.
        IOException io => (OperatingSystem.IsWindows() ? (io.HResult & 0xFFFF) is 112 or 39 : io.HResult == 28)
            || io.Message.Contains(OutOfSpaceText, StringComparison.OrdinalIgnoreCase),
        _ => false,
    };

    /// <summary>The uploader-facing reason for a write that ran out of disk space.</summary>
    public static string Describe(Exception exception) => exception is InsufficientDiskSpaceException ? exception.Message : FilledUpReason;

    private static string Format(long bytes) => bytes >= 1 << 20
        ? string.Create(CultureInfo.InvariantCulture, $"{bytes / 1048576.0:0.0} MB")
        : string.Create(CultureInfo.InvariantCulture, $"{Math.Ceiling(bytes / 1024.0):0} KB");
}
