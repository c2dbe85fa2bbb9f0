using System.Globalization;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Serverless.Media;

namespace Serverless.Pipeline;

/// <summary>
/// At start-up, removes the work folders a crashed process left behind: at once when their creator is gone (its
/// <see cref="WorkFolder"/> lock is free), after the longest a step may run when they carry no lock. A crash leaves
/// its ffmpeg children running and writing into such a folder; they are killed first, so nothing is written back
/// into a folder once it is removed.
/// </summary>
internal sealed partial class WorkFolderCleanup(IOptions<MediaOptions> media, TimeProvider time, ILogger<WorkFolderCleanup> logger) : IHostedService
{
    private const int DeleteAttempts = 3;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var root = WorkFolder.Root(media.Value);
        if (!Directory.Exists(root))
        {
            return Task.CompletedTask;
        }

        var cutoff = time.GetUtcNow().UtcDateTime - TimeSpan.FromSeconds(media.Value.TranscodeTimeoutSeconds) - TimeSpan.FromMinutes(5);
        foreach (var videoFolder in Directory.EnumerateDirectories(root, "*", SearchOption.TopDirectoryOnly).ToList())
        {
            foreach (var dir in Directory.EnumerateDirectories(videoFolder).ToList())
            {
                try
                {
                    var abandoned = WorkFolder.IsAbandoned(dir);
                    if (abandoned == true || (abandoned is null && Directory.GetLastWriteTimeUtc(dir) < cutoff))
                    {
                        var killed = OrphanProcesses.KillUsing(dir);
                        if (killed > 0)
                        {
                            LogKilled(killed, dir);
                        }

                        Delete(dir);
                        LogRemoved(dir);
                    }
                }
                catch (IOException)
                {
                }
                catch (UnauthorizedAccessException)
                {
                }
            }

            try
            {
                if (!Directory.EnumerateFileSystemEntries(videoFolder).Any())
                {
                    Directory.Delete(videoFolder);
                }
            }
            catch (IOException)
            {
                // A step of this video started meanwhile.
            }
            catch (UnauthorizedAccessException)
            {
            }
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>A writer that was still finishing a file can make one recursive delete fail (directory not empty): try again.</summary>
    private static void Delete(string dir)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                Directory.Delete(dir, recursive: true);
                return;
            }
            catch (DirectoryNotFoundException)
            {
                return;
            }
            catch (IOException) when (attempt < DeleteAttempts)
            {
                Thread.Sleep(100 * attempt);
            }
        }
    }

    [LoggerMessage(EventId = 240, Level = LogLevel.Information, Message = "Removed stale work folder {Folder}")]
    private partial void LogRemoved(string folder);

    [LoggerMessage(EventId = 241, Level = LogLevel.Warning, Message = "Killed {Count} orphaned media process(es) of a crashed worker still writing into {Folder}")]
    private partial void LogKilled(int count, string folder);
}

/// <summary>
/// Media processes (ffmpeg, ffprobe) a crashed worker left running. A SIGKILLed parent takes no children with it, and
/// .NET starts children with SIGPIPE ignored, so ffmpeg does not even notice its progress pipe is gone: it transcodes to
/// the end, writing into the dead worker's folder. They are found by a command line naming that folder (Linux only).
/// </summary>
internal static class OrphanProcesses
{
    private const string ProcRoot = "/proc";

    /// <summary>SIGKILLs every process whose arguments name a path inside <paramref name="folder"/>; returns how many.</summary>
    public static int KillUsing(string folder)
    {
        if (!OperatingSystem.IsLinux() || !Directory.Exists(ProcRoot))
        {
            return 0;
        }

        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder));
        var killed = new List<int>();
        foreach (var entry in Directory.EnumerateDirectories(ProcRoot))
        {
            if (!int.TryParse(Path.GetFileName(entry), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || pid == Environment.ProcessId)
            {
                continue;
            }

            string[] arguments;
            try
            {
                arguments = File.ReadAllText(Path.Combine(entry, "cmdline")).Split('\0');
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                continue; // Exited meanwhile, or not ours to read.
            }

            if (!arguments.Any(a => a == full || a.Contains(full + Path.DirectorySeparatorChar, StringComparison.Ordinal)))
            {
                continue;
            }

            try
            {
                using var process = System.Diagnostics.Process.GetProcessById(pid);
                process.Kill();
                killed.Add(pid);
            }
            catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
            {
                // Already gone.
            }
        }

        // SIGKILL is not instant: wait (briefly) until each is gone or a zombie, so it writes nothing more.
        var total = killed.Count;
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (killed.Count > 0 && waited.Elapsed < TimeSpan.FromSeconds(2))
        {
            killed.RemoveAll(pid => !IsRunning(pid));
            if (killed.Count > 0)
            {
                Thread.Sleep(20);
            }
        }

        return total;
    }

    /// <summary>Whether the process still runs: its <c>stat</c> exists and its state is not zombie (Z) or dead (X).</summary>
    private static bool IsRunning(int pid)
    {
        try
        {
            var stat = File.ReadAllText(Path.Combine(ProcRoot, pid.ToString(CultureInfo.InvariantCulture), "stat"));
            var state = stat[(stat.LastIndexOf(')') + 2)..].TrimStart();
            return state.Length > 0 && state[0] is not ('Z' or 'X' or 'x');
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
