using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Serverless.Http;
using Serverless.Identity;
using Serverless.Templates.Library;
using Serverless.Templates.Protocol;
using Serverless.Templates.Recommendations;
using Serverless.Templates.Sync;
using Serverless.Templates.Timeline;

namespace Serverless.Templates;

/// <summary>Body of <c>POST /api/templates/{id}/timeline</c>.</summary>
public sealed record TimelineRequest([property: JsonPropertyName("imageCount")] int ImageCount);

/// <summary>A staging template as operators see it.</summary>
public sealed record AdminTemplateResponse(
    [property: JsonPropertyName("template")] MotionTemplate Template,
    [property: JsonPropertyName("revision")] long Revision,
    [property: JsonPropertyName("updatedAt")] DateTimeOffset UpdatedAt,
    [property: JsonPropertyName("online")] OnlineStatus? Online);

public sealed record PublishResponse(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("revision")] long Revision,
    [property: JsonPropertyName("libraryVersion")] long LibraryVersion,
    [property: JsonPropertyName("changed")] bool Changed);

public sealed record AssetRegistration([property: JsonPropertyName("assets")] IReadOnlyList<TemplateAsset> Assets);

/// <summary>
/// The body of <c>GET /api/templates/manifest</c> (written by <see cref="Sync.LibrarySnapshot"/>; this type only describes
/// it): the library version to send back as <c>since</c>, whether it is a full list, the templates added or changed, the
/// ids removed since, and the resources the upserts use.
/// </summary>
public sealed record TemplateManifestDocument(
    [property: JsonPropertyName("version")] long Version,
    [property: JsonPropertyName("full")] bool Full,
    [property: JsonPropertyName("upserts")] IReadOnlyList<MotionTemplate> Upserts,
    [property: JsonPropertyName("removed")] IReadOnlyList<string> Removed,
    [property: JsonPropertyName("resources")] IReadOnlyList<TemplateAsset> Resources);

/// <summary>Routes of the template library: client sync, timeline and recommendations; operator editing and publishing.</summary>
internal static class TemplatesApi
{
    /// <summary>Most recommendations per request.</summary>
    public const int MaxRecommendations = 50;
    public const int MaxAssetsPerRequest = 500;

    private const string ProblemPrefix = "templates/";

    internal static async Task<Results<FileContentHttpResult, StatusCodeHttpResult, ProblemHttpResult>> GetManifest(
        HttpContext http, IOnlineLibrary online, CancellationToken cancellationToken)
    {
        long? since = null;
        if (http.Request.Query.TryGetValue("since", out var raw))
        {
            if (!long.TryParse(raw.ToString(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var value))
            {
                return Problems.BadRequest(ProblemPrefix + "manifest-since-invalid", "'since' must be a library version: a non-negative integer.");
            }

            since = value;
        }

        var snapshot = await online.GetAsync(cancellationToken).ConfigureAwait(false);
        var body = snapshot.GetManifest(since);
        var gzip = AcceptsGzip(http.Request);
        var etag = gzip ? body.GzipETag : body.ETag;
        var headers = http.Response.Headers;
        headers.ETag = etag;
        headers.CacheControl = "private, no-cache";
        headers.Vary = "Accept-Encoding";
        if (IfNoneMatch(http.Request, etag))
        {
            return TypedResults.StatusCode(StatusCodes.Status304NotModified);
        }

        if (gzip)
        {
            headers.ContentEncoding = "gzip";
            return TypedResults.Bytes(body.Gzip, "application/json");
        }

        return TypedResults.Bytes(body.Json, "application/json");
    }

    internal static async Task<Results<JsonHttpResult<TemplateRecommendations>, ProblemHttpResult>> GetRecommendations(
        HttpContext http, ITemplateRecommender recommender, int? imageCount, string? category, string? tags, int? count, CancellationToken cancellationToken)
    {
        if (imageCount is not { } n || n < 1 || n > TemplateLimits.MaxImageCount)
        {
            return Problems.BadRequest(ProblemPrefix + "image-count-invalid", $"'imageCount' must be between 1 and {TemplateLimits.MaxImageCount}.");
        }

        if (count is < 1 or > MaxRecommendations)
        {
            return Problems.BadRequest(ProblemPrefix + "recommendation-count-invalid", $"'count' must be between 1 and {MaxRecommendations}.");
        }

        var tagList = (tags ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (tagList.Length > TemplateLimits.MaxTags || tagList.Any(t => t.Length > TemplateLimits.MaxTagLength) || category?.Length > TemplateLimits.MaxTagLength)
        {
            return Problems.BadRequest(ProblemPrefix + "recommendation-query-invalid",
                $"At most {TemplateLimits.MaxTags} tags; tags and category at most {TemplateLimits.MaxTagLength} characters.");
        }

        var request = new RecommendationRequest(n, string.IsNullOrWhiteSpace(category) ? null : category.Trim(), tagList, count ?? 10);
        var result = await recommender.RecommendAsync(http.User.GetUserId(), request, cancellationToken).ConfigureAwait(false);
        return TypedResults.Json(result, TemplateJson.Options);
    }

    internal static async Task<Results<JsonHttpResult<TemplateTimeline>, ProblemHttpResult>> PostTimeline(
        HttpContext http, string id, IOnlineLibrary online, CancellationToken cancellationToken)
    {
        var (request, problem) = await ReadJsonAsync<TimelineRequest>(http, 4096, cancellationToken).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        if (request!.ImageCount < 1 || request.ImageCount > TemplateLimits.MaxImageCount)
        {
            return Problems.BadRequest(ProblemPrefix + "image-count-invalid", $"'imageCount' must be between 1 and {TemplateLimits.MaxImageCount}.");
        }

        var snapshot = await online.GetAsync(cancellationToken).ConfigureAwait(false);
        if (!snapshot.Templates.TryGetValue(id, out var template))
        {
            return Problems.NotFound(ProblemPrefix + "template-not-found", $"No online template '{id}'.");
        }

        if (!TimelineExpander.Supports(template.Template, request.ImageCount))
        {
            return Problems.BadRequest(ProblemPrefix + "image-count-unsupported",
                $"Template '{id}' shows {template.Template.EffectiveMinImageCount} to {template.Template.EffectiveMaxImageCount} images.",
                new Dictionary<string, object?> { ["minImageCount"] = template.Template.EffectiveMinImageCount, ["maxImageCount"] = template.Template.EffectiveMaxImageCount });
        }

        return TypedResults.Json(TimelineExpander.Expand(template.Template, request.ImageCount), TemplateJson.Options);
    }

    internal static async Task<Results<JsonHttpResult<AdminTemplateResponse>, ProblemHttpResult>> GetStaging(
        HttpContext http, string id, ITemplateLibrary library, CancellationToken cancellationToken)
    {
        var staged = await library.GetStagingAsync(id, cancellationToken).ConfigureAwait(false);
        if (staged is null)
        {
            return Problems.NotFound(ProblemPrefix + "template-not-found", $"No staging template '{id}'.");
        }

        http.Response.Headers.ETag = staged.ETag;
        return TypedResults.Json(ToResponse(staged), TemplateJson.Options);
    }

    internal static async Task<Results<JsonHttpResult<AdminTemplateResponse>, ProblemHttpResult>> PutStaging(
        HttpContext http, string id, ITemplateLibrary library, CancellationToken cancellationToken)
    {
        var (bytes, tooLarge) = await ReadBodyAsync(http.Request, TemplateLimits.MaxTemplateBytes, cancellationToken).ConfigureAwait(false);
        if (tooLarge)
        {
            return Problems.Create(StatusCodes.Status413PayloadTooLarge, ProblemPrefix + "template-too-large", "The template is too large.",
                $"A template is at most {TemplateLimits.MaxTemplateBytes} bytes of JSON.");
        }

        var parsed = TemplateJson.Parse(bytes);
        if (parsed.Template is null)
        {
            return Invalid("template-json-invalid", "The template JSON cannot be read.", parsed.Errors);
        }

        var errors = TemplateValidator.Validate(parsed.Template);
        if (parsed.Template.Id != id)
        {
            errors = [new TemplateError("id", $"must equal the id in the URL ('{id}')"), .. errors];
        }

        if (errors.Count > 0)
        {
            return Invalid("template-invalid", "The template breaks the protocol.", errors);
        }

        var outcome = await library.SaveStagingAsync(parsed.Template, IfMatch(http.Request), cancellationToken).ConfigureAwait(false);
        switch (outcome.Status)
        {
            case SaveStatus.PreconditionRequired:
                return Problems.Create(StatusCodes.Status428PreconditionRequired, ProblemPrefix + "precondition-required", "Precondition required.",
                    $"Template '{id}' exists: send If-Match with its ETag (GET /api/operator/templates/{id}) so no edit is lost.");
            case SaveStatus.PreconditionFailed:
                return Problems.PreconditionFailed(ProblemPrefix + "precondition-failed", $"Template '{id}' changed since that ETag; reload it and edit again.");
        }

        http.Response.Headers.ETag = outcome.Saved!.ETag;
        return TypedResults.Json(ToResponse(outcome.Saved), TemplateJson.Options,
            statusCode: outcome.Status == SaveStatus.Created ? StatusCodes.Status201Created : StatusCodes.Status200OK);
    }

    internal static async Task<Results<JsonHttpResult<PublishResponse>, ProblemHttpResult>> Publish(
        HttpContext http, string id, ITemplateLibrary library, IOnlineLibrary online, CancellationToken cancellationToken)
    {
        var outcome = await library.PublishAsync(id, IfMatch(http.Request), cancellationToken).ConfigureAwait(false);
        return await ToPublishResultAsync(id, outcome, online, cancellationToken).ConfigureAwait(false);
    }

    internal static async Task<Results<JsonHttpResult<PublishResponse>, ProblemHttpResult>> Unpublish(
        string id, ITemplateLibrary library, IOnlineLibrary online, CancellationToken cancellationToken)
    {
        var outcome = await library.UnpublishAsync(id, cancellationToken).ConfigureAwait(false);
        return await ToPublishResultAsync(id, outcome, online, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>After a change this instance serves it at once; other instances follow within <see cref="TemplatesOptions.RefreshSeconds"/>.</summary>
    private static async Task<Results<JsonHttpResult<PublishResponse>, ProblemHttpResult>> ToPublishResultAsync(
        string id, PublishOutcome outcome, IOnlineLibrary online, CancellationToken cancellationToken)
    {
        if (outcome.Status == PublishStatus.Published)
        {
            await online.RefreshAsync(cancellationToken).ConfigureAwait(false);
        }

        return ToPublishResult(id, outcome);
    }

    internal static async Task<Results<JsonHttpResult<AssetRegistration>, ProblemHttpResult>> PutAssets(
        HttpContext http, IAssetRegistry registry, CancellationToken cancellationToken)
    {
        var (request, problem) = await ReadJsonAsync<AssetRegistration>(http, 1024 * 1024, cancellationToken).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        var assets = request!.Assets ?? [];
        if (assets.Count is 0 or > MaxAssetsPerRequest)
        {
            return Problems.BadRequest(ProblemPrefix + "asset-invalid", $"Register 1 to {MaxAssetsPerRequest} assets at a time.");
        }

        var errors = new List<TemplateError>();
        for (var i = 0; i < assets.Count; i++)
        {
            var asset = assets[i];
            if (!Uri.TryCreate(asset.Url, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttps || asset.Url.Length > TemplateLimits.MaxUrlLength)
            {
                errors.Add(new TemplateError($"assets[{i}].url", "must be an absolute https:// URL"));
            }

            if (asset.Sha256 is not { Length: 64 } sha || !sha.All(char.IsAsciiHexDigitLower))
            {
                errors.Add(new TemplateError($"assets[{i}].sha256", "must be 64 lowercase hex digits"));
            }

            if (asset.Length < 0 || !Enum.IsDefined(asset.Kind))
            {
                errors.Add(new TemplateError($"assets[{i}]", "length must be 0 or more and kind one of shader, image, music"));
            }
        }

        if (errors.Count > 0)
        {
            return Invalid("asset-invalid", "Some assets are not valid.", errors);
        }

        foreach (var asset in assets)
        {
            await registry.RegisterAsync(asset, cancellationToken).ConfigureAwait(false);
        }

        return TypedResults.Json(request, TemplateJson.Options);
    }

    private static Results<JsonHttpResult<PublishResponse>, ProblemHttpResult> ToPublishResult(string id, PublishOutcome outcome) => outcome.Status switch
    {
        PublishStatus.Published or PublishStatus.Unchanged =>
            TypedResults.Json(new PublishResponse(id, outcome.Revision, outcome.LibraryVersion, outcome.Status == PublishStatus.Published), TemplateJson.Options),
        PublishStatus.NotFound => Problems.NotFound(ProblemPrefix + "template-not-found", $"No template '{id}' to do that to."),
        PublishStatus.PreconditionFailed => Problems.PreconditionFailed(ProblemPrefix + "precondition-failed",
            $"Staging holds revision {outcome.Revision} of '{id}', not the one named by If-Match."),
        PublishStatus.Conflict => Problems.Conflict(ProblemPrefix + "publish-conflict", $"A newer revision ({outcome.Revision}) of '{id}' is already online."),
        _ => Invalid("template-invalid", "The template cannot be published.", outcome.Errors),
    };

    private static ProblemHttpResult Invalid(string type, string detail, IReadOnlyList<TemplateError> errors) =>
        Problems.BadRequest(ProblemPrefix + type, detail + " " + string.Join("; ", errors.Take(3)), new Dictionary<string, object?>
        {
            ["errors"] = errors.Take(TemplateLimits.MaxReportedErrors).Select(e => new Dictionary<string, string> { ["path"] = e.Path, ["message"] = e.Message }).ToList(),
        });

    private static AdminTemplateResponse ToResponse(StagedTemplate staged) => new(staged.Template, staged.Revision, staged.UpdatedAt, staged.Online);

    private static async Task<(T? Value, ProblemHttpResult? Problem)> ReadJsonAsync<T>(HttpContext http, int maxBytes, CancellationToken cancellationToken)
        where T : class
    {
        var (bytes, tooLarge) = await ReadBodyAsync(http.Request, maxBytes, cancellationToken).ConfigureAwait(false);
        if (tooLarge)
        {
            return (null, Problems.Create(StatusCodes.Status413PayloadTooLarge, ProblemPrefix + "body-too-large", "The request body is too large.", $"At most {maxBytes} bytes."));
        }

        try
        {
            var value = JsonSerializer.Deserialize<T>(bytes, TemplateJson.Options);
            return value is null
                ? (null, Problems.BadRequest(ProblemPrefix + "body-invalid", "A JSON object is required."))
                : (value, null);
        }
        catch (JsonException ex)
        {
            return (null, Invalid("body-invalid", "The request body cannot be read.", [new TemplateError(TemplateJson.TrimPath(ex.Path), ex.Message.Split(" Path:")[0])]));
        }
    }

    private static async Task<(byte[] Bytes, bool TooLarge)> ReadBodyAsync(HttpRequest request, int maxBytes, CancellationToken cancellationToken)
    {
        if (request.ContentLength > maxBytes)
        {
            return ([], true);
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > maxBytes)
            {
                return ([], true);
            }

            buffer.Write(chunk, 0, read);
        }

        return (buffer.ToArray(), false);
    }

    private static string? IfMatch(HttpRequest request) =>
        request.Headers.IfMatch is { Count: > 0 } values ? values.ToString().Trim() : null;

    private static bool IfNoneMatch(HttpRequest request, string etag)
    {
        var header = request.Headers.IfNoneMatch;
        if (header.Count == 0)
        {
            return false;
        }

        foreach (var value in header)
        {
            foreach (var range in (value ?? string.Empty).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                // If-None-Match uses the weak comparison (RFC 9110 §13.1.2).
                var tag = range.StartsWith("W/", StringComparison.Ordinal) ? range[2..] : range;
                if (tag == "*" || tag == etag)
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static bool AcceptsGzip(HttpRequest request)
    {
        foreach (var value in request.Headers.AcceptEncoding)
        {
            if (value is not null && value.Contains("gzip", StringComparison.OrdinalIgnoreCase) && !value.Contains("gzip;q=0", StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }
}
