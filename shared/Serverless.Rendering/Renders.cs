using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Options;
using Serverless.Media;
using Serverless.Rendering.Images;
using Serverless.Storage;
using Serverless.Templates.Library;
using Serverless.Templates.Protocol;
using Serverless.Templates.Sync;
using Serverless.Templates.Timeline;
using Serverless.Videos;

namespace Serverless.Rendering;

/// <summary>A render asked for: a template by id and the caller's photos, in order; optionally other music from the music
/// library (a stored resource registered as music, by its SHA-256) in place of the template's.</summary>
public sealed record RenderRequest(
    [property: JsonPropertyName("templateId")] string? TemplateId,
    [property: JsonPropertyName("imageIds")] IReadOnlyList<string>? ImageIds,
    [property: JsonPropertyName("musicId")] string? MusicId = null);

/// <summary>The render's video: follow it like an upload at <c>/api/videos/{videoId}</c>.</summary>
public sealed record RenderAccepted(
    [property: JsonPropertyName("videoId")] string VideoId,
    [property: JsonPropertyName("durationSeconds")] double DurationSeconds,
    [property: JsonPropertyName("width")] int Width,
    [property: JsonPropertyName("height")] int Height);

/// <summary>
/// What the pipeline renders, fixed when the render is asked for: the timeline (so a later edit of the template changes
/// nothing of it), the photos by id, the canvas and the stored copies of the template's stickers and music. Stored as the
/// render video's source in place of an uploaded file, with its own content type, which no upload can have.
/// </summary>
public sealed record RenderJob(
    [property: JsonPropertyName("timeline")] TemplateTimeline Timeline,
    [property: JsonPropertyName("imageIds")] IReadOnlyList<string> ImageIds,
    [property: JsonPropertyName("width")] int Width,
    [property: JsonPropertyName("height")] int Height,
    [property: JsonPropertyName("frameRate")] int FrameRate,
    [property: JsonPropertyName("assets")] IReadOnlyDictionary<string, string> Assets)
{
    public const string ContentType = "application/vnd.shortvideo.render+json";

    [JsonIgnore]
    public RenderCanvas Canvas => new(Width, Height, FrameRate);

    /// <summary>The plan, drawn again by the same code as when the render was asked for.</summary>
    /// <exception cref="MediaRejectedException">The job names an effect the server does not render (it cannot, unless edited).</exception>
    public RenderPlan Plan() => RenderPlanner.Plan(Timeline, Canvas) switch
    {
        ({ } plan, _) => plan,
        (_, var unsupported) => throw new MediaRejectedException($"The render names an effect the server does not render: {unsupported[0].Effect} ({unsupported[0].Where})."),
    };

    /// <summary>What the transcode reads: the render's uncompressed picture (and PCM audio when there is music) in Matroska.</summary>
    public MediaInfo Source()
    {
        var plan = Plan();
        return new MediaInfo(plan.DurationSeconds, null, "matroska,webm",
            new VideoStreamInfo("rawvideo", Width, Height, 0, FrameRate, null, "yuv420p"),
            plan.Music is not null ? new AudioStreamInfo("pcm_s16le", 2, 48000, null) : null);
    }

    public static byte[] Serialize(RenderJob job) => JsonSerializer.SerializeToUtf8Bytes(job, TemplateJson.Options);

    /// <exception cref="MediaRejectedException">Not a render job.</exception>
    public static RenderJob Deserialize(string json)
    {
        try
        {
            return JsonSerializer.Deserialize<RenderJob>(json, TemplateJson.Options) ?? throw new JsonException("null");
        }
        catch (JsonException ex)
        {
            throw new MediaRejectedException("The render request cannot be read.", ex);
        }
    }
}

public static class RenderAssetLayout
{
    /// <summary>A template resource the renderer uses (a sticker image, music), by content hash, in the private media container.</summary>
    public static string Blob(string sha256) => $"template-assets/{sha256}";

    /// <summary>Largest resource an operator stores for rendering. 20 MiB.</summary>
    public const int MaxBytes = 20 * 1024 * 1024;
}

/// <summary>
/// The bytes of the template resources the renderer draws (stickers' images, music). Templates name them by URL on the
/// template CDN, with a content hash registered by operators (<c>PUT /api/operator/template-assets</c>); the server never
/// fetches a URL a template names: an operator stores the bytes (<c>PUT /api/operator/template-assets/{sha256}</c>), checked
/// against the hash, and a render finds them by the URL's registered hash.
/// </summary>
internal sealed class RenderAssets(IAssetRegistry registry, IBlobStore blobs, ITableStore tables)
{
    public async Task<Result<string>> PutAsync(string sha256, byte[] content, CancellationToken cancellationToken)
    {
        if (sha256 is not { Length: 64 } || !sha256.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f'))
        {
            return Problems.BadRequest("asset-hash-invalid", "The hash must be the content's SHA-256 in 64 lowercase hex digits.");
        }

        var actual = Convert.ToHexStringLower(SHA256.HashData(content));
        if (actual != sha256)
        {
            return Problems.BadRequest("asset-hash-mismatch", $"The content's SHA-256 is {actual}, not {sha256}.");
        }

        using var stream = new MemoryStream(content, writable: false);
        await blobs.UploadAsync(MediaLayout.Container, RenderAssetLayout.Blob(sha256), stream, new BlobWriteOptions("application/octet-stream", "private, no-store"), cancellationToken)
            .ConfigureAwait(false);
        return sha256;
    }

    /// <summary>The URL of the music the library holds as <paramref name="musicId"/> (its SHA-256): registered as music and stored; null otherwise.</summary>
    public async Task<string?> FindMusicAsync(string musicId, CancellationToken cancellationToken)
    {
        if (musicId is not { Length: 64 } || !musicId.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f')
            || await blobs.GetInfoAsync(MediaLayout.Container, RenderAssetLayout.Blob(musicId), cancellationToken).ConfigureAwait(false) is null)
        {
            return null;
        }

        await foreach (var row in tables.QueryAsync(TemplateStorage.AssetTable,
            TableFilter.And(TableFilter.Equal("Sha256", musicId), TableFilter.Equal("Kind", nameof(ResourceKind.Music))), cancellationToken).ConfigureAwait(false))
        {
            if (row.GetString("Url") is { Length: > 0 } url)
            {
                return url;
            }
        }

        return null;
    }

    /// <summary>For each URL: the blob of its stored bytes, or the URL among the missing (not registered, or not stored).</summary>
    public async Task<(IReadOnlyDictionary<string, string> Found, IReadOnlyList<string> Missing)> FindAsync(IReadOnlyCollection<string> urls, CancellationToken cancellationToken)
    {
        var registered = await registry.FindAsync(urls, cancellationToken).ConfigureAwait(false);
        var found = new Dictionary<string, string>(StringComparer.Ordinal);
        var missing = new List<string>();
        foreach (var url in urls.Distinct(StringComparer.Ordinal))
        {
            var blob = registered.TryGetValue(url, out var asset) ? RenderAssetLayout.Blob(asset.Sha256) : null;
            if (blob is not null && await blobs.GetInfoAsync(MediaLayout.Container, blob, cancellationToken).ConfigureAwait(false) is not null)
            {
                found[url] = blob;
            }
            else
            {
                missing.Add(url);
            }
        }

        return (found, missing);
    }
}

/// <summary>
/// Takes a render request: checks everything that can be checked before any work (the template is online and shows that
/// many photos, every photo is the caller's, every effect is one the server renders, every resource is stored, the video is
/// within the length limit), then creates the video, whose source is the <see cref="RenderJob"/>. The caller starts its
/// pipeline; from then on it is a video like any upload (status, playable while produced, review, ladder, feed).
/// </summary>
internal sealed class RenderService(
    IOnlineLibrary online,
    ImageRepository images,
    RenderAssets assets,
    VideoRepository videos,
    IBlobStore blobs,
    IOptions<RenderOptions> options,
    IOptions<MediaOptions> media)
{
    public const int MaxRequestBytes = 16 * 1024;
    private const string ProblemPrefix = "render-";

    public async Task<Result<RenderAccepted>> CreateAsync(string userId, RenderRequest request, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(request.TemplateId))
        {
            return Problems.BadRequest(ProblemPrefix + "template-required", "'templateId' is required.");
        }

        var ids = request.ImageIds ?? [];
        if (ids.Count is < 1 or > TemplateLimits.MaxImageCount)
        {
            return Problems.BadRequest(ProblemPrefix + "image-count-invalid", $"'imageIds' must hold 1 to {TemplateLimits.MaxImageCount} photo ids.");
        }

        var snapshot = await online.GetAsync(cancellationToken).ConfigureAwait(false);
        if (!snapshot.Templates.TryGetValue(request.TemplateId, out var onlineTemplate))
        {
            return Problems.NotFound(ProblemPrefix + "template-not-found", $"No online template '{request.TemplateId}'.");
        }

        var template = onlineTemplate.Template;
        if (!TimelineExpander.Supports(template, ids.Count))
        {
            return Problems.BadRequest(ProblemPrefix + "image-count-unsupported",
                $"Template '{template.Id}' shows {template.EffectiveMinImageCount} to {template.EffectiveMaxImageCount} photos; {ids.Count} were given.",
                new Dictionary<string, object?> { ["minImageCount"] = template.EffectiveMinImageCount, ["maxImageCount"] = template.EffectiveMaxImageCount });
        }

        // Someone else's photo and a photo that does not exist get the same answer: ids are not a way to learn of others' photos.
        var distinct = ids.Distinct(StringComparer.Ordinal).ToList();
        var found = await Task.WhenAll(distinct.Select(id => images.GetAsync(id, cancellationToken))).ConfigureAwait(false);
        var unknown = distinct.Where((id, i) => found[i] is not { } image || image.OwnerId != userId).ToList();
        if (unknown.Count > 0)
        {
            return Problems.BadRequest(ProblemPrefix + "images-not-found", $"No photo of yours with the id {string.Join(", ", unknown)}.",
                new Dictionary<string, object?> { ["imageIds"] = unknown });
        }

        var canvas = RenderCanvas.For(template.AspectRatio, Math.Min(options.Value.ShortSide, media.Value.MaxLadderShortSide), options.Value.FrameRate);
        var timeline = TimelineExpander.Expand(template, ids.Count);
        if (request.MusicId is { } musicId)
        {
            if (await assets.FindMusicAsync(musicId, cancellationToken).ConfigureAwait(false) is not { } musicUrl)
            {
                return Problems.BadRequest(ProblemPrefix + "music-not-found", $"The music library holds no music '{musicId}'.");
            }

            timeline = timeline with { Music = new MusicReference { Id = musicId, Url = musicUrl } };
        }

        var (plan, unsupported) = RenderPlanner.Plan(timeline, canvas);
        if (plan is null)
        {
            var first = unsupported[0];
            return Problems.Create(422, ProblemPrefix + "effect-unsupported", "The template uses an effect the server does not render.",
                $"{first.Where} '{first.Name}' uses the effect '{first.Effect}': {first.Reason}.",
                new Dictionary<string, object?> { ["unsupported"] = unsupported.Select(u => new { where = u.Where, name = u.Name, effect = u.Effect, reason = u.Reason }).ToList() });
        }

        if (plan.DurationSeconds > media.Value.MaxDurationSeconds)
        {
            return Problems.BadRequest(ProblemPrefix + "too-long", string.Create(CultureInfo.InvariantCulture,
                $"With {ids.Count} photos the video would last {plan.DurationSeconds:0.##} s; videos are at most {media.Value.MaxDurationSeconds} s."));
        }

        var urls = plan.Stickers.Select(s => s.ImageUrl).Concat(plan.Music is { } music ? [music.Url] : []).ToList();
        var (stored, missing) = await assets.FindAsync(urls, cancellationToken).ConfigureAwait(false);
        if (missing.Count > 0)
        {
            return Problems.Create(422, ProblemPrefix + "asset-missing", "A resource of the template is not stored for rendering.",
                $"The server holds no copy of {string.Join(", ", missing)}: an operator stores it with PUT /api/operator/template-assets/{{sha256}}.",
                new Dictionary<string, object?> { ["urls"] = missing });
        }

        var job = new RenderJob(timeline, ids, canvas.Width, canvas.Height, canvas.FrameRate, stored);
        var json = RenderJob.Serialize(job);
        var videoId = VideoIds.New();
        await videos.CreateAsync(videoId, userId, template.Id + ".mp4", RenderJob.ContentType, json.Length, cancellationToken).ConfigureAwait(false);
        using var content = new MemoryStream(json, writable: false);
        await blobs.UploadAsync(MediaLayout.UploadsContainer, MediaLayout.Source(videoId), content, new BlobWriteOptions(RenderJob.ContentType, IfNotExists: true), cancellationToken)
            .ConfigureAwait(false);
        return new RenderAccepted(videoId, plan.DurationSeconds, canvas.Width, canvas.Height);
    }
}

/// <summary>
/// Brings what a render job draws from storage into a work folder: the stored (re-encoded) photos and the template's
/// resources. The pipeline's transcode step uses it; the job is read from the video's source.
/// </summary>
internal sealed class RenderSources(IBlobStore blobs)
{
    public async Task<RenderJob> ReadJobAsync(string videoId, CancellationToken cancellationToken) =>
        RenderJob.Deserialize(await blobs.ReadTextAsync(MediaLayout.UploadsContainer, MediaLayout.Source(videoId), cancellationToken).ConfigureAwait(false)
            ?? throw new MediaRejectedException("The render request is missing from storage."));

    /// <exception cref="MediaRejectedException">A photo or resource is no longer stored.</exception>
    public async Task<RenderInputs> DownloadAsync(RenderJob job, string folder, CancellationToken cancellationToken)
    {
        var images = new List<string>(job.ImageIds.Count);
        var downloaded = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < job.ImageIds.Count; i++)
        {
            var id = job.ImageIds[i];
            if (!downloaded.TryGetValue(id, out var path))
            {
                path = Path.Combine(folder, $"image{downloaded.Count}.jpg");
                await DownloadAsync(MediaLayout.UploadsContainer, ImageLayout.Stored(id), path, $"Photo {i + 1} ({id}) is no longer stored.", cancellationToken).ConfigureAwait(false);
                downloaded[id] = path;
            }

            images.Add(path);
        }

        var assets = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (url, blob) in job.Assets)
        {
            var path = Path.Combine(folder, $"asset{assets.Count}{Extension(url)}");
            await DownloadAsync(MediaLayout.Container, blob, path, $"The template's resource {url} is no longer stored.", cancellationToken).ConfigureAwait(false);
            assets[url] = path;
        }

        var music = job.Timeline.Music?.Url is { } musicUrl && assets.TryGetValue(musicUrl, out var musicPath) ? musicPath : null;
        return new RenderInputs(images, assets, music);
    }

    private async Task DownloadAsync(string container, string blob, string path, string missing, CancellationToken cancellationToken)
    {
        if (await blobs.GetInfoAsync(container, blob, cancellationToken).ConfigureAwait(false) is null)
        {
            throw new MediaRejectedException(missing);
        }

        await blobs.DownloadToFileAsync(container, blob, path, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The URL's file extension when it is a plain one (the decoder of a sticker image is chosen by it), else .png.</summary>
    private static string Extension(string url)
    {
        var path = Uri.TryCreate(url, UriKind.Absolute, out var uri) ? uri.AbsolutePath : url;
        var extension = Path.GetExtension(path).ToLowerInvariant();
        return extension is { Length: >= 2 and <= 6 } && extension[1..].All(char.IsAsciiLetterOrDigit) ? extension : ".png";
    }
}
