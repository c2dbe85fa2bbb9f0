using Serverless.Media;

namespace Serverless.Pipeline;

/// <summary>
/// A per-step scratch folder under the media work directory, deleted when disposed. While it lives, the creating
/// process holds an exclusive lock on its <see cref="LockFileName"/> file; the operating system drops that lock when the
/// process dies, however it dies (kill -9, OOM), so start-up cleanup can tell a dead process's folder from a live one.
/// The lock file is opened close-on-exec: ffmpeg children do not inherit it.
/// </summary>
internal sealed class WorkFolder : IDisposable
{
    public const string LockFileName = ".lock";

    private readonly FileStream _lock;

    private WorkFolder(string path, FileStream ownerLock)
    {
        Path = path;
        _lock = ownerLock;
    }

    public string Path { get; }

    public static string Root(MediaOptions options) =>
        options.WorkDirectory is { Length: > 0 } dir ? dir : System.IO.Path.Combine(System.IO.Path.GetTempPath(), "serverless-media");

    public static WorkFolder Create(MediaOptions options, string videoId)
    {
        var path = System.IO.Path.Combine(Root(options), videoId, Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(path);
        return new WorkFolder(path, new FileStream(System.IO.Path.Combine(path, LockFileName), FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None));
    }

    /// <summary>
    /// Whether the process that created <paramref name="folder"/> is gone: its lock file exists and can be locked.
    /// Null when the folder has no lock file (created before locks, or its creator died between the two calls).
    /// </summary>
    public static bool? IsAbandoned(string folder)
    {
        try
        {
            using var probe = new FileStream(System.IO.Path.Combine(folder, LockFileName), FileMode.Open, FileAccess.ReadWrite, FileShare.None);
            return true;
        }
        catch (FileNotFoundException)
        {
            return null;
        }
        catch (DirectoryNotFoundException)
        {
            return null;
        }
        catch (IOException)
        {
            return false; // Locked: its process is alive (this one or another sharing the work directory).
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    public void Dispose()
    {
        _lock.Dispose();
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // Best effort; start-up cleans the work root of anything left behind.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
