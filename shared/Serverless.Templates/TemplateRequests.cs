using System.Text.Json;
using System.Text.Json.Serialization;
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

/// <summary>
/// The template library's requests as the API makes them: the client's sync, recommendations and timelines, and the
/// operators' staging, publishing and asset registration, each checked against the protocol's limits and answered with
/// its result or the problem that stopped it.
/// </summary>
internal sealed class TemplateRequests(ITemplateLibrary library, IOnlineLibrary online, ITemplateRecommender recommender, IAssetRegistry registry)
{
    /// <summary>Most recommendations per request.</summary>
    public const int MaxRecommendations = 50;
    public const int MaxAssetsPerRequest = 500;

    /// <summary>Largest body of a timeline request, in bytes.</summary>
    public const int MaxTimelineRequestBytes = 4096;

    /// <summary>Largest body of an asset registration, in bytes.</summary>
    public const int MaxAssetRequestBytes = 1024 * 1024;

    private const string ProblemPrefix = "templates/";

    /// <summary>The answer to a request body over <paramref name="maxBytes"/>.</summary>
    public static Problem BodyTooLarge(int maxBytes) =>
        Problems.Create(413, ProblemPrefix + "body-too-large", "The request body is too large.", $"At most {maxBytes} bytes.");

    /// <summary>The answer to a template over the protocol's size.</summary>
    public static Problem TemplateTooLarge { get; } = Problems.Create(413, ProblemPrefix + "template-too-large", "The template is too large.",
        $"A template is at most {TemplateLimits.MaxTemplateBytes} bytes of JSON.");

    /// <summary>A request body in the protocol's JSON (its names and enums).</summary>
    public static Result<T> Parse<T>(byte[] json)
        where T : class
    {
        try
        {
            var value = JsonSerializer.Deserialize<T>(json, TemplateJson.Options);
            return value is null ? Problems.BadRequest(ProblemPrefix + "body-invalid", "A JSON object is required.") : value;
        }
        catch (JsonException ex)
        {
            return Invalid("body-invalid", "The request body cannot be read.", [new TemplateError(TemplateJson.TrimPath(ex.Path), ex.Message.Split(" Path:")[0])]);
        }
    }

    /// <summary>The manifest changed after <paramref name="since"/> (every online template when null), as the snapshot serves it.</summary>
    public async Task<Result<ManifestBody>> GetManifestAsync(string? since, CancellationToken cancellationToken)
    {
        long? version = null;
        if (since is not null)
        {
            if (!long.TryParse(since, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var value))
            {
                return Problems.BadRequest(ProblemPrefix + "manifest-since-invalid", "'since' must be a library version: a non-negative integer.");
            }

            version = value;
        }

        var snapshot = await online.GetAsync(cancellationToken).ConfigureAwait(false);
        return snapshot.GetManifest(version);
    }

    public async Task<Result<TemplateRecommendations>> RecommendAsync(
        string userId, int? imageCount, string? category, string? tags, int? count, CancellationToken cancellationToken)
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
        return await recommender.RecommendAsync(userId, request, cancellationToken).ConfigureAwait(false);
    }

    public async Task<Result<TemplateTimeline>> ExpandAsync(string id, TimelineRequest request, CancellationToken cancellationToken)
    {
        if (request.ImageCount < 1 || request.ImageCount > TemplateLimits.MaxImageCount)
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

        return TimelineExpander.Expand(template.Template, request.ImageCount);
    }

    public async Task<Result<StagedTemplate>> GetStagingAsync(string id, CancellationToken cancellationToken) =>
        await library.GetStagingAsync(id, cancellationToken).ConfigureAwait(false) is { } staged
            ? staged
            : Problems.NotFound(ProblemPrefix + "template-not-found", $"No staging template '{id}'.");

    /// <summary>Saves a template to staging (its JSON as sent); <paramref name="ifMatch"/> is required to overwrite.</summary>
    public async Task<Result<SaveOutcome>> SaveStagingAsync(string id, byte[] json, string? ifMatch, CancellationToken cancellationToken)
    {
        var parsed = TemplateJson.Parse(json);
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

        var outcome = await library.SaveStagingAsync(parsed.Template, ifMatch, cancellationToken).ConfigureAwait(false);
        return outcome.Status switch
        {
            SaveStatus.PreconditionRequired => Problems.Create(428, ProblemPrefix + "precondition-required", "Precondition required.",
                $"Template '{id}' exists: send If-Match with its ETag (GET /api/operator/templates/{id}) so no edit is lost."),
            SaveStatus.PreconditionFailed => Problems.PreconditionFailed(ProblemPrefix + "precondition-failed", $"Template '{id}' changed since that ETag; reload it and edit again."),
            _ => outcome,
        };
    }

    public async Task<Result<PublishResponse>> PublishAsync(string id, string? ifMatch, CancellationToken cancellationToken) =>
        await ToPublishResultAsync(id, await library.PublishAsync(id, ifMatch, cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);

    public async Task<Result<PublishResponse>> UnpublishAsync(string id, CancellationToken cancellationToken) =>
        await ToPublishResultAsync(id, await library.UnpublishAsync(id, cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);

    public async Task<Result<AssetRegistration>> RegisterAssetsAsync(AssetRegistration request, CancellationToken cancellationToken)
    {
        var assets = request.Assets ?? [];
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

        return request;
    }

    public static AdminTemplateResponse ToResponse(StagedTemplate staged) => new(staged.Template, staged.Revision, staged.UpdatedAt, staged.Online);

    /// <summary>After a change this instance serves it at once; other instances follow within <see cref="TemplatesOptions.RefreshSeconds"/>.</summary>
    private async Task<Result<PublishResponse>> ToPublishResultAsync(string id, PublishOutcome outcome, CancellationToken cancellationToken)
    {
        if (outcome.Status == PublishStatus.Published)
        {
            await online.RefreshAsync(cancellationToken).ConfigureAwait(false);
        }

        return outcome.Status switch
        {
            PublishStatus.Published or PublishStatus.Unchanged => new PublishResponse(id, outcome.Revision, outcome.LibraryVersion, outcome.Status == PublishStatus.Published),
            PublishStatus.NotFound => Problems.NotFound(ProblemPrefix + "template-not-found", $"No template '{id}' to do that to."),
            PublishStatus.PreconditionFailed => Problems.PreconditionFailed(ProblemPrefix + "precondition-failed",
                $"Staging holds revision {outcome.Revision} of '{id}', not the one named by If-Match."),
            PublishStatus.Conflict => Problems.Conflict(ProblemPrefix + "publish-conflict", $"A newer revision ({outcome.Revision}) of '{id}' is already online."),
            _ => Invalid("template-invalid", "The template cannot be published.", outcome.Errors),
        };
    }

    private static Problem Invalid(string type, string detail, IReadOnlyList<TemplateError> errors) =>
        Problems.BadRequest(ProblemPrefix + type, detail + " " + string.Join("; ", errors.Take(3)), new Dictionary<string, object?>
        {
            ["errors"] = errors.Take(TemplateLimits.MaxReportedErrors).Select(e => new Dictionary<string, string> { ["path"] = e.Path, ["message"] = e.Message }).ToList(),
        });
}
