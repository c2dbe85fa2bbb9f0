using System.Diagnostics;
using System.Globalization;

namespace Serverless.Ladder.Benchmarks;

/// <summary>One source clip of the set.</summary>
internal sealed record Clip(string Name, string Path, string Kind);

/// <summary>
/// The clip set: generated clips spanning complexity (ffmpeg's lavfi sources, 1280x720 30 fps with a tone, encoded nearly
/// losslessly so they are the reference the SSIM is measured against), and the real clips found in Debian packages, fetched
/// with <c>apt-get download</c> into <c>.local/ladder-clips</c> (unpacked, never installed) when apt-get is there.
/// </summary>
internal static class Clips
{
    private const string Size = "1280x720";

    /// <summary>Debian packages that carry real recordings, and the files of theirs the set uses.</summary>
    private static readonly (string Package, string File, string Kind)[] Real =
    [
        ("forensics-samples-files", "usr/share/forensics-samples/original-files/movie1/VID_20191220_170832.mp4", "phone camera, 1080p"),
        ("forensics-samples-files", "usr/share/forensics-samples/original-files/movie2/movie-hello.mp4", "camera, 720p"),
        ("python3-mecavideo", "usr/share/pymecavideo/data/video/balle-jbart.mp4", "physics lab camera, 720x576"),
        ("python3-mecavideo", "usr/share/pymecavideo/data/video/retroMars2018.avi", "astronomy animation, 1024x768"),
        ("janus-demos", "usr/share/janus/demos/surround/ChID-BLITS-EBU.mp4", "broadcast ident, 800x600"),
        ("gnome-user-docs", "usr/share/help/C/gnome-help/figures/display-dual-monitors.webm", "screen recording, 1024x768"),
    ];

    public static async Task<IReadOnlyList<Clip>> GenerateAsync(string folder, double seconds)
    {
        var d = seconds.ToString("0.###", CultureInfo.InvariantCulture);
        var text = Path.Combine(folder, "page.txt");
        await File.WriteAllLinesAsync(text, Enumerable.Range(1, 80).Select(i =>
            $"{i,3}  public async Task<Result> Handle{i}(Request request) => await _service.RunAsync(request, token);"));
        var still = Path.Combine(folder, "still.png");
        var wide = Path.Combine(folder, "wide.png");
        await FfmpegAsync(["-f", "lavfi", "-i", $"mandelbrot=s={Size}:start_scale=0.6", "-frames:v", "1", still]);
        await FfmpegAsync(["-f", "lavfi", "-i", "mandelbrot=s=2560x720:start_scale=0.9", "-frames:v", "1", wide]);

        (string Name, string Kind, string[] Video, string Filter)[] generated =
        [
            ("still", "a still picture", ["-loop", "1", "-framerate", "30", "-t", d, "-i", still], "null"),
            ("pan", "a slow pan over a still", ["-loop", "1", "-framerate", "30", "-t", d, "-i", wide], "crop=1280:720:x='t*40':y=0"),
            ("text-scroll", "a screen of text scrolling", ["-f", "lavfi", "-i", $"color=c=white:s={Size}:r=30:d={d},drawtext=textfile='{text}':fontsize=22:line_spacing=6:x=40:y='40-t*60':fontcolor=black"], "null"),
            ("testsrc2", "ffmpeg's moving test pattern", ["-f", "lavfi", "-i", $"testsrc2=s={Size}:r=30:d={d}"], "null"),
            ("mandelbrot", "a zoom into the Mandelbrot set", ["-f", "lavfi", "-i", $"mandelbrot=s={Size}:r=30,trim=duration={d}"], "null"),
            ("life", "Conway's life, noisy", ["-f", "lavfi", "-i", $"life=s={Size}:r=30:mold=10:ratio=0.1:death_color=#C83232:life_color=#00ff00,trim=duration={d}"], "null"),
            ("grain", "the test pattern under film grain", ["-f", "lavfi", "-i", $"testsrc2=s={Size}:r=30:d={d},noise=alls=20:allf=t"], "null"),
        ];

        var clips = new List<Clip>();
        foreach (var (name, kind, video, filter) in generated)
        {
            var path = Path.Combine(folder, name + ".mp4");
            await FfmpegAsync(
            [
                .. video, "-f", "lavfi", "-i", $"sine=frequency=440:sample_rate=48000:duration={d}",
                "-map", "0:v", "-map", "1:a", "-vf", filter, "-t", d, "-c:v", "libx264", "-preset", "veryfast", "-crf", "8", "-pix_fmt", "yuv420p",
                "-c:a", "aac", "-b:a", "128k", path,
            ]);
            clips.Add(new Clip(name, path, kind));
        }

        return clips;
    }

    /// <summary>The real clips, fetched once into <paramref name="cache"/>; none (with the reason on stderr) without apt-get.</summary>
    public static async Task<IReadOnlyList<Clip>> RealAsync(string cache)
    {
        Directory.CreateDirectory(cache);
        var clips = new List<Clip>();
        foreach (var package in Real.Select(r => r.Package).Distinct())
        {
            var unpacked = Path.Combine(cache, package);
            if (!Directory.Exists(unpacked))
            {
                if (Serverless.Testing.LocalTools.OnPath("apt-get") is null || Serverless.Testing.LocalTools.OnPath("dpkg-deb") is null)
                {
                    await Console.Error.WriteLineAsync($"Real clips skipped: apt-get/dpkg-deb not found to fetch {package}.");
                    continue;
                }

                var download = Path.Combine(cache, "download");
                Directory.CreateDirectory(download);
                if (await RunAsync("apt-get", ["download", "-q", package], download) != 0)
                {
                    await Console.Error.WriteLineAsync($"Real clips skipped: apt-get download {package} failed.");
                    continue;
                }

                var deb = Directory.GetFiles(download, package + "_*.deb").Single();
                await RunAsync("dpkg-deb", ["-x", deb, unpacked], download);
                File.Delete(deb);
            }

            foreach (var (_, file, kind) in Real.Where(r => r.Package == package))
            {
                var path = Path.Combine(unpacked, file);
                if (File.Exists(path))
                {
                    clips.Add(new Clip(Path.GetFileNameWithoutExtension(path), path, kind));
                }
            }
        }

        return clips;
    }

    private static async Task FfmpegAsync(string[] args)
    {
        if (await RunAsync("ffmpeg", ["-hide_banner", "-nostdin", "-v", "error", "-y", .. args], null) != 0)
        {
            throw new InvalidOperationException("ffmpeg failed: " + string.Join(' ', args));
        }
    }

    private static async Task<int> RunAsync(string file, string[] args, string? directory)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = directory ?? string.Empty };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        var error = await stderr;
        await stdout;
        if (process.ExitCode != 0)
        {
            await Console.Error.WriteLineAsync(error.Trim());
        }

        return process.ExitCode;
    }
}
