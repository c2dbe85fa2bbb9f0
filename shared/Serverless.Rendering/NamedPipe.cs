using System.ComponentModel;
using System.Runtime.InteropServices;

namespace Serverless.Rendering;

/// <summary>A named pipe (FIFO) on the local file system: the render writes into it while the transcode reads it.</summary>
internal static partial class NamedPipe
{
    /// <exception cref="PlatformNotSupportedException">Not on Linux or macOS (the app runs on Linux).</exception>
    public static void Create(string path)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS())
        {
            throw new PlatformNotSupportedException("Rendering streams through a named pipe, which needs Linux.");
        }

        if (MakeFifo(path, 0b110_000_000) != 0)
        {
            throw new IOException($"Could not create the named pipe '{path}'.", new Win32Exception(Marshal.GetLastPInvokeError()));
        }
    }

    [LibraryImport("libc", EntryPoint = "mkfifo", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int MakeFifo(string path, uint mode);
}
