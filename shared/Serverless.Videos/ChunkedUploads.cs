using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Serverless.Storage;

namespace Serverless.Videos;

/// <summary>How to send an upload in chunks through the API (what a mini-program does: it may reach only the API's domain).</summary>
public sealed record ChunkedUpload(int ChunkSize, int ChunkCount, string ChunksUrl, string CompleteUrl);

/// <summary>The chunks the app holds for an upload: a client that lost its network or was killed sends only the others.</summary>
public sealed record UploadChunks(int ChunkSize, int ChunkCount, IReadOnlyList<int> Received);

/// <summary>
/// How a declared size is cut into chunks: every chunk is <see cref="ChunkSize"/> bytes but the last, which is the rest.
/// Each chunk is a block of the upload's block blob; the block id names the chunk size too, so blocks staged under another
/// chunk size (the setting changed while the upload was under way) are never committed as if they fitted.
/// </summary>
public readonly record struct ChunkPlan(long SizeBytes, int ChunkSize)
{
    /// <summary>A block blob holds at most 50,000 blocks: the chunk grows for a file that would need more.</summary>
    public const int MaxBlocks = 50_000;

    public int ChunkCount => (int)((SizeBytes + ChunkSize - 1) / ChunkSize);

    /// <summary>The plan for a declared size with the configured chunk size (raised only past <see cref="MaxBlocks"/>).</summary>
    public static ChunkPlan For(long sizeBytes, int configuredChunkBytes) =>
        new(sizeBytes, (int)Math.Max(configuredChunkBytes, (sizeBytes + MaxBlocks - 1) / MaxBlocks));

    public bool Contains(int index) => index >= 0 && index < ChunkCount;

    /// <summary>The exact size chunk <paramref name="index"/> must have.</summary>
    public int SizeOf(int index) => index < ChunkCount - 1 ? ChunkSize : (int)(SizeBytes - ((long)(ChunkCount - 1) * ChunkSize));

    public string BlockId(int index) =>
        Convert.ToBase64String(Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{ChunkSize:D10}-{index:D5}")));

    /// <summary>The chunk a block id of this plan names, or null for any other id.</summary>
    public int? IndexOf(string blockId)
    {
        Span<byte> bytes = stackalloc byte[16];
        if (!Convert.TryFromBase64String(blockId, bytes, out var written) || written != 16)
        {
            return null;
        }

        var text = Encoding.ASCII.GetString(bytes);
        return text[10] == '-'
            && int.TryParse(text.AsSpan(0, 10), NumberStyles.None, CultureInfo.InvariantCulture, out var size) && size == ChunkSize
            && int.TryParse(text.AsSpan(11), NumberStyles.None, CultureInfo.InvariantCulture, out var index) && Contains(index)
                ? index
                : null;
    }
}

/// <summary>
/// Chunked, resumable uploads through the API: each chunk (with its MD5) is staged as a block of the upload's block blob;
/// the client can ask which chunks arrived; completing commits the blocks in order, which storage reports as a created blob,
/// so the pipeline starts as it does for a file put straight to the upload URL.
/// </summary>
internal sealed class ChunkedUploadService(VideoRepository videos, IBlobStore blobs, IOptions<UploadOptions> options)
{
    /// <summary>The most missing chunks one answer lists.</summary>
    private const int MissingListed = 100;

    public ChunkedUpload Describe(string videoId, long sizeBytes)
    {
        var plan = ChunkPlan.For(sizeBytes, options.Value.UploadChunkBytes);
        return new ChunkedUpload(plan.ChunkSize, plan.ChunkCount, $"/api/uploads/{videoId}/chunks", $"/api/uploads/{videoId}/complete");
    }

    /// <summary>
    /// Stages chunk <paramref name="index"/>: exactly its size, checked against its <c>Content-MD5</c>. Never reads more
    /// than one byte past the chunk's size. Sending a chunk again replaces it (the same bytes: nothing changes).
    /// </summary>
    public async Task<Result<bool>> ReceiveChunkAsync(
        string userId, string videoId, int index, Stream body, long? contentLength, string? contentMd5, CancellationToken cancellationToken)
    {
        var upload = await OpenAsync(userId, videoId, cancellationToken).ConfigureAwait(false);
        if (upload.Problem is { } notOpen)
        {
            return notOpen;
        }

        var plan = upload.Value;
        if (!plan.Contains(index))
        {
            return Problems.Create(
                400,
                "chunk-out-of-range",
                "No such chunk.",
                Invariant($"This upload has chunks 0 to {plan.ChunkCount - 1}."));
        }

        if (!TryParseMd5(contentMd5, out var md5))
        {
            return Problems.Create(400, "chunk-checksum-required", "The chunk's checksum is missing.", "Send the chunk's MD5, base64-encoded, as Content-MD5.");
        }

        var expected = plan.SizeOf(index);
        if (contentLength is { } length && length != expected)
        {
            return SizeMismatch(index, expected);
        }

        var buffer = ArrayPool<byte>.Shared.Rent(expected + 1);
        try
        {
            var read = await ReadAtMostAsync(body, buffer.AsMemory(0, expected + 1), cancellationToken).ConfigureAwait(false);
            if (read != expected)
            {
                return SizeMismatch(index, expected);
            }

            var chunk = buffer.AsMemory(0, read);
            if (!CryptographicOperations.FixedTimeEquals(MD5.HashData(chunk.Span), md5))
            {
                return Problems.Create(
                    400,
                    "chunk-checksum-mismatch",
                    "The chunk does not match its checksum.",
                    "The chunk's bytes do not have the MD5 sent as Content-MD5: send it again.");
            }

            await blobs.StageBlockAsync(MediaLayout.UploadsContainer, MediaLayout.Source(videoId), plan.BlockId(index), chunk, md5, cancellationToken).ConfigureAwait(false);
            return true;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public async Task<Result<UploadChunks>> ListAsync(string userId, string videoId, CancellationToken cancellationToken)
    {
        var upload = await OpenAsync(userId, videoId, cancellationToken).ConfigureAwait(false);
        if (upload.Problem is { } notOpen)
        {
            return notOpen;
        }

        var plan = upload.Value;
        return new UploadChunks(plan.ChunkSize, plan.ChunkCount, await ReceivedAsync(plan, videoId, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>Commits every chunk, in order, as the upload's file; completing again answers as the first time did.</summary>
    public async Task<Result<UploadAccepted>> CompleteAsync(string userId, string videoId, CancellationToken cancellationToken)
    {
        var entry = VideoIds.IsValid(videoId) ? await videos.GetEntryAsync(videoId, cancellationToken).ConfigureAwait(false) : null;
        if (entry is null || entry.Video.OwnerId != userId || entry.Video.Status == VideoStatus.Deleted)
        {
            return NoSuchUpload;
        }

        if (entry.Video.Status != VideoStatus.Uploading
            || await blobs.GetInfoAsync(MediaLayout.UploadsContainer, MediaLayout.Source(videoId), cancellationToken).ConfigureAwait(false) is not null)
        {
            return new UploadAccepted(videoId, entry.Video.Status.ToString());
        }

        var plan = ChunkPlan.For(entry.DeclaredBytes, options.Value.UploadChunkBytes);
        var received = await ReceivedAsync(plan, videoId, cancellationToken).ConfigureAwait(false);
        if (received.Count != plan.ChunkCount)
        {
            var have = received.ToHashSet();
            var missing = Enumerable.Range(0, plan.ChunkCount).Where(i => !have.Contains(i)).ToList();
            return Problems.Create(
                400,
                "chunks-missing",
                "Chunks are missing.",
                Invariant($"{missing.Count} of {plan.ChunkCount} chunks have not arrived; send them, then complete again."),
                new Dictionary<string, object?> { ["missing"] = missing.Take(MissingListed).ToList() });
        }

        try
        {
            await blobs.CommitBlocksAsync(
                MediaLayout.UploadsContainer,
                MediaLayout.Source(videoId),
                Enumerable.Range(0, plan.ChunkCount).Select(plan.BlockId).ToList(),
                new BlobWriteOptions(entry.ContentType, IfNotExists: true),
                cancellationToken).ConfigureAwait(false);
        }
        catch (StorageException ex) when (ex is StorageConflictException or StoragePreconditionFailedException)
        {
            // Another complete (a retry whose first answer was lost) committed it first: the same outcome.
        }

        return new UploadAccepted(videoId, entry.Video.Status.ToString());
    }

    private static Problem NoSuchUpload { get; } = Problems.NotFound("video-not-found", "No such upload.");

    /// <summary>The caller's upload still waiting for its file, as its chunk plan.</summary>
    private async Task<Result<ChunkPlan>> OpenAsync(string userId, string videoId, CancellationToken cancellationToken)
    {
        var entry = VideoIds.IsValid(videoId) ? await videos.GetEntryAsync(videoId, cancellationToken).ConfigureAwait(false) : null;
        if (entry is null || entry.Video.OwnerId != userId || entry.Video.Status == VideoStatus.Deleted)
        {
            return NoSuchUpload;
        }

        if (entry.Video.Status != VideoStatus.Uploading
            || await blobs.GetInfoAsync(MediaLayout.UploadsContainer, MediaLayout.Source(videoId), cancellationToken).ConfigureAwait(false) is not null)
        {
            return Problems.Conflict(
                "upload-completed", "The file for this video was already uploaded.", new Dictionary<string, object?> { ["status"] = entry.Video.Status.ToString() });
        }

        return ChunkPlan.For(entry.DeclaredBytes, options.Value.UploadChunkBytes);
    }

    private async Task<IReadOnlyList<int>> ReceivedAsync(ChunkPlan plan, string videoId, CancellationToken cancellationToken)
    {
        var blocks = await blobs.ListUncommittedBlocksAsync(MediaLayout.UploadsContainer, MediaLayout.Source(videoId), cancellationToken).ConfigureAwait(false);
        return blocks.Select(plan.IndexOf).OfType<int>().Distinct().Order().ToList();
    }

    private static Problem SizeMismatch(int index, int expected) => Problems.Create(
        400,
        "chunk-size-mismatch",
        "The chunk has the wrong size.",
        Invariant($"Chunk {index} must be exactly {expected} bytes."));

    private static bool TryParseMd5(string? header, out byte[] md5)
    {
        md5 = new byte[16];
        return header is { Length: 24 } && Convert.TryFromBase64String(header, md5, out var written) && written == 16;
    }

    private static async Task<int> ReadAtMostAsync(Stream body, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var total = 0;
        while (total < buffer.Length)
        {
            var read = await body.ReadAsync(buffer[total..], cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                break;
            }

            total += read;
        }

        return total;
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
