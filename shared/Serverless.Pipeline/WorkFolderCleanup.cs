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
                        Directory.Delete(dir, recursive: true);
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

    [LoggerMessage(EventId = 240, Level = LogLevel.Information, Message = "Removed stale work folder {Folder}")]
    private partial void LogRemoved(string folder);
}
