using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Serverless.Media;
using Serverless.Storage;

namespace Serverless.Pipeline;

/// <summary>What an activity recorded; applied to the checkpoint by the runner.</summary>
public sealed record StepResult(
    MediaInfo? Source = null,
    IReadOnlyList<Rendition>? Ladder = null,
    IReadOnlyList<RenditionRecord>? Renditions = null,
    double? Progress = null,
    DateTimeOffset? ReadyAt = null)
{
    public PipelineState Apply(PipelineState state) => state with
    {
        Source = Source ?? state.Source,
        Ladder = Ladder ?? state.Ladder,
        Renditions = Renditions ?? state.Renditions,
    };

    public VideoRecord ApplyTo(VideoRecord video)
    {
        if (Source is { } source)
        {
            video = video with { DurationSeconds = source.DurationSeconds, Width = source.Video?.DisplayWidth, Height = source.Video?.DisplayHeight };
        }

        if (ReadyAt is { } ready && Renditions is { } renditions)
        {
            video = video with
            {
                Status = VideoStatus.Ready,
                ReadyAt = ready,
                Error = null,
                Renditions = renditions
                    .Select(r => new VideoRendition(r.Name, r.Width, r.Height, r.Bandwidth, r.AverageBandwidth, r.Codecs, r.FrameRate, MediaLayout.RenditionPlaylist(video.VideoId, r.Name)))
                    .ToList(),
            };
        }

        return video;
    }
}

/// <summary>The pipeline's activities: all I/O, each idempotent (deterministic output names; re-runs overwrite).</summary>
public interface IPipelineActivities
{
    /// <param name="progress">Reports the step's progress in percent.</param>
    Task<StepResult> RunAsync(PipelineStep step, VideoEntry entry, Action<double> progress, CancellationToken cancellationToken);
}

internal sealed partial class PipelineActivities(
    IBlobStore blobs,
    IBlobSasSigner signer,
    VideoRepository videos,
    IMediaProbe probe,
    IHlsTranscoder transcoder,
    IPosterExtractor posters,
    WorkArea workArea,
    IOptions<PipelineOptions> pipelineOptions,
    IOptions<MediaOptions> mediaOptions,
    TimeProvider time,
    ILogger<PipelineActivities> logger) : IPipelineActivities
{
    /// <summary>How long ffmpeg may read the source through its SAS URL.</summary>
    private static readonly TimeSpan SourceUrlLifetime = TimeSpan.FromHours(2);

    public Task<StepResult> RunAsync(PipelineStep step, VideoEntry entry, Action<double> progress, CancellationToken cancellationToken) => step switch
    {
        PipelineStep.ProbeSource => ProbeSourceAsync(entry, cancellationToken),
        PipelineStep.TranscodeLadder => TranscodeLadderAsync(entry, progress, cancellationToken),
        PipelineStep.PackageHls => PackageHlsAsync(entry, cancellationToken),
        PipelineStep.CreatePoster => CreatePosterAsync(entry, cancellationToken),
        PipelineStep.PublishVideo => PublishVideoAsync(entry, cancellationToken),
        _ => throw new ArgumentOutOfRangeException(nameof(step), step, "Unknown pipeline step."),
    };

    private async Task<StepResult> ProbeSourceAsync(VideoEntry entry, CancellationToken cancellationToken)
    {
        var videoId = entry.Video.VideoId;
        var blob = await blobs.GetInfoAsync(MediaLayout.UploadsContainer, MediaLayout.Source(videoId), cancellationToken).ConfigureAwait(false)
            ?? throw new MediaRejectedException("The upload is missing from storage.");
        if (blob.Length == 0)
        {
            throw new MediaRejectedException("The upload is empty (0 bytes).");
        }

        var limit = Math.Min(pipelineOptions.Value.MaxUploadBytes, mediaOptions.Value.MaxSourceBytes);
        if (blob.Length > limit)
        {
            throw new MediaRejectedException(string.Create(
                CultureInfo.InvariantCulture, $"The upload is {blob.Length} bytes; the limit is {limit} bytes."));
        }

        var info = await probe.ProbeAsync(SourceUrl(videoId), cancellationToken).ConfigureAwait(false);
        info = info with { SizeBytes = info.SizeBytes ?? blob.Length };
        if (SourcePolicy.Reject(info, mediaOptions.Value) is { } reason)
        {
            throw new MediaRejectedException(reason);
        }

        var ladder = LadderPlanner.Plan(info, mediaOptions.Value);
        LogProbed(videoId, info.DurationSeconds, info.Video?.DisplayWidth ?? 0, info.Video?.DisplayHeight ?? 0, string.Join(",", ladder.Select(r => r.Name)));
        return new StepResult(Source: info, Ladder: ladder);
    }

    private async Task<StepResult> TranscodeLadderAsync(VideoEntry entry, Action<double> progress, CancellationToken cancellationToken)
    {
        var videoId = entry.Video.VideoId;
        var state = entry.State ?? throw new InvalidOperationException("No pipeline state.");
        var source = state.Source ?? throw new InvalidOperationException("The source was not probed.");
        var ladder = state.Ladder ?? throw new InvalidOperationException("No ladder was planned.");
        using var work = workArea.Create(videoId);

        // Fail (and retry later) before ffmpeg fills the disk, which would also starve every other step on this instance.
        DiskSpace.EnsureAvailable(work.Path, DiskSpace.EstimateTranscodeBytes(source, ladder));
        var result = await transcoder.TranscodeAsync(
            new TranscodeRequest(SourceUrl(videoId), work.Path, source, ladder, mediaOptions.Value.SegmentFormat),
            new Progress<double>(p => progress(p * 95)),
            cancellationToken).ConfigureAwait(false);

        // A re-run may have fewer segments than an earlier attempt: clear the old outputs so no orphan remains.
        await blobs.DeletePrefixAsync(MediaLayout.Container, $"{videoId}/hls/", cancellationToken).ConfigureAwait(false);
        foreach (var rendition in result.Renditions)
        {
            var folder = MediaLayout.RenditionFolder(videoId, rendition.Rendition.Name);
            foreach (var file in rendition.Files.Where(f => !string.Equals(f, rendition.PlaylistPath, StringComparison.Ordinal)))
            {
                await UploadAsync(file, folder + Path.GetFileName(file), cancellationToken).ConfigureAwait(false);
            }

            // The playlist last: it only names segments that are already there.
            await UploadAsync(rendition.PlaylistPath, MediaLayout.RenditionPlaylist(videoId, rendition.Rendition.Name), cancellationToken).ConfigureAwait(false);
        }

        progress(100);
        var records = result.Renditions
            .Select(r => new RenditionRecord(r.Rendition.Name, r.Rendition.Width, r.Rendition.Height, r.PeakBandwidth, r.AverageBandwidth, r.Codecs, r.FrameRate))
            .ToList();
        return new StepResult(Renditions: records, Progress: 100);
    }

    private async Task<StepResult> PackageHlsAsync(VideoEntry entry, CancellationToken cancellationToken)
    {
        var videoId = entry.Video.VideoId;
        var state = entry.State ?? throw new InvalidOperationException("No pipeline state.");
        var renditions = state.Renditions ?? throw new InvalidOperationException("Nothing was transcoded.");
        var outputs = new List<RenditionOutput>();
        foreach (var rendition in renditions)
        {
            var name = MediaLayout.RenditionPlaylist(videoId, rendition.Name);
            var text = await blobs.ReadTextAsync(MediaLayout.Container, name, cancellationToken).ConfigureAwait(false)
                ?? throw new InvalidOperationException($"The playlist {name} is missing.");
            var problems = PlaylistValidator.Validate(HlsPlaylists.ParseMedia(text), state.Source?.DurationSeconds);
            if (problems.Count > 0)
            {
                throw new InvalidOperationException($"The {rendition.Name} playlist breaks the HLS rules: {string.Join("; ", problems)}");
            }

            var ladder = state.Ladder?.FirstOrDefault(r => r.Name == rendition.Name)
                ?? new Rendition(rendition.Name, rendition.Width, rendition.Height, 0, 0, 0, 0, string.Empty);
            outputs.Add(new RenditionOutput(ladder, name, [], rendition.Bandwidth, rendition.AverageBandwidth, rendition.Codecs, rendition.FrameRate));
        }

        var master = MasterPlaylist.Write(outputs, o => $"{o.Rendition.Name}/index.m3u8");
        using var content = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(master));
        await blobs.UploadAsync(MediaLayout.Container, MediaLayout.MasterPlaylist(videoId), content, new BlobWriteOptions(HlsContentTypes.Playlist, "no-cache"), cancellationToken)
            .ConfigureAwait(false);
        return new StepResult();
    }

    private async Task<StepResult> CreatePosterAsync(VideoEntry entry, CancellationToken cancellationToken)
    {
        var videoId = entry.Video.VideoId;
        var source = entry.State?.Source ?? throw new InvalidOperationException("The source was not probed.");
        using var work = workArea.Create(videoId);
        var path = Path.Combine(work.Path, "poster.jpg");
        await posters.ExtractAsync(SourceUrl(videoId), path, source, cancellationToken).ConfigureAwait(false);
        await blobs.UploadFileAsync(MediaLayout.Container, MediaLayout.Poster(videoId), path, new BlobWriteOptions("image/jpeg", "private, max-age=86400"), cancellationToken)
            .ConfigureAwait(false);
        return new StepResult();
    }

    private async Task<StepResult> PublishVideoAsync(VideoEntry entry, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var result = new StepResult(Renditions: entry.State?.Renditions ?? [], Progress: 100, ReadyAt: now);

        // The index first: listing filters on the row's status, so an index entry without a Ready row is never shown.
        await videos.AddToReadyIndexAsync(result.ApplyTo(entry.Video), cancellationToken).ConfigureAwait(false);
        return result;
    }

    private string SourceUrl(string videoId) =>
        signer.GetSasUri(MediaLayout.UploadsContainer, MediaLayout.Source(videoId), BlobSasPermissions.Read, time.GetUtcNow() + SourceUrlLifetime).AbsoluteUri;

    private Task UploadAsync(string path, string blobName, CancellationToken cancellationToken) =>
        blobs.UploadFileAsync(MediaLayout.Container, blobName, path, new BlobWriteOptions(HlsContentTypes.For(path), HlsContentTypes.CacheControlFor(path)), cancellationToken);

    [LoggerMessage(EventId = 220, Level = LogLevel.Information, Message = "Video {VideoId}: probed {Duration:F2} s {Width}x{Height}; ladder {Ladder}")]
    private partial void LogProbed(string videoId, double duration, int width, int height, string ladder);
}

/// <summary>Content types and cache headers of published HLS files.</summary>
public static class HlsContentTypes
{
    public const string Playlist = "application/vnd.apple.mpegurl";

    public static string For(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".m3u8" => Playlist,
        ".ts" => "video/mp2t",
        ".m4s" => "video/iso.segment",
        ".mp4" => "video/mp4",
        ".jpg" or ".jpeg" => "image/jpeg",
        _ => "application/octet-stream",
    };

    /// <summary>Segments never change once written (immutable); playlists are served signed by the app, never cached.</summary>
    public static string CacheControlFor(string path) =>
        For(path) == Playlist ? "no-cache" : "private, max-age=31536000, immutable";
}
