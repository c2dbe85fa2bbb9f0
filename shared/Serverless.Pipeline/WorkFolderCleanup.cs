using System.Globalization;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Serverless.Media;

namespace Serverless.Pipeline;

/// <summary>
/// This process's share of the media work directory: <c>{root}/{owner}/</c>, holding an exclusively opened
/// <see cref="LockFileName"/> for as long as the process lives (the OS releases it when the process dies, also on
/// kill -9). Each step works in <c>{owner}/{videoId}/{guid}/</c>, deleted when the step ends. Another process's start-up
/// cleanup removes an owner folder whose lock it can take: its process is gone, so are the steps that wrote there.
/// </summary>
internal sealed class WorkArea(IOptions<MediaOptions> media) : IDisposable
{
    /// <summary>The ownership lock in each owner folder (not a temp file).</summary>
    public const string LockFileName = ".owner.lock";

    private readonly Lock _gate = new();
    private string? _folder;
    private FileStream? _lock;

    public string Root => media.Value.ResolveWorkDirectory();

    /// <summary>A new, empty scratch folder for one step on <paramref name="videoId"/>.</summary>
    public WorkFolder Create(string videoId)
    {
        var path = Path.Combine(OwnerFolder(), videoId, Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(path);
        return new WorkFolder(path);
    }

    /// <summary>True when <paramref name="folder"/> is an owner folder whose process is gone (its lock can be taken).</summary>
    public static bool IsAbandoned(string folder)
    {
        var lockPath = Path.Combine(folder, LockFileName);
        if (!File.Exists(lockPath))
        {
            return false;
        }

        try
        {
            using var probe = new FileStream(lockPath, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
            return true;
        }
        catch (IOException)
        {
            return false; // Held: its process is alive.
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _lock?.Dispose();
            _lock = null;
            if (_folder is not null)
            {
                WorkFolder.TryDelete(_folder);
            }
        }
    }

    private string OwnerFolder()
    {
        lock (_gate)
        {
            if (_folder is null || _lock is null || !Directory.Exists(_folder))
            {
                _lock?.Dispose();
                var folder = Path.Combine(Root, Guid.NewGuid().ToString("N"));
                Directory.CreateDirectory(folder);
                _lock = new FileStream(Path.Combine(folder, LockFileName), FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None);
                _folder = folder;
            }

            return _folder;
        }
    }
}

/// <summary>A per-step scratch folder under this process's work area, deleted (with its video's folder once empty) when disposed.</summary>
internal sealed class WorkFolder(string path) : IDisposable
{
    public string Path { get; } = path;

    public void Dispose()
    {
        TryDelete(Path);
        try
        {
            // The video's folder, when no other step of it is running here; fails harmlessly otherwise.
            Directory.Delete(System.IO.Path.GetDirectoryName(Path)!, recursive: false);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    public static void TryDelete(string path)
    {
        try
        {
            Directory.Delete(path, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
        catch (IOException)
        {
            // Best effort; the next start-up removes the folders of processes that are gone.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}

/// <summary>
/// At start-up, removes what crashed processes left in the work directory: owner folders whose lock is free (their
/// process is gone, whatever its age), and folders of the older layout (<c>{videoId}/{guid}</c>) older than the longest
/// a step may run.
/// </summary>
internal sealed partial class WorkFolderCleanup(IOptions<MediaOptions> media, TimeProvider time, ILogger<WorkFolderCleanup> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        var root = media.Value.ResolveWorkDirectory();
        if (!Directory.Exists(root))
        {
            return Task.CompletedTask;
        }

        var cutoff = time.GetUtcNow().UtcDateTime - TimeSpan.FromSeconds(media.Value.TranscodeTimeoutSeconds) - TimeSpan.FromMinutes(5);
        foreach (var dir in Directory.EnumerateDirectories(root, "*", SearchOption.TopDirectoryOnly))
        {
            try
            {
                if (File.Exists(Path.Combine(dir, WorkArea.LockFileName)))
                {
                    if (WorkArea.IsAbandoned(dir))
                    {
                        // Its ffmpeg outlived it and may still be writing here: stop it first, so nothing is written back.
                        var killed = OrphanProcesses.KillUsing(dir);
                        if (killed > 0)
                        {
                            LogKilled(killed, dir);
                        }

                        Delete(dir);
                        LogRemoved(dir);
                    }

                    continue;
                }

                foreach (var old in Directory.EnumerateDirectories(dir).Where(d => Directory.GetLastWriteTimeUtc(d) < cutoff).ToList())
                {
                    Directory.Delete(old, recursive: true);
                    LogRemoved(old);
                }
            }
            catch (IOException)
            {
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
            catch (IOException) when (attempt < 3)
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
