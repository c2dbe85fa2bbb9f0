using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Serverless.Media.Processes;

namespace Serverless.Media.Transcoding;

/// <summary>
/// Plans the ladder for one source: the fixed ladder (<see cref="LadderPlanner"/>), made per-title (<see cref="PerTitleLadder"/>)
/// from one short ffmpeg run over a few windows of the source when <see cref="MediaOptions.PerTitleLadder"/> is on and the clip is
/// at least <see cref="MediaOptions.PerTitleMinSeconds"/> long.
/// </summary>
/// <remarks>
/// The run reads only the windows (input seeking to the keyframe before each, the upload's own protocol and container whitelists as every run on user bytes),
/// encodes the lowest rung's chain at the per-title quality with the transcode's preset and keyframe interval into a raw H.264
/// file whose size is the sample's cost, and, on two frames a second, measures each pair of rungs' round-trip SSIM (ffmpeg's
/// <c>ssim</c> filter summaries, named per pair). It costs about a seventh of the sample's share of the transcode. A run that
/// fails (a window ffmpeg cannot decode, say) leaves the fixed ladder: the transcode itself then decides whether the source is
/// bad; cancellation is not swallowed.
/// </remarks>
internal sealed partial class PerTitleLadderPlanner(
    MediaProcessRunner runner,
    IOptions<MediaOptions> options,
    ILogger<PerTitleLadderPlanner> logger) : ILadderPlanner
{
    /// <summary>The transcode's keyframe interval (<see cref="TranscodeRequest"/>'s default): one sample window is one GOP.</summary>
    internal const double KeyframeIntervalSeconds = 2;

    /// <summary>The top rung's sample: the first second of the first window (its keyframe weighs more there than in a whole
    /// interval, so the estimate errs high, towards the fixed rate).</summary>
    internal const double TopSampleSeconds = 1;

    private const string SampleFileName = "sample.h264";
    private const string TopSampleFileName = "sample-top.h264";

    public async Task<IReadOnlyList<Rendition>> PlanAsync(string input, MediaInfo source, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var ladder = LadderPlanner.Plan(source, settings);
        if (!settings.PerTitleLadder || !(source.DurationSeconds >= settings.PerTitleMinSeconds))
        {
            return ladder;
        }

        var work = Path.Combine(settings.ResolveWorkDirectory(), "ladder-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(work);
        try
        {
            var started = Stopwatch.GetTimestamp();
            var windows = PerTitleLadder.SampleWindows(source.DurationSeconds, KeyframeIntervalSeconds);
            var sample = Path.Combine(work, SampleFileName);
            var topSample = Path.Combine(work, TopSampleFileName);
            var arguments = Arguments(input, source, ladder, windows, settings.Preset, settings.PerTitleCrf, sample, topSample);
            var outcome = await runner.RunAsync(
                new ProcessInvocation(settings.FfmpegPath, arguments, TimeSpan.FromSeconds(settings.ProbeTimeoutSeconds)),
                cancellationToken).ConfigureAwait(false);
            var top = ladder.Count > 1 ? new FileInfo(topSample) : null;
            if (outcome.ExitCode != 0 || new FileInfo(sample) is not { Exists: true, Length: > 0 } file || top is { Exists: false } or { Length: 0 })
            {
                LogAnalysisFailed(logger, outcome.ExitCode, Probing.FfprobeMediaProbe.LastLine(outcome.StderrTail));
                return ladder;
            }

            var analysis = new LadderAnalysis(
                windows.Sum(w => w.Length), file.Length, top is null ? 0 : Math.Min(TopSampleSeconds, windows[0].Length), top?.Length ?? 0,
                ParseSimilarities(outcome.StderrTail));
            var planned = PerTitleLadder.Apply(ladder, analysis, settings.PerTitleCrf);
            LogPlanned(logger, analysis.SampleKbps, ladder[0].VideoBitrateKbps, analysis.TopSampleKbps, ladder[^1].VideoBitrateKbps,
                analysis.ToString(), PerTitleLadder.Describe(planned), Stopwatch.GetElapsedTime(started).TotalSeconds);
            return planned;
        }
        catch (FfmpegException ex) when (!cancellationToken.IsCancellationRequested)
        {
            LogAnalysisFailed(logger, ex.ExitCode, ex.Message);
            return ladder;
        }
        finally
        {
            try
            {
                Directory.Delete(work, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    /// <summary>
    /// The analysis run: one input per window (seeked, cut to the window), concatenated; one branch encodes the lowest rung to
    /// <paramref name="samplePath"/>, one the top rung's first <see cref="TopSampleSeconds"/> to <paramref name="topSamplePath"/>
    /// (when there are two rungs or more), the last feeds a <c>ssim@p{lower}_{upper}</c> per pair of rungs. Pure.
    /// </summary>
    internal static IReadOnlyList<string> Arguments(
        string input, MediaInfo source, IReadOnlyList<Rendition> ladder, IReadOnlyList<(double Start, double Length)> windows,
        string preset, int crf, string samplePath, string topSamplePath)
    {
        // The summaries are logged at info level: ask for info, but keep x264's own report out of the captured tail.
        var args = new List<string> { "-hide_banner", "-nostats", "-v", "info", "-y" };
        foreach (var (start, length) in windows)
        {
            // From the keyframe at or before the window's start: nothing is decoded only to be thrown away (a screen recording's
            // keyframes can be many seconds apart), and the sample starts where the source's own GOP does.
            args.AddRange(["-ss", HlsArguments.Number(start), "-noaccurate_seek", "-t", HlsArguments.Number(length)]);
            args.AddRange(MediaInput.Source(input));
        }

        var pairs = new List<(int Lower, int Upper)>();
        for (var upper = 1; upper < ladder.Count; upper++)
        {
            for (var lower = 0; lower < upper; lower++)
            {
                pairs.Add((lower, upper));
            }
        }

        var graph = new StringBuilder();
        // Each window from 0 (a seek to a keyframe keeps the source's timestamps, shifted by the window's start), then one after another.
        for (var k = 0; k < windows.Count; k++)
        {
            graph.Append(CultureInfo.InvariantCulture, $"[{k}:v:0]setpts=PTS-STARTPTS[w{k}];");
        }

        for (var k = 0; k < windows.Count; k++)
        {
            graph.Append(CultureInfo.InvariantCulture, $"[w{k}]");
        }

        graph.Append(CultureInfo.InvariantCulture, $"concat=n={windows.Count}:v=1:a=0,split={(pairs.Count == 0 ? 1 : 3)}[enc]");
        if (pairs.Count > 0)
        {
            graph.Append(CultureInfo.InvariantCulture, $"[top][cmp];[cmp]fps=2,split={pairs.Count * 2}");
            for (var p = 0; p < pairs.Count * 2; p++)
            {
                graph.Append(CultureInfo.InvariantCulture, $"[c{p}]");
            }

            for (var p = 0; p < pairs.Count; p++)
            {
                var (lower, upper) = pairs[p];
                var up = ladder[upper];
                var low = ladder[lower];
                graph.Append(CultureInfo.InvariantCulture, $";[c{2 * p}]scale=w={up.Width}:h={up.Height}:flags=bicubic,setsar=1[r{p}]");
                graph.Append(CultureInfo.InvariantCulture,
                    $";[c{(2 * p) + 1}]scale=w={low.Width}:h={low.Height}:flags=bicubic,scale=w={up.Width}:h={up.Height}:flags=bicubic,setsar=1[d{p}]");
                graph.Append(CultureInfo.InvariantCulture, $";[d{p}][r{p}]ssim@p{lower}_{upper}[o{p}];[o{p}]nullsink");
            }
        }

        graph.Append(";[enc]");
        HlsArguments.AppendChain(graph, ladder[0]);
        graph.Append("[v]");
        if (pairs.Count > 0)
        {
            graph.Append(CultureInfo.InvariantCulture, $";[top]trim=duration={HlsArguments.Number(TopSampleSeconds)},setpts=PTS-STARTPTS,");
            HlsArguments.AppendChain(graph, ladder[^1]);
            graph.Append("[vt]");
        }

        args.AddRange(["-filter_complex", graph.ToString()]);
        args.AddRange(SampleOutput("[v]", ladder[0], preset, crf, samplePath));
        if (pairs.Count > 0)
        {
            args.AddRange(SampleOutput("[vt]", ladder[^1], preset, crf, topSamplePath));
        }

        return args;
    }

    /// <summary>A rung's sample, encoded as the transcode would at constant quality: raw H.264, so its size is the video's alone.</summary>
    private static string[] SampleOutput(string label, Rendition rung, string preset, int crf, string path) =>
    [
        "-map", label, "-an",
        "-c:v", "libx264", "-preset", preset, "-profile:v", "high", "-pix_fmt", "yuv420p",
        "-crf", crf.ToString(CultureInfo.InvariantCulture),
        "-maxrate", string.Create(CultureInfo.InvariantCulture, $"{rung.MaxRateKbps}k"),
        "-bufsize", string.Create(CultureInfo.InvariantCulture, $"{rung.BufferSizeKbits}k"),
        "-sc_threshold", "0",
        "-force_key_frames:v", string.Create(CultureInfo.InvariantCulture, $"expr:gte(t,n_forced*{HlsArguments.Number(KeyframeIntervalSeconds)})"),
        "-x264-params", "log=-1",
        "-f", "h264", "file:" + Path.GetFullPath(path),
    ];

    /// <summary>
    /// Reads the <c>[ssim@pL_U @ 0x…] SSIM … All:0.99…</c> summaries out of ffmpeg's log: only whole lines, and the last one per
    /// pair (the filters print theirs at the end; text an upload carries, such as a metadata value, comes earlier and is indented).
    /// </summary>
    internal static IReadOnlyList<RungSimilarity> ParseSimilarities(string log) =>
        [.. SsimSummary().Matches(log)
            .Select(m => new RungSimilarity(
                int.Parse(m.Groups["lower"].Value, CultureInfo.InvariantCulture),
                int.Parse(m.Groups["upper"].Value, CultureInfo.InvariantCulture),
                double.Parse(m.Groups["all"].Value, CultureInfo.InvariantCulture)))
            .GroupBy(s => (s.Lower, s.Upper))
            .Select(g => g.Last())];

    [GeneratedRegex(@"^\[ssim@p(?<lower>\d+)_(?<upper>\d+) @ [^\]]*\] SSIM [^\n]*?All:(?<all>[0-9.]+)", RegexOptions.Multiline)]
    private static partial Regex SsimSummary();

    [LoggerMessage(EventId = 320, Level = LogLevel.Information,
        Message = "Per-title ladder: at constant quality the lowest rung needs {SampleKbps:0} kbit/s (fixed {FixedKbps}), the top {TopKbps:0} (fixed {TopFixedKbps}); round trips {Similarities}: {Ladder}; planned in {ElapsedSeconds:0.00} s")]
    private static partial void LogPlanned(ILogger logger, double sampleKbps, int fixedKbps, double topKbps, int topFixedKbps, string similarities, string ladder, double elapsedSeconds);

    [LoggerMessage(EventId = 321, Level = LogLevel.Warning, Message = "Per-title analysis failed (exit {ExitCode}: {Reason}); the fixed ladder is used")]
    private static partial void LogAnalysisFailed(ILogger logger, int? exitCode, string reason);
}
