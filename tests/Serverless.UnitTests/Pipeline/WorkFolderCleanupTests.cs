using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Serverless.Media;
using Serverless.Pipeline;

namespace Serverless.UnitTests.Pipeline;

public sealed class WorkFolderCleanupTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("workfolder-cleanup-").FullName;

    private MediaOptions Media => new() { WorkDirectory = _root };

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task StartAsync_FreshFolderOfCrashedProcess_RemovedAtOnce()
    {
        var dir = AbandonedFolder("video-1");
        await File.WriteAllTextAsync(Path.Combine(dir, "seg_00000.ts"), "x");

        await CleanupAsync();

        Assert.False(Directory.Exists(dir));
        Assert.False(Directory.Exists(Path.Combine(_root, "video-1")));
    }

    [Fact]
    public async Task StartAsync_FolderOfLiveProcess_Kept()
    {
        using var live = WorkFolder.Create(Media, "video-2");
        await File.WriteAllTextAsync(Path.Combine(live.Path, "seg_00000.ts"), "x");

        await CleanupAsync();

        Assert.True(File.Exists(Path.Combine(live.Path, "seg_00000.ts")));
        Assert.False(WorkFolder.IsAbandoned(live.Path));
    }

    [Fact]
    public async Task StartAsync_FreshFolderWithoutLock_KeptUntilOld()
    {
        var dir = Directory.CreateDirectory(Path.Combine(_root, "video-3", Guid.NewGuid().ToString("N"))).FullName;

        await CleanupAsync();

        Assert.True(Directory.Exists(dir));
    }

    [Fact]
    public async Task StartAsync_OrphanFfmpegStillWritingIntoCrashedFolder_KilledAndNothingWrittenBack()
    {
        var dir = AbandonedFolder("video-4");
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
            "-hls_segment_filename", Path.Combine(dir, "seg_%05d.ts"), Path.Combine(dir, "index.m3u8"),
        })
        {
            psi.ArgumentList.Add(argument);
        }

        using var ffmpeg = Process.Start(psi)!;
        try
        {
            var waited = Stopwatch.StartNew();
            while (!File.Exists(Path.Combine(dir, "seg_00001.ts")) && waited.Elapsed < TimeSpan.FromSeconds(30))
            {
                await Task.Delay(50);
            }

            Assert.True(File.Exists(Path.Combine(dir, "seg_00001.ts")), "ffmpeg never wrote a segment");

            await CleanupAsync();

            Assert.True(ffmpeg.WaitForExit(TimeSpan.FromSeconds(10)), "the orphaned ffmpeg still runs");
            Assert.False(Directory.Exists(dir));
        }
        finally
        {
            if (!ffmpeg.HasExited)
            {
                ffmpeg.Kill();
            }
        }
    }

    /// <summary>A work folder as a killed process leaves it: the lock file is there, but nobody holds it any more.</summary>
    private string AbandonedFolder(string videoId)
    {
        var dir = Directory.CreateDirectory(Path.Combine(_root, videoId, Guid.NewGuid().ToString("N"))).FullName;
        File.WriteAllBytes(Path.Combine(dir, WorkFolder.LockFileName), []);
        return dir;
    }

    private Task CleanupAsync() =>
        new WorkFolderCleanup(Microsoft.Extensions.Options.Options.Create(Media), TimeProvider.System, NullLogger<WorkFolderCleanup>.Instance).StartAsync(default);
}
