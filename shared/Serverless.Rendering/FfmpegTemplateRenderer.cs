using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Serverless.Media;
using Serverless.Media.Processes;
using Serverless.Media.Transcoding;

namespace Serverless.Rendering;

/// <summary>Renders a <see cref="RenderPlan"/> with the user's images into a video file.</summary>
public interface ITemplateRenderer
{
    /// <summary>Writes the video to <paramref name="output"/>, reporting the share of frames drawn.</summary>
    /// <param name="stream">Write uncompressed Matroska to be read as it is written (a named pipe) instead of an H.264/AAC MP4.</param>
    /// <exception cref="FfmpegException">ffmpeg failed or ran past the transcode budget; the output is removed.</exception>
    Task RenderAsync(RenderPlan plan, RenderInputs inputs, string output, IProgress<double>? progress, CancellationToken cancellationToken, bool stream = false);
}

/// <summary>
/// Draws a plan in one ffmpeg run (<see cref="RenderGraph"/>) with the transcoder's preset, into an H.264/AAC file at a
/// high quality (CRF <see cref="Crf"/>): the file is a mezzanine the ladder is cut from, like an upload. A run that fails
/// leaves no output behind, so nothing half-rendered can be taken for a video.
/// </summary>
internal sealed partial class FfmpegTemplateRenderer(
    MediaProcessRunner runner,
    IOptions<MediaOptions> options,
    ILogger<FfmpegTemplateRenderer> logger) : ITemplateRenderer
{
    /// <summary>Visually lossless for the ladder cut from it.</summary>
    public const int Crf = 18;

    public async Task RenderAsync(RenderPlan plan, RenderInputs inputs, string output, IProgress<double>? progress, CancellationToken cancellationToken, bool stream = false)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(inputs);
        var settings = options.Value;
        var arguments = RenderGraph.Arguments(plan, inputs, Path.GetFullPath(output), settings.Preset, Crf, stream);
        var reported = -1.0;
        void OnLine(string line)
        {
            if (FfmpegProgress.Parse(line, plan.DurationSeconds) is { } fraction && fraction > reported)
            {
                reported = fraction;
                progress?.Report(fraction);
            }
        }

        var started = Stopwatch.GetTimestamp();
        var succeeded = false;
        try
        {
            var outcome = await runner.RunAsync(
                new ProcessInvocation(settings.FfmpegPath, arguments, TimeSpan.FromSeconds(settings.TranscodeTimeoutSeconds), OnLine),
                cancellationToken).ConfigureAwait(false);
            if (outcome.ExitCode != 0)
            {
                throw new FfmpegException($"The render failed: ffmpeg exited with code {outcome.ExitCode}: {LastLine(outcome.StderrTail)}",
                    outcome.ExitCode, outcome.StderrTail, arguments, timedOut: false);
            }

            succeeded = true;
        }
        finally
        {
            if (!succeeded)
            {
                File.Delete(output);
            }
        }

        LogRendered(logger, plan.TemplateId, plan.ImageCount, plan.DurationSeconds, Stopwatch.GetElapsedTime(started).TotalSeconds);
    }

    private static string LastLine(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? string.Empty;

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Rendered template {TemplateId} with {ImageCount} images: {Duration:F2} s of video in {Elapsed:F1} s")]
    private static partial void LogRendered(ILogger logger, string templateId, int imageCount, double duration, double elapsed);
}
