using System.Diagnostics;
using System.Globalization;

namespace Serverless.IntegrationTests.Reliability;

/// <summary>An ffmpeg/ffprobe process found in <c>/proc</c>, with its arguments.</summary>
public sealed record MediaProcess(int ProcessId, IReadOnlyList<string> Arguments)
{
    /// <summary>The ladder transcode (HLS output), as opposed to the poster grab or a probe.</summary>
    public bool IsTranscode => Arguments.Contains("hls");

    /// <summary>SIGKILL; false when it was already gone.</summary>
    public bool Kill()
    {
        try
        {
            using var process = Process.GetProcessById(ProcessId);
            process.Kill();
            return true;
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }
}

/// <summary>The app's media children, found (Linux) by a command line naming a path under an instance's work folder.</summary>
public static class MediaProcesses
{
    /// <param name="videoId">Only those working on this video (its folder is <c>{work}/{owner}/{videoId}/{step}</c>).</param>
    public static IReadOnlyList<MediaProcess> Find(string workDirectory, string? videoId = null)
    {
        var found = new List<MediaProcess>();
        if (!OperatingSystem.IsLinux())
        {
            return found;
        }

        var prefix = Path.TrimEndingDirectorySeparator(Path.GetFullPath(workDirectory)) + Path.DirectorySeparatorChar;
        foreach (var entry in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(entry), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            string[] arguments;
            try
            {
                arguments = File.ReadAllText(Path.Combine(entry, "cmdline")).TrimEnd('\0').Split('\0');
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                continue;
            }

            if (arguments.Length > 1 && Path.GetFileName(arguments[0]) is "ffmpeg" or "ffprobe" && arguments.Any(a => a.StartsWith(prefix, StringComparison.Ordinal)
                && (videoId is null || a.Contains(Path.DirectorySeparatorChar + videoId + Path.DirectorySeparatorChar, StringComparison.Ordinal))))
            {
                found.Add(new MediaProcess(pid, arguments));
            }
        }

        return found;
    }
}
