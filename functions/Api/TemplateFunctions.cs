using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Serverless.Identity;
using Serverless.Templates;
using Serverless.Templates.Library;
using Serverless.Templates.Recommendations;
using Serverless.Templates.Sync;

namespace Serverless.Functions.Api;

/// <summary>Motion templates: the client's manifest, recommendations and timelines.</summary>
[Authorize(Policy = AuthPolicies.User)]
internal sealed class TemplateFunctions(IOnlineLibrary online, ITemplateRecommender recommender)
{
    [Function("TemplateManifest")]
    public async Task<IResult> GetManifestAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "templates/manifest")] HttpRequest req, CancellationToken cancellationToken) =>
        await TemplatesApi.GetManifest(req.HttpContext, online, cancellationToken).ConfigureAwait(false);

    [Function("TemplateRecommendations")]
    public async Task<IResult> GetRecommendationsAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "templates/recommendations")] HttpRequest req, CancellationToken cancellationToken)
    {
        if (!HttpBinding.TryQueryInt(req, "imageCount", out var imageCount, out var problem) || !HttpBinding.TryQueryInt(req, "count", out var count, out problem))
        {
            return problem!;
        }

        return await TemplatesApi.GetRecommendations(
            req.HttpContext, recommender, imageCount, HttpBinding.Query(req, "category"), HttpBinding.Query(req, "tags"), count, cancellationToken).ConfigureAwait(false);
    }

    [Function("TemplateTimeline")]
    public async Task<IResult> PostTimelineAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "templates/{id}/timeline")] HttpRequest req, string id, CancellationToken cancellationToken) =>
        await TemplatesApi.PostTimeline(req.HttpContext, id, online, cancellationToken).ConfigureAwait(false);
}

/// <summary>The operators' template library: staging, publish, unpublish, asset registration.</summary>
[Authorize(Policy = AuthPolicies.Operator)]
internal sealed class TemplateAdminFunctions(ITemplateLibrary library, IOnlineLibrary online, IAssetRegistry registry)
{
    [Function("AdminTemplatesGet")]
    public async Task<IResult> GetStagingAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "operator/templates/{id}")] HttpRequest req, string id, CancellationToken cancellationToken) =>
        await TemplatesApi.GetStaging(req.HttpContext, id, library, cancellationToken).ConfigureAwait(false);

    [Function("AdminTemplatesPut")]
    public async Task<IResult> PutStagingAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "operator/templates/{id}")] HttpRequest req, string id, CancellationToken cancellationToken) =>
        await TemplatesApi.PutStaging(req.HttpContext, id, library, cancellationToken).ConfigureAwait(false);

    [Function("AdminTemplatePublish")]
    public async Task<IResult> PublishAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "operator/templates/{id}/publish")] HttpRequest req, string id, CancellationToken cancellationToken) =>
        await TemplatesApi.Publish(req.HttpContext, id, library, online, cancellationToken).ConfigureAwait(false);

    [Function("AdminTemplateUnpublish")]
    public async Task<IResult> UnpublishAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "operator/templates/{id}/unpublish")] HttpRequest req, string id, CancellationToken cancellationToken) =>
        await TemplatesApi.Unpublish(id, library, online, cancellationToken).ConfigureAwait(false);

    [Function("AdminTemplateAssets")]
    public async Task<IResult> PutAssetsAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "operator/template-assets")] HttpRequest req, CancellationToken cancellationToken) =>
        await TemplatesApi.PutAssets(req.HttpContext, registry, cancellationToken).ConfigureAwait(false);
}
