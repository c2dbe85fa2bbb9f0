using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Serverless.Ladder.Benchmarks;
using Serverless.Media;

// The per-title ladder against the fixed one (issue 33), side by side in one run, through the app's own code: the probe, the
// ladder planner (its analysis counted in the per-title encode time) and the one-pass HLS transcoder, with the app's default
// media settings. Per clip and rung it prints bytes, SSIM against the source scaled to the rung's size, and each encode's wall
// and CPU time (ffmpeg's, read from this process's reaped children). A rung the per-title ladder leaves out is measured as
// what a player shows instead: the kept rung below, scaled up to that size.
// Targets: at least 25 % fewer bytes over the set, no rung's SSIM more than 0.005 below the fixed ladder's, encode CPU at most
// 10 % more.
//
// dotnet run -c Release --project tests/Serverless.Ladder.Benchmarks [-- --seconds 15] [--runs 1] [--no-real-clips]
if (Serverless.Testing.LocalTools.Missing("ffmpeg", "ffprobe") is { } missing)
{
    Console.Error.WriteLine(missing);
    return 1;
}

var seconds = Option("--seconds", 15.0);
var runs = (int)Option("--runs", 1.0);
var work = Directory.CreateTempSubdirectory("ladder-bench-").FullName;
try
{
    var builder = Host.CreateApplicationBuilder();
    builder.Logging.ClearProviders();
    var plans = new PlanLog();
    builder.Logging.AddProvider(plans);
    builder.Configuration["Media:WorkDirectory"] = Path.Combine(work, "media");
    builder.AddMedia();
    using var host = builder.Build();
    var probe = host.Services.GetRequiredService<IMediaProbe>();
    var planner = host.Services.GetRequiredService<ILadderPlanner>();
    var transcoder = host.Services.GetRequiredService<IHlsTranscoder>();
    var mediaOptions = host.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<MediaOptions>>().Value;

    Console.WriteLine($"Generating the clip set ({seconds:0.#} s each)...");
    var clips = new List<Clip>(await Clips.GenerateAsync(work, seconds));
    if (!args.Contains("--no-real-clips"))
    {
        clips.AddRange(await Clips.RealAsync(Path.Combine(RepositoryRoot(), ".local", "ladder-clips")));
    }

    var rows = new List<Row>();
    var planned = new Dictionary<string, string>();
    var times = new List<(string Clip, string Ladder, double Wall, double Cpu)>();
    foreach (var clip in clips)
    {
        var source = await probe.ProbeAsync(clip.Path, default);
        var outputs = new Dictionary<string, IReadOnlyList<RenditionOutput>>();
        for (var run = 0; run < runs; run++)
        {
            // Alternate which goes first, so neither always meets a warmer (or busier) machine.
            foreach (var perTitle in run % 2 == 0 ? new[] { false, true } : [true, false])
            {
                var name = perTitle ? "per-title" : "fixed";
                var output = Path.Combine(work, clip.Name, name);
                if (Directory.Exists(output))
                {
                    Directory.Delete(output, recursive: true);
                }

                var cpuBefore = ChildrenCpuSeconds();
                var watch = Stopwatch.StartNew();
                plans.Clear();
                var ladder = perTitle ? await planner.PlanAsync(clip.Path, source, default) : LadderPlanner.Plan(source, mediaOptions);
                if (perTitle)
                {
                    planned[clip.Name] = plans.Last ?? $"no look taken ({source.DurationSeconds:0.0} s, under Media__PerTitleMinSeconds {mediaOptions.PerTitleMinSeconds:0.#} s): the fixed ladder";
                }

                var result = await transcoder.TranscodeAsync(new TranscodeRequest(clip.Path, output, source, ladder, mediaOptions.SegmentFormat), null, null, default);
                times.Add((clip.Name, name, watch.Elapsed.TotalSeconds, ChildrenCpuSeconds() - cpuBefore));
                outputs[name] = result.Renditions;
            }
        }

        foreach (var rung in outputs["fixed"])
        {
            var fixedBytes = Bytes(rung);
            var fixedSsim = await SsimAsync(rung.PlaylistPath, clip.Path, rung.Rendition.Width, rung.Rendition.Height);
            var same = outputs["per-title"].FirstOrDefault(r => r.Rendition.Name == rung.Rendition.Name);
            var shown = same ?? outputs["per-title"].Where(r => r.Rendition.Height * r.Rendition.Width < rung.Rendition.Height * rung.Rendition.Width).Last();
            var perTitleSsim = await SsimAsync(shown.PlaylistPath, clip.Path, rung.Rendition.Width, rung.Rendition.Height);
            rows.Add(new Row(clip, rung.Rendition.Name, fixedBytes, same is null ? 0 : Bytes(same), fixedSsim, perTitleSsim,
                same is null ? $"left out: {shown.Rendition.Name} shown" : same.Rendition.Crf is { } crf ? $"crf {crf} <= {same.Rendition.MaxRateKbps}k" : $"{same.Rendition.VideoBitrateKbps}k as fixed"));
        }
    }

    Console.WriteLine();
    Console.WriteLine($"{"clip",-26} {"rung",-6} {"fixed KB",10} {"per-title KB",13} {"saved",7} {"SSIM fixed",11} {"per-title",10} {"delta",8}  per-title rung");
    foreach (var r in rows)
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{r.Clip.Name,-26} {r.Rung,-6} {r.FixedBytes / 1024.0,10:0} {r.PerTitleBytes / 1024.0,13:0} {Saved(r.FixedBytes, r.PerTitleBytes),7:P0} {r.FixedSsim,11:0.0000} {r.PerTitleSsim,10:0.0000} {r.PerTitleSsim - r.FixedSsim,8:+0.0000;-0.0000}  {r.Note}"));
    }

    Console.WriteLine();
    Console.WriteLine($"{"clip",-26} {"kind",-34} {"fixed KB",10} {"per-title KB",13} {"saved",7} {"wall fixed",11} {"per-title",10} {"cpu fixed",10} {"per-title",10}");
    foreach (var clip in clips)
    {
        var clipRows = rows.Where(r => r.Clip == clip).ToList();
        var f = clipRows.Sum(r => r.FixedBytes);
        var p = clipRows.Sum(r => r.PerTitleBytes);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{clip.Name,-26} {clip.Kind,-34} {f / 1024.0,10:0} {p / 1024.0,13:0} {Saved(f, p),7:P0} {Median(clip, "fixed", t => t.Wall),10:0.00}s {Median(clip, "per-title", t => t.Wall),9:0.00}s {Median(clip, "fixed", t => t.Cpu),9:0.0}s {Median(clip, "per-title", t => t.Cpu),9:0.0}s"));
    }

    Console.WriteLine();
    foreach (var clip in clips)
    {
        Console.WriteLine($"{clip.Name}: {planned[clip.Name]}");
    }

    var totalFixed = rows.Sum(r => r.FixedBytes);
    var totalPerTitle = rows.Sum(r => r.PerTitleBytes);
    var worst = rows.MinBy(r => r.PerTitleSsim - r.FixedSsim)!;
    var cpuFixed = clips.Sum(c => Median(c, "fixed", t => t.Cpu));
    var cpuPerTitle = clips.Sum(c => Median(c, "per-title", t => t.Cpu));
    var wallFixed = clips.Sum(c => Median(c, "fixed", t => t.Wall));
    var wallPerTitle = clips.Sum(c => Median(c, "per-title", t => t.Wall));
    Console.WriteLine();
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"bytes: {totalPerTitle / 1048576.0:0.00} MB per-title vs {totalFixed / 1048576.0:0.00} MB fixed over {clips.Count} clips = {Saved(totalFixed, totalPerTitle):P1} fewer (target >= 25 %)"));
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"SSIM: largest drop {worst.FixedSsim - worst.PerTitleSsim:0.0000} ({worst.Clip.Name} {worst.Rung}) (target <= 0.005)"));
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"encode (analysis included), medians of {runs} run(s) summed over the set: CPU {cpuPerTitle:0.0} s vs {cpuFixed:0.0} s = {cpuPerTitle / cpuFixed:0.000}x, wall {wallPerTitle:0.0} s vs {wallFixed:0.0} s = {wallPerTitle / wallFixed:0.000}x (target <= 1.10x); load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]} on {Environment.ProcessorCount} cores"));
    return 0;

    double Median(Clip clip, string ladder, Func<(string Clip, string Ladder, double Wall, double Cpu), double> value)
    {
        var sorted = times.Where(t => t.Clip == clip.Name && t.Ladder == ladder).Select(value).Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }
}
finally
{
    if (Environment.GetEnvironmentVariable("KEEP") == "1")
    {
        Console.Error.WriteLine($"kept: {work}");
    }
    else
    {
        Directory.Delete(work, recursive: true);
    }
}

double Option(string name, double fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? double.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
}

static double Saved(long before, long after) => before == 0 ? 0 : 1 - ((double)after / before);

static long Bytes(RenditionOutput rendition) => rendition.Files.Where(f => !f.EndsWith(".m3u8", StringComparison.Ordinal)).Sum(f => new FileInfo(f).Length);

// user + system time of the children this process has waited for (/proc/self/stat fields 16 and 17, in clock ticks of 1/100 s).
static double ChildrenCpuSeconds()
{
    var stat = File.ReadAllText("/proc/self/stat");
    var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
    return (long.Parse(fields[13], CultureInfo.InvariantCulture) + long.Parse(fields[14], CultureInfo.InvariantCulture)) / 100.0;
}

static async Task<double> SsimAsync(string playlist, string source, int width, int height)
{
    var info = new ProcessStartInfo("ffmpeg") { RedirectStandardError = true, RedirectStandardOutput = true };
    foreach (var a in new[]
    {
        "-hide_banner", "-nostdin", "-i", playlist, "-i", source, "-lavfi",
        $"[0:v]scale={width}:{height}:flags=bicubic,setsar=1,setpts=PTS-STARTPTS[dist];[1:v]scale={width}:{height}:flags=bicubic,setsar=1,setpts=PTS-STARTPTS[ref];[dist][ref]ssim",
        "-f", "null", "-",
    })
    {
        info.ArgumentList.Add(a);
    }

    using var process = Process.Start(info)!;
    var stdout = process.StandardOutput.ReadToEndAsync();
    var log = await process.StandardError.ReadToEndAsync();
    await process.WaitForExitAsync();
    await stdout;
    var match = Regex.Match(log, @"SSIM .*All:([0-9.]+)");
    return match.Success ? double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : throw new InvalidOperationException("No SSIM: " + log[^Math.Min(500, log.Length)..]);
}

static string RepositoryRoot()
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
    {
        if (File.Exists(Path.Combine(dir.FullName, "Serverless.sln")))
        {
            return dir.FullName;
        }
    }

    throw new InvalidOperationException("Run from the repository.");
}

/// <summary>Keeps the planner's last message (it says what the analysis measured and what it chose).</summary>
internal sealed class PlanLog : ILoggerProvider, ILogger
{
    public string? Last { get; private set; }

    public void Clear() => Last = null;

    public ILogger CreateLogger(string categoryName) => categoryName.EndsWith("PerTitleLadderPlanner", StringComparison.Ordinal) ? this : Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        Last = formatter(state, exception);

    public void Dispose()
    {
    }
}

internal sealed record Row(Clip Clip, string Rung, long FixedBytes, long PerTitleBytes, double FixedSsim, double PerTitleSsim, string Note);
