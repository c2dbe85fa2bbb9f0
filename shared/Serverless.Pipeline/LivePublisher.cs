using Microsoft.Extensions.Logging;
using Serverless.Media;
using Serverless.Storage;
using Serverless.Videos;

namespace Serverless.Pipeline;

/// <summary>
/// Publishes a transcode while ffmpeg encodes. Each segment ffmpeg closed is uploaded (a few at a time), then the
/// rendition's playlist as an EVENT playlist naming only uploaded segments, so a player never meets a missing one. Once
/// every rendition has its first segment stored and a poster is up, the master playlist is written (bandwidths from the
/// encoder's caps until they are measured) and the video's row says it is playable. <see cref="CompleteAsync"/> then
/// finishes: the measured master first, then each playlist as VOD with ENDLIST.
/// </summary>
internal sealed partial class LivePublisher(
    IBlobStore blobs,
    VideoRepository videos,
    TimeProvider time,
    ILogger<LivePublisher> logger,
    string videoId,
    IReadOnlyList<Rendition> ladder,
    bool ownerOnly,
    CancellationToken stopping)
    : IHlsOutputListener
{
    /// <summary>Uploads of one rendition's new segments in flight at once.</summary>
    internal const int MaxConcurrentUploads = 4;

    /// <summary>The fMP4 init segment's name in every rendition folder.</summary>
    internal const string InitSegmentName = "init.mp4";

    private readonly Dictionary<string, LiveRendition> _stored = new(StringComparer.Ordinal);
    private readonly HashSet<string> _initsStored = new(StringComparer.Ordinal);
    private bool _posterStored;
    private bool _representativePosterStored;
    private DateTimeOffset? _playableAt;

    public async Task OnSegmentsAsync(LiveRendition rendition, CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, stopping);
        var name = rendition.Rendition.Name;
        var folder = MediaLayout.RenditionFolder(videoId, name);
        if (rendition.InitPath is { } init && _initsStored.Add(name))
        {
            await UploadAsync(init, folder + InitSegmentName, linked.Token).ConfigureAwait(false);
        }

        var already = _stored.TryGetValue(name, out var before) ? before.Segments.Count : 0;
        await Parallel.ForEachAsync(
            rendition.Segments.Skip(already),
            new ParallelOptions { MaxDegreeOfParallelism = MaxConcurrentUploads, CancellationToken = linked.Token },
            async (segment, token) => await UploadAsync(Path.Combine(rendition.Folder, segment.Uri), folder + segment.Uri, token).ConfigureAwait(false))
            .ConfigureAwait(false);

        // The playlist after its segments: it only ever names what is there.
        await UploadTextAsync(MediaLayout.RenditionPlaylist(videoId, name), HlsPlaylists.WriteMedia(LivePlaylists.Growing(rendition, InitSegmentName)), linked.Token)
            .ConfigureAwait(false);
        _stored[name] = rendition;
        await BecomePlayableWhenReadyAsync(linked.Token).ConfigureAwait(false);
    }

    public async Task OnPosterAsync(string path, bool representative, CancellationToken cancellationToken)
    {
        if (!representative && _representativePosterStored)
        {
            return; // never replace the representative poster with the early one
        }

        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, stopping);
        await blobs.UploadFileAsync(MediaLayout.Container, MediaLayout.Poster(videoId), path, new BlobWriteOptions("image/jpeg", "private, max-age=86400"), linked.Token)
            .ConfigureAwait(false);
        _posterStored = true;
        _representativePosterStored |= representative;
        await BecomePlayableWhenReadyAsync(linked.Token).ConfigureAwait(false);
    }

    /// <summary>
    /// After ffmpeg: checks every playlist against the HLS rules (a broken one fails the video), uploads anything the live
    /// upload has not, writes the master with the measured bandwidths, then each playlist as VOD. Returns when the video
    /// first became playable.
    /// </summary>
    public async Task<DateTimeOffset> CompleteAsync(TranscodeResult result, double durationSeconds, CancellationToken cancellationToken)
    {
        var finals = new List<(RenditionOutput Output, MediaPlaylistModel Playlist)>();
        foreach (var output in result.Renditions)
        {
            var playlist = HlsPlaylists.ParseMedia(await File.ReadAllTextAsync(output.PlaylistPath, cancellationToken).ConfigureAwait(false));
            var problems = PlaylistValidator.Validate(playlist, durationSeconds);
            if (problems.Count > 0)
            {
                // The same source gives the same playlist: running it again cannot help.
                throw new MediaRejectedException($"The {output.Rendition.Name} playlist breaks the HLS rules: {string.Join("; ", problems)}");
            }

            finals.Add((output, playlist));
        }

        foreach (var (output, _) in finals)
        {
            var folder = MediaLayout.RenditionFolder(videoId, output.Rendition.Name);
            var stored = _stored.TryGetValue(output.Rendition.Name, out var live) ? live.Segments.Select(s => s.Uri).ToHashSet(StringComparer.Ordinal) : [];
            var missing = output.Files
                .Where(f => !string.Equals(f, output.PlaylistPath, StringComparison.Ordinal) && !stored.Contains(Path.GetFileName(f)))
                .Where(f => !_initsStored.Contains(output.Rendition.Name) || !string.Equals(Path.GetFileName(f), InitSegmentName, StringComparison.Ordinal));
            await Parallel.ForEachAsync(
                missing,
                new ParallelOptions { MaxDegreeOfParallelism = MaxConcurrentUploads, CancellationToken = cancellationToken },
                async (file, token) => await UploadAsync(file, folder + Path.GetFileName(file), token).ConfigureAwait(false)).ConfigureAwait(false);
        }

        if (!_representativePosterStored)
        {
            await OnPosterAsync(result.PosterPath, representative: true, cancellationToken).ConfigureAwait(false);
        }

        // Measured master first: a playback instance that loads a completed media playlist drops the master it cached.
        await UploadTextAsync(MediaLayout.MasterPlaylist(videoId), MasterPlaylist.Write(result.Renditions, o => $"{o.Rendition.Name}/index.m3u8"), cancellationToken)
            .ConfigureAwait(false);
        foreach (var (output, playlist) in finals)
        {
            await UploadTextAsync(MediaLayout.RenditionPlaylist(videoId, output.Rendition.Name), HlsPlaylists.WriteMedia(playlist), cancellationToken).ConfigureAwait(false);
        }

        await BecomePlayableWhenReadyAsync(cancellationToken).ConfigureAwait(false);
        return _playableAt ?? time.GetUtcNow();
    }

    private async Task BecomePlayableWhenReadyAsync(CancellationToken cancellationToken)
    {
        if (_playableAt is not null || !_posterStored || ladder.Any(r => !_stored.TryGetValue(r.Name, out var s) || s.Segments.Count == 0))
        {
            return;
        }

        var renditions = ladder.Select(r => _stored[r.Name]).ToList();
        await UploadTextAsync(MediaLayout.MasterPlaylist(videoId), LivePlaylists.Master(renditions), cancellationToken).ConfigureAwait(false);
        var now = time.GetUtcNow();
        var saved = await videos.UpdateAsync(
            videoId,
            e => e.Video.Status == VideoStatus.Processing ? e with { Video = e.Video with { PlayableAt = now, PlayableByOwnerOnly = ownerOnly } } : null,
            cancellationToken).ConfigureAwait(false);
        if (saved is not { Video.Status: VideoStatus.Processing })
        {
            throw new VideoGoneException(); // deleted meanwhile: stop encoding
        }

        _playableAt = now;
        LogPlayable(videoId, renditions.Sum(r => r.Segments.Count));
    }

    private Task UploadAsync(string path, string blobName, CancellationToken cancellationToken) =>
        blobs.UploadFileAsync(MediaLayout.Container, blobName, path, new BlobWriteOptions(HlsContentTypes.For(path), HlsContentTypes.CacheControlFor(path)), cancellationToken);

    private async Task UploadTextAsync(string blobName, string text, CancellationToken cancellationToken)
    {
        using var content = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(text));
        await blobs.UploadAsync(MediaLayout.Container, blobName, content, new BlobWriteOptions(HlsContentTypes.Playlist, "no-cache"), cancellationToken)
            .ConfigureAwait(false);
    }

    [LoggerMessage(EventId = 221, Level = LogLevel.Information, Message = "Video {VideoId}: playable while produced ({Segments} segments stored)")]
    private partial void LogPlayable(string videoId, int segments);
}

/// <summary>Starts a <see cref="LivePublisher"/> for each transcode, with the storage, catalog and clock it publishes with.</summary>
internal sealed class LivePublishing(IBlobStore blobs, VideoRepository videos, TimeProvider time, ILogger<LivePublisher> logger)
{
    public LivePublisher Start(string videoId, IReadOnlyList<Rendition> ladder, bool ownerOnly, CancellationToken stopping) =>
        new(blobs, videos, time, logger, videoId, ladder, ownerOnly, stopping);
}

/// <summary>The playlists published while a video is produced. Pure.</summary>
internal static class LivePlaylists
{
    /// <summary>
    /// A rendition's playlist while it grows: EVENT, no ENDLIST, the target duration it will keep, every stored segment.
    /// </summary>
    public static MediaPlaylistModel Growing(LiveRendition rendition, string initSegmentName) => new(
        Version: rendition.InitPath is null ? 3 : 6,
        TargetDuration: Math.Max(rendition.TargetDuration, new MediaPlaylistModel(3, 0, 0, null, false, false, null, rendition.Segments).RequiredTargetDuration),
        MediaSequence: 0,
        PlaylistType: "EVENT",
        EndList: false,
        IndependentSegments: true,
        MapUri: rendition.InitPath is null ? null : initSegmentName,
        Segments: rendition.Segments);

    /// <summary>
    /// The master before the encode ends: exact codecs, frame rates and sizes; bandwidths are bounds from the encoder's caps
    /// (<see cref="NominalBandwidth"/>) until the finished segments are measured.
    /// </summary>
    public static string Master(IReadOnlyList<LiveRendition> renditions) =>
        MasterPlaylist.Write(
            renditions.Select(r =>
            {
                var (peak, average) = NominalBandwidth(r.Rendition);
                return new RenditionOutput(r.Rendition, string.Empty, r.InitPath is null ? [] : [r.InitPath], peak, average, r.Codecs, r.FrameRate);
            }),
            o => $"{o.Rendition.Name}/index.m3u8");

    /// <summary>
    /// Peak and average bit rate a rendition can reach: the VBV cap (maxrate) plus a buffer's worth over a segment, and the
    /// target rate, each with the audio and 10 % for the container.
    /// </summary>
    public static (long Peak, long Average) NominalBandwidth(Rendition rendition)
    {
        var audio = Math.Max(32, rendition.AudioBitrateKbps);
        var peakKbps = rendition.MaxRateKbps + (rendition.BufferSizeKbits / 6.0) + audio;
        var averageKbps = (double)rendition.VideoBitrateKbps + audio;
        return ((long)Math.Ceiling(peakKbps * 1100.0), (long)Math.Ceiling(averageKbps * 1100.0));
    }
}
