using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using Serverless.Storage;

namespace Serverless.Videos;

public sealed record CreateUploadRequest(string? FileName, string? ContentType, long? SizeBytes);

/// <summary>A created upload: PUT the file to <see cref="UploadUrl"/> (storage), or send it through the API in chunks (<see cref="Chunked"/>).</summary>
public sealed record CreateUploadResponse(string VideoId, Uri UploadUrl, DateTimeOffset ExpiresAt, ChunkedUpload Chunked);

public sealed record UploadAccepted(string VideoId, string Status);

public sealed record RenditionSummary(string Name, int Width, int Height, long Bandwidth);

public sealed record VideoStatusResponse(
    string VideoId,
    string Status,
    string Stage,
    double Progress,
    double? DurationSeconds,
    int? Width,
    int? Height,
    IReadOnlyList<RenditionSummary> Renditions,
    string? Error,
    DateTimeOffset CreatedAt,
    DateTimeOffset? ReadyAt,
    bool Playable,
    DateTimeOffset? PlayableAt)
{
    public static VideoStatusResponse From(VideoRecord v) => new(
        v.VideoId,
        v.Status.ToString(),
        v.Stage,
        Math.Round(v.Progress, 1),
        v.DurationSeconds,
        v.Width,
        v.Height,
        v.Renditions.Select(r => new RenditionSummary(r.Name, r.Width, r.Height, r.Bandwidth)).ToList(),
        v.Error,
        v.CreatedAt,
        v.ReadyAt,
        v.IsPlayable,
        v.IsPlayable ? v.PlayableAt ?? v.ReadyAt : null);
}

public sealed record VideoListResponse(IReadOnlyList<VideoStatusResponse> Items, string? Cursor);

/// <summary>The catalog as the API serves it: what a caller may see, and the Ready list a page at a time.</summary>
internal sealed class VideoQueries(IVideoCatalog catalog)
{
    /// <summary>The video, if the caller may see it: others' videos exist for a caller only once published, deleted ones for nobody.</summary>
    public async Task<Result<VideoRecord>> GetAsync(string videoId, string callerId, CancellationToken cancellationToken)
    {
        var video = VideoIds.IsValid(videoId) ? await catalog.GetAsync(videoId, cancellationToken).ConfigureAwait(false) : null;
        if (video is null || video.Status == VideoStatus.Deleted || (video.OwnerId != callerId && video.Status != VideoStatus.Ready))
        {
            return NotFound;
        }

        return video;
    }

    /// <summary>Ready videos, newest first: <paramref name="count"/> 1 to 100 (20 when absent), from <paramref name="cursor"/>.</summary>
    public async Task<Result<VideoPage>> ListReadyAsync(int? count, string? cursor, CancellationToken cancellationToken)
    {
        var size = count ?? 20;
        if (size is < 1 or > 100)
        {
            return Problems.BadRequest("invalid-count", "count must be between 1 and 100.");
        }

        try
        {
            return await catalog.ListReadyAsync(size, cursor, cancellationToken).ConfigureAwait(false);
        }
        catch (ArgumentException)
        {
            return Problems.BadRequest("invalid-cursor", "The cursor is not valid.");
        }
    }

    /// <summary>The answer for a video the caller may not see, or that does not exist.</summary>
    public static Problem NotFound { get; } = Problems.NotFound("video-not-found", "No such video.");
}

/// <summary>Creates uploads (catalog row + create-only SAS) and receives multipart uploads streamed into the same blob.</summary>
internal sealed class UploadService(
    VideoRepository videos,
    IBlobStore blobs,
    IBlobSasSigner signer,
    ChunkedUploadService chunks,
    IOptions<UploadOptions> options,
    TimeProvider time)
{
    public async Task<Result<CreateUploadResponse>> CreateAsync(string userId, CreateUploadRequest request, CancellationToken cancellationToken)
    {
        if (Validate(request, out var fileName) is { } problem)
        {
            return problem;
        }

        var videoId = VideoIds.New();
        await videos.CreateAsync(videoId, userId, fileName, request.ContentType!.Trim().ToLowerInvariant(), request.SizeBytes!.Value, cancellationToken)
            .ConfigureAwait(false);
        var expires = time.GetUtcNow().AddMinutes(options.Value.UploadUrlMinutes);

        // Create only: the client can write this one blob once, and can neither read nor overwrite it.
        var url = signer.GetSasUri(MediaLayout.UploadsContainer, MediaLayout.Source(videoId), BlobSasPermissions.Create, expires);
        return new CreateUploadResponse(videoId, url, expires, chunks.Describe(videoId, request.SizeBytes.Value));
    }

    /// <summary>
    /// The file of a multipart/form-data body (what <c>wx.uploadFile</c> sends), streamed into the upload's blob: one file
    /// part, at most the declared size (and <see cref="UploadOptions.MaxMultipartUploadBytes"/>).
    /// </summary>
    public async Task<Result<UploadAccepted>> ReceiveMultipartAsync(
        string userId, string videoId, Stream body, string? contentType, long? contentLength, CancellationToken cancellationToken)
    {
        var entry = VideoIds.IsValid(videoId) ? await videos.GetEntryAsync(videoId, cancellationToken).ConfigureAwait(false) : null;
        if (entry is null || entry.Video.OwnerId != userId || entry.Video.Status == VideoStatus.Deleted)
        {
            return Problems.NotFound("video-not-found", "No such upload.");
        }

        if (entry.Video.Status != VideoStatus.Uploading)
        {
            return Problems.Conflict("upload-already-received", $"This video is already {entry.Video.Status}.", new Dictionary<string, object?> { ["status"] = entry.Video.Status.ToString() });
        }

        if (!MediaTypeHeaderValue.TryParse(contentType, out var mediaType)
            || !mediaType.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase)
            || HeaderUtilities.RemoveQuotes(mediaType.Boundary).Value is not { Length: > 0 and <= 70 } boundary)
        {
            return Problems.Create(415, "multipart-required", "Unsupported media type.", "Send the file as multipart/form-data.");
        }

        if (entry.DeclaredBytes > options.Value.MaxMultipartUploadBytes)
        {
            var max = options.Value.MaxMultipartUploadBytes.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return Problems.Create(
                413,
                "upload-too-large-for-multipart",
                "The upload is too large for this route.",
                $"Files over {max} bytes cannot be sent as multipart/form-data; PUT the file to the uploadUrl instead.");
        }

        var limit = Math.Min(options.Value.MaxUploadBytes, Math.Max(entry.DeclaredBytes, 1));
        if (contentLength is { } length && length > limit + (64 * 1024))
        {
            return TooLarge(limit);
        }

        var reader = new MultipartReader(boundary, body);
        while (await reader.ReadNextSectionAsync(cancellationToken).ConfigureAwait(false) is { } section)
        {
            if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition)
                || !disposition.DispositionType.Equals("form-data", StringComparison.OrdinalIgnoreCase)
                || !(disposition.FileName.HasValue || disposition.FileNameStar.HasValue))
            {
                continue; // Form fields (wx.uploadFile's formData) are not needed.
            }

            // The part's file name (wx.uploadFile sends its temp file's) is deliberately not read: the catalog keeps the
            // name CreateAsync checked with UploadFileName. Anything that starts storing it must apply the same rule.
            var counted = new LimitedStream(section.Body, limit);
            try
            {
                await blobs.UploadAsync(
                    MediaLayout.UploadsContainer,
                    MediaLayout.Source(videoId),
                    counted,
                    new BlobWriteOptions(entry.ContentType, IfNotExists: true),
                    cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (IsTooLarge(ex))
            {
                // Nothing was committed: the SDK commits the block list only after the last byte.
                return TooLarge(limit);
            }
            catch (StorageConflictException)
            {
                return Problems.Conflict("upload-already-received", "The file for this video was already uploaded.");
            }
            catch (StoragePreconditionFailedException)
            {
                return Problems.Conflict("upload-already-received", "The file for this video was already uploaded.");
            }

            if (counted.BytesRead == 0)
            {
                // Kept as uploaded; the pipeline fails it with the reason.
                return Problems.BadRequest("empty-file", "The uploaded file is empty.");
            }

            return new UploadAccepted(videoId, entry.Video.Status.ToString());
        }

        return Problems.BadRequest("file-missing", "The multipart body has no file part.");
    }

    private static bool IsTooLarge(Exception? ex)
    {
        for (; ex is not null; ex = ex.InnerException)
        {
            if (ex is UploadTooLargeException)
            {
                return true;
            }
        }

        return false;
    }

    private static Problem TooLarge(long limit) => Problems.Create(
        413, "upload-too-large", "The upload is too large.", $"The file is larger than the declared size or the {limit.ToString(System.Globalization.CultureInfo.InvariantCulture)}-byte limit.");

    private Problem? Validate(CreateUploadRequest request, out string fileName)
    {
        var errors = new Dictionary<string, string[]>();
        if (!UploadFileName.TryNormalize(request.FileName, out fileName, out var nameError))
        {
            errors["fileName"] = [nameError!];
        }

        var type = request.ContentType?.Trim().ToLowerInvariant();
        if (string.IsNullOrEmpty(type) || !options.Value.ContentTypes.Contains(type, StringComparer.OrdinalIgnoreCase))
        {
            errors["contentType"] = [$"contentType must be one of: {string.Join(", ", options.Value.ContentTypes)}."];
        }

        if (request.SizeBytes is not { } size || size <= 0)
        {
            errors["sizeBytes"] = ["sizeBytes must be a positive number of bytes."];
        }
        else if (size > options.Value.MaxUploadBytes)
        {
            return Problems.Create(
                413, "upload-too-large", "The upload is too large.",
                $"sizeBytes is over the {options.Value.MaxUploadBytes.ToString(System.Globalization.CultureInfo.InvariantCulture)}-byte limit.");
        }

        return errors.Count == 0 ? null : Problems.BadRequest("invalid-upload", "The upload request is not valid.", new Dictionary<string, object?> { ["errors"] = errors });
    }

    /// <summary>Passes bytes through and fails once more than the limit have been read.</summary>
    private sealed class LimitedStream(Stream inner, long limit) : Stream
    {
        public long BytesRead { get; private set; }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => BytesRead; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, count));

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Count(await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false));

        public override async Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            Count(await inner.ReadAsync(buffer.AsMemory(offset, count), cancellationToken).ConfigureAwait(false));

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        private int Count(int read)
        {
            BytesRead += read;
            return BytesRead > limit ? throw new UploadTooLargeException() : read;
        }
    }

    private sealed class UploadTooLargeException : IOException;
}
