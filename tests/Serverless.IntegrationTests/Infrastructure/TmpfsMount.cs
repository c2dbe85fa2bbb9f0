using System.Globalization;

namespace Serverless.IntegrationTests.Infrastructure;

/// <summary>
/// A small tmpfs mounted on a fresh folder, to run the app on a disk that really fills up (ENOSPC from the kernel, as
/// in production). Needs root (CAP_SYS_ADMIN), which the dev machine and CI have; without it the test fails with the
/// reason instead of passing on the big disk. Unmounted on dispose (lazily if a process still holds a file there).
/// </summary>
public sealed class TmpfsMount : IDisposable
{
    private TmpfsMount(string path, long sizeBytes)
    {
        Path = path;
        SizeBytes = sizeBytes;
    }

    public string Path { get; }

    public long SizeBytes { get; }

    /// <summary>Bytes free on the mount now.</summary>
    public long AvailableBytes => new DriveInfo(Path).AvailableFreeSpace;

    public static async Task<TmpfsMount> CreateAsync(long sizeBytes)
    {
        var path = Directory.CreateTempSubdirectory("tmpfs-").FullName;
        var size = string.Create(CultureInfo.InvariantCulture, $"size={(sizeBytes + 4095) / 4096 * 4}k");
        var (code, _, error) = await TestClips.RunAsync("mount", ["-t", "tmpfs", "-o", size, "tmpfs", path]);
        if (code != 0)
        {
            Directory.Delete(path);
            var (_, uid, _) = await TestClips.RunAsync("id", ["-u"]);
            throw new InvalidOperationException(
                $"Could not mount a {sizeBytes}-byte tmpfs on {path} (exit {code}: {error.Trim()}); the disk-pressure tests need a disk that " +
                $"really fills up, so they run as root (uid 0; this is uid {uid.Trim()}) or in a container with CAP_SYS_ADMIN.");
        }

        return new TmpfsMount(path, sizeBytes);
    }

    /// <summary>Writes a file of zeros that leaves about <paramref name="freeBytes"/> free on the mount, and returns its path.</summary>
    public string Fill(long freeBytes, string name = "filler.bin")
    {
        var filler = System.IO.Path.Combine(Path, name);
        var size = Math.Max(0, AvailableBytes - freeBytes);
        using (var stream = new FileStream(filler, FileMode.Create, FileAccess.Write))
        {
            var block = new byte[65536];
            for (long written = 0; written < size; written += block.Length)
            {
                stream.Write(block, 0, (int)Math.Min(block.Length, size - written));
            }
        }

        return filler;
    }

    public void Dispose()
    {
        var (code, _, _) = TestClips.RunAsync("umount", [Path]).GetAwaiter().GetResult();
        if (code != 0)
        {
            TestClips.RunAsync("umount", ["-l", Path]).GetAwaiter().GetResult();
        }

        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
