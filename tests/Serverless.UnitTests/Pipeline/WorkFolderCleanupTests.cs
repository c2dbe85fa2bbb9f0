using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Serverless.Media;
using Serverless.Pipeline;

namespace Serverless.UnitTests.Pipeline;

/// <summary>Work folders on the real file system: what a crashed process left is removed at start-up, a live one's never.</summary>
public sealed class WorkFolderCleanupTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("work-cleanup-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task StartAsync_FolderOfAProcessThatDiedSecondsAgo_IsRemoved()
    {
        // A crashed process's share: its lock file no longer held, a half-written segment written just now.
        var dead = Path.Combine(_root, "0123456789abcdef0123456789abcdef");
        var step = Path.Combine(dead, "v_abc", "f00d");
        Directory.CreateDirectory(step);
        await File.WriteAllTextAsync(Path.Combine(dead, WorkArea.LockFileName), string.Empty);
        await File.WriteAllBytesAsync(Path.Combine(step, "seg_00000.ts"), new byte[4096]);

        await Cleanup().StartAsync(default);

        Assert.False(Directory.Exists(dead));
    }

    [Fact]
    public async Task StartAsync_FolderOfALiveProcess_IsKept()
    {
        using var live = new WorkArea(Media());
        using var folder = live.Create("v_live");
        await File.WriteAllBytesAsync(Path.Combine(folder.Path, "seg_00000.ts"), new byte[16]);

        await Cleanup().StartAsync(default);

        Assert.True(File.Exists(Path.Combine(folder.Path, "seg_00000.ts")));
        Assert.False(WorkArea.IsAbandoned(Path.GetDirectoryName(Path.GetDirectoryName(folder.Path))!));
    }

    [Fact]
    public void Dispose_StepAndProcessEnded_NothingLeft()
    {
        var live = new WorkArea(Media());
        using (var folder = live.Create("v_done"))
        {
            File.WriteAllBytes(Path.Combine(folder.Path, "poster.jpg"), new byte[16]);
        }

        live.Dispose();

        Assert.Empty(Directory.EnumerateFileSystemEntries(_root));
    }

    [Fact]
    public async Task StartAsync_OrphanFfmpegStillWritingIntoCrashedFolder_KilledAndNothingWrittenBack()
    {
        // kill -9 takes no children along, and .NET starts them with SIGPIPE ignored: the crashed process's ffmpeg
        // keeps transcoding into its folder after its progress pipe is gone.
        var dead = Path.Combine(_root, "fedcba9876543210fedcba9876543210");
        var step = Path.Combine(dead, "v_orphan", "f00d");
        Directory.CreateDirectory(step);
        await File.WriteAllTextAsync(Path.Combine(dead, WorkArea.LockFileName), string.Empty);
        var psi = new ProcessStartInfo(Environment.GetEnvironmentVariable("FFMPEG_PATH") is { Length: > 0 } p ? p : "ffmpeg")
        {
            RedirectStandardInput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[]
        {
            "-hide_banner", "-nostats", "-v", "error", "-re", "-f", "lavfi", "-i", "testsrc=size=64x36:rate=10", "-t", "60",
            "-c:v", "libx264", "-preset", "ultrafast", "-g", "5", "-f", "hls", "-hls_time", "0.5", "-hls_list_size", "0",
            "-hls_segment_filename", Path.Combine(step, "seg_%05d.ts"), Path.Combine(step, "index.m3u8"),
        })
        {
            psi.ArgumentList.Add(argument);
        }

        using var ffmpeg = Process.Start(psi)!;
        try
        {
            var waited = Stopwatch.StartNew();
            while (!File.Exists(Path.Combine(step, "seg_00001.ts")) && waited.Elapsed < TimeSpan.FromSeconds(30))
            {
                await Task.Delay(50);
            }

            Assert.True(File.Exists(Path.Combine(step, "seg_00001.ts")), "ffmpeg never wrote a segment");

            await Cleanup().StartAsync(default);

            Assert.True(ffmpeg.WaitForExit(TimeSpan.FromSeconds(10)), "the orphaned ffmpeg still runs");
            Assert.False(Directory.Exists(dead));
        }
        finally
        {
            if (!ffmpeg.HasExited)
            {
                ffmpeg.Kill();
            }
        }
    }

    private IOptions<MediaOptions> Media() => Options.Create(new MediaOptions { WorkDirectory = _root });

    private WorkFolderCleanup Cleanup() => new(Media(), TimeProvider.System, NullLogger<WorkFolderCleanup>.Instance);
}
