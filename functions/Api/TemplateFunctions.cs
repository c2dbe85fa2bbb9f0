using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Serverless.Http;
using Serverless.Identity;
using Serverless.Templates;
using Serverless.Templates.Library;
using Serverless.Templates.Protocol;

namespace Serverless.Functions.Api;

/// <summary>Motion templates: the client's manifest, recommendations and timelines.</summary>
[Authorize(Policy = AuthPolicies.User)]
internal sealed class TemplateFunctions(TemplateRequests templates)
{
    /// <summary>The library's online templates changed after <c>since</c> (all when absent), with a strong ETag, gzip when asked.</summary>
    [Function(nameof(TemplateManifest))]
    public async Task<IResult> TemplateManifest(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "templates/manifest")] HttpRequest req, CancellationToken cancellationToken)
    {
        var since = req.Query.TryGetValue("since", out var raw) ? raw.ToString() : null;
        var manifest = await templates.GetManifestAsync(since, cancellationToken).ConfigureAwait(false);
        if (manifest.Problem is { } bad)
        {
            return bad.ToHttp();
        }

        var body = manifest.Value!;
        var gzip = HttpBinding.AcceptsGzip(req);
        var etag = gzip ? body.GzipETag : body.ETag;
        var headers = req.HttpContext.Response.Headers;
        headers.ETag = etag;
        headers.CacheControl = "private, no-cache";
        headers.Vary = "Accept-Encoding";
        if (HttpBinding.IfNoneMatch(req, etag))
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

    [Function(nameof(TemplateRecommendations))]
    public async Task<IResult> TemplateRecommendations(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "templates/recommendations")] HttpRequest req, CancellationToken cancellationToken)
    {
        var imageCount = HttpBinding.QueryInt(req, "imageCount");
        var count = HttpBinding.QueryInt(req, "count");
        if ((imageCount.Problem ?? count.Problem) is { } bad)
        {
            return bad.ToHttp();
        }

        var recommended = await templates.RecommendAsync(
            req.HttpContext.User.GetUserId(), imageCount.Value, HttpBinding.Query(req, "category"), HttpBinding.Query(req, "tags"), count.Value, cancellationToken).ConfigureAwait(false);
        return recommended.ToHttp(r => TypedResults.Json(r, TemplateJson.Options));
    }

    [Function(nameof(TemplateTimeline))]
    public async Task<IResult> TemplateTimeline(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "templates/{id}/timeline")] HttpRequest req, string id, CancellationToken cancellationToken)
    {
        var body = await HttpBinding.ReadBytesAsync(req, TemplateRequests.MaxTimelineRequestBytes, TemplateRequests.BodyTooLarge(TemplateRequests.MaxTimelineRequestBytes), cancellationToken)
            .ConfigureAwait(false);
        var request = body.Problem is { } tooLarge ? tooLarge : TemplateRequests.Parse<TimelineRequest>(body.Value!);
        if (request.Problem is { } bad)
        {
            return bad.ToHttp();
        }

        var timeline = await templates.ExpandAsync(id, request.Value!, cancellationToken).ConfigureAwait(false);
        return timeline.ToHttp(t => TypedResults.Json(t, TemplateJson.Options));
    }
}

/// <summary>The operators' template library: staging, publish, unpublish, asset registration.</summary>
[Authorize(Policy = AuthPolicies.Operator)]
internal sealed class TemplateAdminFunctions(TemplateRequests templates)
{
    [Function(nameof(AdminTemplatesGet))]
    public async Task<IResult> AdminTemplatesGet(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "operator/templates/{id}")] HttpRequest req, string id, CancellationToken cancellationToken)
    {
        var staged = await templates.GetStagingAsync(id, cancellationToken).ConfigureAwait(false);
        return staged.ToHttp(s =>
        {
            req.HttpContext.Response.Headers.ETag = s.ETag;
            return TypedResults.Json(TemplateRequests.ToResponse(s), TemplateJson.Options);
        });
    }

    [Function(nameof(AdminTemplatesPut))]
    public async Task<IResult> AdminTemplatesPut(
        [HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "operator/templates/{id}")] HttpRequest req, string id, CancellationToken cancellationToken)
    {
        var body = await HttpBinding.ReadBytesAsync(req, TemplateLimits.MaxTemplateBytes, TemplateRequests.TemplateTooLarge, cancellationToken).ConfigureAwait(false);
        if (body.Problem is { } tooLarge)
        {
            return tooLarge.ToHttp();
        }

        var saved = await templates.SaveStagingAsync(id, body.Value!, HttpBinding.IfMatch(req), cancellationToken).ConfigureAwait(false);
        return saved.ToHttp(outcome =>
        {
            req.HttpContext.Response.Headers.ETag = outcome.Saved!.ETag;
            return TypedResults.Json(
                TemplateRequests.ToResponse(outcome.Saved),
                TemplateJson.Options,
                statusCode: outcome.Status == SaveStatus.Created ? StatusCodes.Status201Created : StatusCodes.Status200OK);
        });
    }

    [Function(nameof(AdminTemplatePublish))]
    public async Task<IResult> AdminTemplatePublish(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "operator/templates/{id}/publish")] HttpRequest req, string id, CancellationToken cancellationToken) =>
        (await templates.PublishAsync(id, HttpBinding.IfMatch(req), cancellationToken).ConfigureAwait(false)).ToHttp(p => TypedResults.Json(p, TemplateJson.Options));

    [Function(nameof(AdminTemplateUnpublish))]
    public async Task<IResult> AdminTemplateUnpublish(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "operator/templates/{id}/unpublish")] HttpRequest req, string id, CancellationToken cancellationToken) =>
        (await templates.UnpublishAsync(id, cancellationToken).ConfigureAwait(false)).ToHttp(p => TypedResults.Json(p, TemplateJson.Options));

    [Function(nameof(AdminTemplateAssets))]
    public async Task<IResult> AdminTemplateAssets(
        [HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "operator/template-assets")] HttpRequest req, CancellationToken cancellationToken)
    {
        var body = await HttpBinding.ReadBytesAsync(req, TemplateRequests.MaxAssetRequestBytes, TemplateRequests.BodyTooLarge(TemplateRequests.MaxAssetRequestBytes), cancellationToken)
            .ConfigureAwait(false);
        var request = body.Problem is { } tooLarge ? tooLarge : TemplateRequests.Parse<AssetRegistration>(body.Value!);
        if (request.Problem is { } bad)
        {
            return bad.ToHttp();
        }

        var registered = await templates.RegisterAssetsAsync(request.Value!, cancellationToken).ConfigureAwait(false);
        return registered.ToHttp(r => TypedResults.Json(r, TemplateJson.Options));
    }
}
