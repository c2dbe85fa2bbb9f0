using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using Serverless.Media;
using Serverless.Media.Processes;
using Serverless.Storage;
using Serverless.Videos;

namespace Serverless.Rendering.Images;

/// <summary>A stored photo: its owner and its upright size as stored.</summary>
public sealed record ImageRecord(string ImageId, string OwnerId, int Width, int Height, string Format, DateTimeOffset CreatedAt)
{
    /// <summary>Its re-encoded JPEG in the uploads container.</summary>
    public string Blob => ImageLayout.Stored(ImageId);
}

/// <summary>The answer to a stored photo.</summary>
public sealed record ImageResponse(string ImageId, int Width, int Height, string Format)
{
    public static ImageResponse From(ImageRecord image) => new(image.ImageId, image.Width, image.Height, image.Format);
}

public static class ImageLayout
{
    /// <summary>The photos' table.</summary>
    public const string Table = "Images";

    /// <summary>A photo as the server stores it: upright, re-encoded, without metadata, in the uploads container (whose
    /// lifecycle rules apply: photos are working material for renders, the rendered videos are what is kept).</summary>
    public static string Stored(string imageId) => $"{Prefix}{imageId}.jpg";

    /// <summary>Where the photos are in the uploads container.</summary>
    public const string Prefix = "images/";
}

/// <summary>The photos' table: who owns each photo, and its size.</summary>
internal sealed class ImageRepository(ITableStore tables)
{
    private const string Row = "image";

    public Task InsertAsync(ImageRecord image, CancellationToken cancellationToken) =>
        tables.InsertAsync(ImageLayout.Table, new TableRow(image.ImageId, Row, new Dictionary<string, object?>
        {
            ["OwnerId"] = image.OwnerId,
            ["Width"] = image.Width,
            ["Height"] = image.Height,
            ["Format"] = image.Format,
            ["CreatedAt"] = image.CreatedAt,
        }), cancellationToken);

    public async Task<ImageRecord?> GetAsync(string imageId, CancellationToken cancellationToken)
    {
        if (!VideoIds.IsValid(imageId))
        {
            return null;
        }

        var row = await tables.GetAsync(ImageLayout.Table, imageId, Row, cancellationToken).ConfigureAwait(false);
        return row is null ? null : new ImageRecord(
            imageId,
            row.GetString("OwnerId") ?? string.Empty,
            (int)(row.GetInt64("Width") ?? 0),
            (int)(row.GetInt64("Height") ?? 0),
            row.GetString("Format") ?? string.Empty,
            row.GetDateTimeOffset("CreatedAt") ?? DateTimeOffset.MinValue);
    }
}

/// <summary>
/// Takes a photo for a render (what <c>wx.uploadFile</c> sends after <c>wx.chooseMedia</c>): the bytes are hostile. The
/// format is recognised from the bytes alone (JPEG, PNG, WebP) and read by its one demuxer from the local file only; the size
/// is read from the header and checked (sides, pixel count) before anything is decoded; the picture is turned upright by
/// its EXIF orientation, scaled down to <see cref="ImageOptions.StoredLongSide"/> and re-encoded as a JPEG without
/// metadata. Only that re-encoded picture is stored and ever rendered. Anything else is refused with a reason, at once.
/// </summary>
internal sealed partial class ImageIntake(
    ImageRepository images,
    IBlobStore blobs,
    MediaProcessRunner runner,
    IOptions<ImageOptions> options,
    IOptions<MediaOptions> media,
    TimeProvider time,
    ILogger<ImageIntake> logger)
{
    private static readonly TimeSpan ToolTimeout = TimeSpan.FromSeconds(60);

    public async Task<Result<ImageRecord>> ReceiveAsync(string userId, Stream body, string? contentType, long? contentLength, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        if (!MediaTypeHeaderValue.TryParse(contentType, out var mediaType)
            || !mediaType.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase)
            || HeaderUtilities.RemoveQuotes(mediaType.Boundary).Value is not { Length: > 0 and <= 70 } boundary)
        {
            return Problems.Create(415, "multipart-required", "Unsupported media type.", "Send the photo as multipart/form-data.");
        }

        if (contentLength is { } length && length > settings.MaxBytes + (64 * 1024))
        {
            return TooLarge(settings.MaxBytes);
        }

        var folder = Directory.CreateTempSubdirectory("image-").FullName;
        try
        {
            var original = Path.Combine(folder, "original");
            var received = await ReceiveFileAsync(new MultipartReader(boundary, body), original, settings.MaxBytes, cancellationToken).ConfigureAwait(false);
            if (received.Problem is { } notReceived)
            {
                return notReceived;
            }

            var head = new byte[64 * 1024];
            int read;
            await using (var file = File.OpenRead(original))
            {
                read = await file.ReadAtLeastAsync(head, head.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
            }

            if (ImageFormats.Sniff(head.AsSpan(0, read)) is not { } format)
            {
                return Problems.Create(415, "image-format-unsupported", "Unsupported image format.", ImageFormats.Refusal(head.AsSpan(0, read)));
            }

            var size = await ProbeSizeAsync(original, format, cancellationToken).ConfigureAwait(false);
            if (size is not var (width, height))
            {
                return Unreadable(format);
            }

            if (width < 16 || height < 16 || width > settings.MaxSide || height > settings.MaxSide || (long)width * height > settings.MaxPixels)
            {
                return Problems.BadRequest("image-size-unsupported", string.Create(CultureInfo.InvariantCulture,
                    $"The photo is {width}×{height}: each side must be 16 to {settings.MaxSide} pixels and the whole at most {settings.MaxPixels} pixels."));
            }

            var orientation = format == ImageFormats.Jpeg ? ExifOrientation.Read(head.AsSpan(0, read)) : 1;
            var stored = Path.Combine(folder, "stored.jpg");
            if (!await NormalizeAsync(original, format, orientation, stored, cancellationToken).ConfigureAwait(false))
            {
                return Unreadable(format);
            }

            var upright = await ProbeSizeAsync(stored, ImageFormats.Jpeg, cancellationToken).ConfigureAwait(false) ?? throw new InvalidOperationException("The re-encoded photo cannot be read.");
            var image = new ImageRecord(VideoIds.New(), userId, upright.Width, upright.Height, format.Name, time.GetUtcNow());
            await blobs.UploadFileAsync(MediaLayout.UploadsContainer, image.Blob, stored, new BlobWriteOptions("image/jpeg", "private, no-store"), cancellationToken)
                .ConfigureAwait(false);
            await images.InsertAsync(image, cancellationToken).ConfigureAwait(false);
            LogStored(logger, image.ImageId, format.Name, width, height, orientation, image.Width, image.Height);
            return image;
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static async Task<Result<long>> ReceiveFileAsync(MultipartReader reader, string path, long limit, CancellationToken cancellationToken)
    {
        while (await reader.ReadNextSectionAsync(cancellationToken).ConfigureAwait(false) is { } section)
        {
            if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition)
                || !disposition.DispositionType.Equals("form-data", StringComparison.OrdinalIgnoreCase)
                || !(disposition.FileName.HasValue || disposition.FileNameStar.HasValue))
            {
                continue; // wx.uploadFile's formData fields are not needed.
            }

            long total = 0;
            var buffer = new byte[81920];
            await using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, useAsync: true))
            {
                int n;
                while ((n = await section.Body.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
                {
                    total += n;
                    if (total > limit)
                    {
                        return TooLarge(limit);
                    }

                    await file.WriteAsync(buffer.AsMemory(0, n), cancellationToken).ConfigureAwait(false);
                }
            }

            return total == 0 ? Problems.BadRequest("empty-file", "The photo is empty.") : total;
        }

        return Problems.BadRequest("file-missing", "The multipart body has no file part.");
    }

    /// <summary>Width and height from the header, read by the format's own demuxer from the file alone; null when unreadable.</summary>
    private async Task<(int Width, int Height)?> ProbeSizeAsync(string path, ImageFormat format, CancellationToken cancellationToken)
    {
        var outcome = await runner.RunAsync(new ProcessInvocation(media.Value.FfprobePath,
            [
                "-v", "error", "-protocol_whitelist", "file", "-format_whitelist", format.Demuxer, "-f", format.Demuxer,
                "-select_streams", "v:0", "-show_entries", "stream=width,height", "-of", "json", "file:" + path,
            ], ToolTimeout, CaptureStandardOutput: true, GracefulStop: false), cancellationToken).ConfigureAwait(false);
        if (outcome.ExitCode != 0)
        {
            return null;
        }

        try
        {
            using var json = JsonDocument.Parse(outcome.StandardOutput);
            var stream = json.RootElement.GetProperty("streams")[0];
            var (width, height) = (stream.GetProperty("width").GetInt32(), stream.GetProperty("height").GetInt32());
            return width > 0 && height > 0 ? (width, height) : null; // 0×0: the header ended before the picture's size.
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or IndexOutOfRangeException or InvalidOperationException or FormatException)
        {
            return null;
        }
    }

    /// <summary>Decodes the one picture, turns it upright, fits its long side and writes a metadata-free JPEG; false when it does not decode.</summary>
    private async Task<bool> NormalizeAsync(string path, ImageFormat format, int orientation, string output, CancellationToken cancellationToken)
    {
        var longSide = options.Value.StoredLongSide.ToString(CultureInfo.InvariantCulture);
        var turn = ExifOrientation.Filters(orientation) is { Length: > 0 } filters ? filters + "," : string.Empty;
        var outcome = await runner.RunAsync(new ProcessInvocation(media.Value.FfmpegPath,
            [
                "-hide_banner", "-nostdin", "-v", "error", "-xerror",
                // Turned by the orientation read here, not by ffmpeg's own reading of it (which depends on its version).
                "-noautorotate", "-protocol_whitelist", "file", "-format_whitelist", format.Demuxer, "-f", format.Demuxer, "-i", "file:" + path,
                "-vf", $"{turn}scale=w='min({longSide},iw)':h='min({longSide},ih)':force_original_aspect_ratio=decrease:force_divisible_by=2,format=yuvj420p",
                "-frames:v", "1", "-map_metadata", "-1", "-q:v", "2", "-f", "image2", "-update", "1", "file:" + output,
            ], ToolTimeout), cancellationToken).ConfigureAwait(false);
        return outcome.ExitCode == 0 && new FileInfo(output) is { Exists: true, Length: > 0 };
    }

    private static Problem Unreadable(ImageFormat format) =>
        Problems.BadRequest("image-unreadable", $"The photo cannot be read as {format.Name}: the file is damaged or not a single still picture.");

    private static Problem TooLarge(long limit) => Problems.Create(413, "image-too-large", "The photo is too large.",
        string.Create(CultureInfo.InvariantCulture, $"Photos are at most {limit} bytes."));

    [LoggerMessage(EventId = 600, Level = LogLevel.Information,
        Message = "Image {ImageId}: {Format} {Width}x{Height}, orientation {Orientation}, stored {StoredWidth}x{StoredHeight}")]
    private static partial void LogStored(ILogger logger, string imageId, string format, int width, int height, int orientation, int storedWidth, int storedHeight);
}
