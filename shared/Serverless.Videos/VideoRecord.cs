namespace Serverless.Videos;

/// <summary>Where a video is in its life: uploading, in the pipeline, waiting for a person's review, playable, rejected or failed with a reason.</summary>
public enum VideoStatus
{
    Uploading,
    Processing,
    Ready,
    Failed,

    /// <summary>Deleted by its owner: never shown or played again; its media is deleted.</summary>
    Deleted,

    /// <summary>Produced, but the content check needs a person (WeChat asked for one, or its verdict did not come in time): in the operators' queue; only its owner may watch it.</summary>
    InReview,

    /// <summary>The content check found it risky (or an operator rejected it): never playable; its media is kept for an appeal; <see cref="VideoRecord.Error"/> says why.</summary>
    Rejected,
}

/// <summary>One published rendition of a Ready video.</summary>
/// <param name="PlaylistPath">Blob name of its media playlist in <see cref="MediaLayout.Container"/>.</param>
public sealed record VideoRendition(
    string Name,
    int Width,
    int Height,
    long Bandwidth,
    long AverageBandwidth,
    string Codecs,
    double FrameRate,
    string PlaylistPath);

/// <summary>A video as the catalog knows it; the pipeline's state is kept separately.</summary>
public sealed record VideoRecord(
    string VideoId,
    string OwnerId,
    VideoStatus Status,
    string Stage,
    double Progress,
    double? DurationSeconds,
    int? Width,
    int? Height,
    IReadOnlyList<VideoRendition> Renditions,
    string? Error,
    string FileName,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? ReadyAt)
{
    /// <summary>
    /// Its owner may watch it before it is published: its HLS is complete and it waits for the content review (never once it
    /// was rejected).
    /// </summary>
    public bool IsProducedUnpublished => Status == VideoStatus.InReview || (Status == VideoStatus.Processing && Stage == nameof(PipelineStep.ReviewContent));

    /// <summary>
    /// When it first became playable: every rendition had its first segments in storage and the master playlist was
    /// published, while the ladder was still encoding. Kept once Ready; cleared when a failure stops its playback.
    /// </summary>
    public DateTimeOffset? PlayableAt { get; init; }

    /// <summary>Only its owner may watch it before it is published (a content review follows the encode).</summary>
    public bool PlayableByOwnerOnly { get; init; }

    /// <summary>When it was Failed as bad input: its upload is deleted <see cref="UploadOptions.BadUploadRetentionDays"/> later (null once it was).</summary>
    public DateTimeOffset? BadInputAt { get; init; }

    /// <summary>When its upload was deleted because it was bad input (the video stays Failed with its reason).</summary>
    public DateTimeOffset? SourceDeletedAt { get; init; }

    /// <summary>Playable now while it is produced (its playlists grow as segments land), or Ready.</summary>
    public bool IsPlayable => Status == VideoStatus.Ready || IsProducedUnpublished || (Status == VideoStatus.Processing && PlayableAt is not null);

    /// <summary>Anyone may watch it (not its owner alone): Ready, or playable while produced with no content review to come.</summary>
    public bool IsPlayableByAnyone => Status == VideoStatus.Ready || (Status == VideoStatus.Processing && PlayableAt is not null && !PlayableByOwnerOnly && !IsProducedUnpublished);

    /// <summary>Blob name of the master playlist (valid once Ready).</summary>
    public string MasterPlaylistPath => MediaLayout.MasterPlaylist(VideoId);

    /// <summary>Blob name of the poster JPEG (valid once Ready).</summary>
    public string PosterPath => MediaLayout.Poster(VideoId);
}

/// <summary>Reads the video catalog.</summary>
public interface IVideoCatalog
{
    Task<VideoRecord?> GetAsync(string videoId, CancellationToken cancellationToken);

    /// <summary>Ready videos, newest first, a page at a time.</summary>
    Task<VideoPage> ListReadyAsync(int count, string? cursor, CancellationToken cancellationToken);

    /// <summary>Every Ready video in brief, newest first, read from the index alone (one query, no per-video reads).</summary>
    IAsyncEnumerable<ReadyVideoSummary> EnumerateReadyAsync(CancellationToken cancellationToken);
}

/// <summary>
/// Told after this instance wrote a video's catalog row (or tried to: a write cut short may still have happened), so a
/// cache of the row drops it. Other instances' writes are not seen: a cache bounds their staleness by its lifetime.
/// </summary>
public interface IVideoChangeObserver
{
    void OnVideoChanged(string videoId);
}

/// <summary>What the Ready index keeps of a video.</summary>
public sealed record ReadyVideoSummary(string VideoId, string OwnerId, DateTimeOffset CreatedAt, DateTimeOffset ReadyAt, double DurationSeconds);

public sealed record VideoPage(IReadOnlyList<VideoRecord> Items, string? Cursor);

/// <summary>Deterministic blob names of a video's published media (so every pipeline step is idempotent).</summary>
public static class MediaLayout
{
    /// <summary>The private container holding every published rendition, playlist and poster.</summary>
    public const string Container = "media";

    /// <summary>The private container uploads land in; one blob per video: <c>{videoId}/source</c>.</summary>
    public const string UploadsContainer = "uploads";

    public static string Prefix(string videoId) => videoId + "/";

    public static string Source(string videoId) => videoId + "/source";

    /// <summary>The video whose upload <paramref name="blobName"/> in <paramref name="container"/> is (the inverse of <see cref="Source"/>), if it is one.</summary>
    public static bool TryParseSource(string container, string blobName, out string videoId)
    {
        var parts = blobName.Split('/');
        videoId = parts.Length == 2 ? parts[0] : string.Empty;
        return container == UploadsContainer && parts.Length == 2 && parts[1] == "source" && VideoIds.IsValid(videoId);
    }

    /// <summary>Every HLS file of a video: the master and each rendition's folder.</summary>
    public static string HlsFolder(string videoId) => $"{videoId}/hls/";

    public static string MasterPlaylist(string videoId) => HlsFolder(videoId) + "master.m3u8";

    /// <summary>A rendition's folder: its <c>index.m3u8</c> and segments (<c>seg_00000.ts</c>, or <c>init.mp4</c> + <c>seg_00000.m4s</c>).</summary>
    public static string RenditionFolder(string videoId, string rendition) => $"{HlsFolder(videoId)}{rendition}/";

    public static string RenditionPlaylist(string videoId, string rendition) => RenditionFolder(videoId, rendition) + "index.m3u8";

    public static string Poster(string videoId) => videoId + "/poster.jpg";

    /// <summary>The private container of the frames and audio chunks WeChat's content check fetches (kept for appeals).</summary>
    public const string ReviewContainer = "review";

    public static string ReviewSample(string videoId, string file) => $"{videoId}/{file}";
}
