using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;

namespace Serverless.IntegrationTests.Infrastructure;

/// <summary>What to generate with lavfi (<c>testsrc2</c> + <c>sine</c>), encoded quickly with libx264 ultrafast.</summary>
/// <param name="Rotation">Rotation metadata (<c>-metadata:s:v rotate=N</c> on a remux, ffmpeg 5.1): 90 makes a 320x180 stream display as 180x320.</param>
/// <param name="Container">File extension: <c>mp4</c> (moov at the end) or <c>ts</c> (streamable).</param>
public sealed record ClipSpec(int Width, int Height, double Seconds, int FrameRate = 30, bool Audio = true, int Rotation = 0, string Container = "mp4");

/// <summary>
/// Tiny test clips generated with ffmpeg at test time, once per test run and shared by every test class (take it as an
/// <see cref="IClassFixture{TFixture}"/> or call <see cref="Shared"/>). Clips are cached by spec; the folder is deleted at exit.
/// Keep them tiny (2–4 s, at most 640x360): the CI machine has 2 cores.
/// </summary>
public sealed class TestClips
{
    private static readonly Lazy<TestClips> Instance = new(() =>
    {
        var clips = new TestClips(Directory.CreateTempSubdirectory("test-clips-").FullName);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                Directory.Delete(clips.Root, recursive: true);
            }
            catch (IOException)
            {
                // Best effort: a temp folder left behind is harmless.
            }
        };
        return clips;
    });

    private readonly ConcurrentDictionary<string, Lazy<Task<string>>> _cache = new(StringComparer.Ordinal);

    public TestClips()
        : this(Instance.Value.Root)
    {
        _cache = Instance.Value._cache;
    }

    private TestClips(string root) => Root = root;

    /// <summary>The run-wide instance.</summary>
    public static TestClips Shared => Instance.Value;

    /// <summary>The folder holding the generated files.</summary>
    public string Root { get; }

    /// <summary>The ffmpeg used to generate clips: <c>FFMPEG_PATH</c> or <c>ffmpeg</c> on PATH.</summary>
    public static string FfmpegPath => Environment.GetEnvironmentVariable("FFMPEG_PATH") is { Length: > 0 } p ? p : "ffmpeg";

    /// <summary>The ffprobe used by test assertions: <c>FFPROBE_PATH</c> or <c>ffprobe</c> on PATH.</summary>
    public static string FfprobePath => Environment.GetEnvironmentVariable("FFPROBE_PATH") is { Length: > 0 } p ? p : "ffprobe";

    /// <summary>320x180, 4 s, 30 fps, H.264 + AAC stereo.</summary>
    public Task<string> LandscapeAsync() => GenerateAsync(new ClipSpec(320, 180, 4));

    /// <summary>Stored portrait: 180x320, 4 s, with audio.</summary>
    public Task<string> PortraitAsync() => GenerateAsync(new ClipSpec(180, 320, 4));

    /// <summary>A 320x180 stream with rotation metadata 90, displayed as 180x320 (as phones record portrait).</summary>
    public Task<string> RotatedPortraitAsync() => GenerateAsync(new ClipSpec(320, 180, 4, Rotation: 90));

    /// <summary>320x180, 4 s, no audio stream.</summary>
    public Task<string> NoAudioAsync() => GenerateAsync(new ClipSpec(320, 180, 4, Audio: false));

    /// <summary>An AAC-only .m4a of 3 s (no video stream).</summary>
    public Task<string> AudioOnlyAsync() => CachedAsync("audio-only.m4a", path => RunFfmpegAsync(
        ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=3", "-c:a", "aac", path]));

    /// <summary>A 1x1 H.264 video of 2 s (yuv444p: 4:2:0 cannot hold one pixel).</summary>
    public Task<string> OnePixelAsync() => CachedAsync("one-pixel.mp4", path => RunFfmpegAsync(
        ["-f", "lavfi", "-i", "color=c=red:s=2x2:r=30:d=2", "-vf", "scale=1:1", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv444p", path]));

    /// <summary>A text file renamed .mp4.</summary>
    public Task<string> TextAsMp4Async() => CachedAsync("text.mp4", path =>
        File.WriteAllTextAsync(path, "This is not a video, just text with an .mp4 name.\n"));

    /// <summary>The first half of <see cref="LandscapeAsync"/> (moov at the end, so the index is missing).</summary>
    public Task<string> TruncatedMp4Async() => CachedAsync("truncated.mp4", async path =>
    {
        var bytes = await File.ReadAllBytesAsync(await LandscapeAsync());
        await File.WriteAllBytesAsync(path, bytes.AsSpan(0, bytes.Length / 2).ToArray());
    });

    /// <summary>A zero-byte .mp4.</summary>
    public Task<string> EmptyAsync() => CachedAsync("empty.mp4", path => File.WriteAllBytesAsync(path, []));

    /// <summary>Generates (once) the clip a spec describes and returns its path.</summary>
    public Task<string> GenerateAsync(ClipSpec spec)
    {
        var name = string.Create(CultureInfo.InvariantCulture,
            $"clip-{spec.Width}x{spec.Height}-{spec.Seconds:0.##}s-{spec.FrameRate}fps{(spec.Audio ? "-audio" : "")}{(spec.Rotation != 0 ? $"-rot{spec.Rotation}" : "")}.{spec.Container}");
        return CachedAsync(name, async path =>
        {
            if (spec.Rotation == 0)
            {
                await RunFfmpegAsync(GenerateArguments(spec, path));
                return;
            }

            // ffmpeg 5.1 writes rotation metadata only on a stream copy: encode, then remux with the tag.
            var plain = await GenerateAsync(spec with { Rotation = 0 });
            await RunFfmpegAsync(["-i", plain, "-map", "0", "-c", "copy", "-metadata:s:v", string.Create(CultureInfo.InvariantCulture, $"rotate={spec.Rotation}"), path]);
        });
    }

    /// <summary>The ffmpeg arguments for a spec without rotation (without the executable).</summary>
    public static IReadOnlyList<string> GenerateArguments(ClipSpec spec, string path)
    {
        var seconds = spec.Seconds.ToString("0.###", CultureInfo.InvariantCulture);
        var args = new List<string>
        {
            "-f", "lavfi", "-i", string.Create(CultureInfo.InvariantCulture, $"testsrc2=size={spec.Width}x{spec.Height}:rate={spec.FrameRate}:duration={seconds}"),
        };
        if (spec.Audio)
        {
            args.AddRange(["-f", "lavfi", "-i", $"sine=frequency=440:sample_rate=48000:duration={seconds}", "-ac", "2", "-c:a", "aac", "-b:a", "96k"]);
        }

        args.AddRange(["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-shortest"]);
        args.Add(path);
        return args;
    }

    /// <summary>Runs ffmpeg (<c>-y -v error</c> prepended) and throws with its stderr when it fails.</summary>
    public static async Task RunFfmpegAsync(IReadOnlyList<string> arguments, CancellationToken cancellationToken = default)
    {
        var (exitCode, _, stderr) = await RunAsync(FfmpegPath, ["-hide_banner", "-nostdin", "-y", "-v", "error", .. arguments], cancellationToken);
        if (exitCode != 0)
        {
            throw new InvalidOperationException($"ffmpeg {string.Join(' ', arguments)} failed ({exitCode}): {stderr}");
        }
    }

    /// <summary>Runs a tool to its exit and returns its exit code, stdout and stderr.</summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string fileName, IReadOnlyList<string> arguments, CancellationToken cancellationToken = default)
    {
        var psi = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            psi.ArgumentList.Add(argument);
        }

        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"{fileName} did not start.");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        try
        {
            await process.WaitForExitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return (process.ExitCode, await stdout, await stderr);
    }

    private Task<string> CachedAsync(string name, Func<string, Task> create) =>
        _cache.GetOrAdd(name, n => new Lazy<Task<string>>(async () =>
        {
            var path = Path.Combine(Root, n);
            var temp = Path.Combine(Root, "tmp-" + Guid.NewGuid().ToString("N") + Path.GetExtension(n));
            await create(temp);
            File.Move(temp, path, overwrite: true);
            return path;
        })).Value;
}
