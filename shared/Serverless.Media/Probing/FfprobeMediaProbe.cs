using Microsoft.Extensions.Options;
using Serverless.Media.Processes;

namespace Serverless.Media.Probing;

/// <summary>Probes with ffprobe, maps bad input to <see cref="MediaRejectedException"/> and process failures to <see cref="FfmpegException"/>.</summary>
internal sealed class FfprobeMediaProbe(MediaProcessRunner runner, IOptions<MediaOptions> options) : IMediaProbe
{
    /// <summary>What ffmpeg and ffprobe say when an input's format is not on the <c>-format_whitelist</c>.</summary>
    internal const string FormatRefusedMarker = "Format not on whitelist";

    /// <summary>ffprobe's messages for input that is not (complete) media; retrying will not change them.</summary>
    private static readonly (string Marker, string Reason)[] BadInputMarkers =
    [
        ("moov atom not found", "The MP4 file is incomplete (its index is missing; the upload was probably truncated)."),
        ("Invalid data found when processing input", "The file is not a video that can be read (invalid data)."),
        ("could not find codec parameters", "The file's streams cannot be decoded."),
        ("Format mp4 detected only with low score", "The file is not a valid MP4."),
    ];

    /// <summary>Probes an upload: only its own bytes are read (<see cref="MediaInput.Source"/>), and only a real video container is taken.</summary>
    public async Task<MediaInfo> ProbeAsync(string input, CancellationToken cancellationToken)
    {
        var info = (await ProbeReportAsync(input, untrusted: true, cancellationToken).ConfigureAwait(false)).Info;
        return SourceFormats.IsAccepted(info.FormatName) ? info : throw new MediaRejectedException(SourceFormats.Refusal(info.FormatName));
    }

    /// <param name="untrusted">The input is an upload (user bytes): held to <see cref="MediaInput.Source"/>.</param>
    internal static IReadOnlyList<string> BuildArguments(string input, bool untrusted) =>
        ["-hide_banner", "-v", "error", "-print_format", "json", "-show_format", "-show_streams", .. untrusted ? MediaInput.Source(input) : MediaInput.Arguments(input)];

    /// <summary>
    /// The presentation time of the first video packet of a local file (an HLS segment); with <paramref name="initSegment"/>
    /// (fMP4) the two are read as one stream. Null when the file has no video packet.
    /// </summary>
    internal async Task<double?> FirstVideoPacketTimeAsync(string path, string? initSegment, CancellationToken cancellationToken)
    {
        var input = initSegment is null ? "file:" + Path.GetFullPath(path) : $"concat:{Path.GetFullPath(initSegment)}|{Path.GetFullPath(path)}";
        string[] arguments = ["-hide_banner", "-v", "error", "-select_streams", "v:0", "-show_entries", "packet=pts_time", "-read_intervals", "%+#1", "-of", "csv=p=0", "-i", input];
        var outcome = await runner.RunAsync(
            new ProcessInvocation(options.Value.FfprobePath, arguments, TimeSpan.FromSeconds(options.Value.ProbeTimeoutSeconds), CaptureStandardOutput: true, GracefulStop: false),
            cancellationToken).ConfigureAwait(false);
        if (outcome.ExitCode != 0)
        {
            throw new FfmpegException($"ffprobe exited with code {outcome.ExitCode}: {LastLine(outcome.StderrTail)}", outcome.ExitCode, outcome.StderrTail, arguments, timedOut: false);
        }

        var first = outcome.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault();
        return double.TryParse(first?.TrimEnd(','), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var pts) ? pts : null;
    }

    /// <summary>Probes one of the app's own outputs (an HLS playlist or segment it wrote).</summary>
    internal Task<ProbeReport> ProbeOutputAsync(string path, CancellationToken cancellationToken) =>
        ProbeReportAsync(path, untrusted: false, cancellationToken);

    private async Task<ProbeReport> ProbeReportAsync(string input, bool untrusted, CancellationToken cancellationToken)
    {
        if (!MediaInput.IsUrl(input) && new FileInfo(input) is { Exists: true, Length: 0 })
        {
            throw new MediaRejectedException("The file is empty (0 bytes).");
        }

        var settings = options.Value;
        var arguments = BuildArguments(input, untrusted);
        var outcome = await runner.RunAsync(
            new ProcessInvocation(settings.FfprobePath, arguments, TimeSpan.FromSeconds(settings.ProbeTimeoutSeconds), CaptureStandardOutput: true, GracefulStop: false),
            cancellationToken).ConfigureAwait(false);

        if (outcome.ExitCode != 0)
        {
            if (ClassifyBadInput(outcome.ExitCode, outcome.StderrTail) is { } reason)
            {
                throw new MediaRejectedException(reason);
            }

            throw new FfmpegException(
                $"ffprobe exited with code {outcome.ExitCode}: {LastLine(outcome.StderrTail)}", outcome.ExitCode, outcome.StderrTail, arguments, timedOut: false);
        }

        ProbeReport report;
        try
        {
            report = FfprobeJson.Parse(outcome.StandardOutput);
        }
        catch (FormatException ex)
        {
            throw new FfmpegException($"ffprobe returned unreadable output: {ex.Message}", outcome.ExitCode, outcome.StderrTail, arguments, timedOut: false, ex);
        }

        if (report.Info.Video is null && report.Info.Audio is null)
        {
            throw new MediaRejectedException(report.StreamCount == 0
                ? "The file contains no audio or video stream."
                : "The file contains no audio or video stream that can be used.");
        }

        return report;
    }

    /// <summary>A readable reason when ffprobe's failure means bad input; null when it may be transient (crash, kill, network). Pure.</summary>
    internal static string? ClassifyBadInput(int exitCode, string stderr)
    {
        // Killed by a signal (128 + n on Unix) or crashed: not the input's fault as far as we can tell.
        if (exitCode is < 0 or > 128)
        {
            return null;
        }

        // The input opened as a format outside the whitelist (MediaInput.Source): "[hls @ 0x…] Format not on whitelist 'mov,…'".
        if (stderr.Contains(FormatRefusedMarker, StringComparison.Ordinal))
        {
            var line = stderr.Split('\n').First(l => l.Contains(FormatRefusedMarker, StringComparison.Ordinal)).Trim();
            var demuxer = line.StartsWith('[') && line.IndexOf(" @ ", StringComparison.Ordinal) is > 1 and var at ? line[1..at] : null;
            return SourceFormats.Refusal(demuxer);
        }

        foreach (var (marker, reason) in BadInputMarkers)
        {
            if (stderr.Contains(marker, StringComparison.OrdinalIgnoreCase))
            {
                return reason;
            }
        }

        return null;
    }

    internal static string LastLine(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? "(no output)";
}
