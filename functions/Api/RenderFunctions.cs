using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using Serverless.Http;
using Serverless.Identity;
using Serverless.Pipeline;
using Serverless.Rendering;
using Serverless.Rendering.Images;

namespace Serverless.Functions.Api;

/// <summary>Making a video from photos: the photos, the render request, and the operators' stored template resources.</summary>
[Authorize(Policy = AuthPolicies.User)]
internal sealed class RenderFunctions(ImageIntake intake, ImageRepository images, RenderService renders, PipelineStarter starter)
{
    /// <summary>A photo, as <c>wx.uploadFile</c> sends it (multipart/form-data): checked, turned upright and stored, or refused with the reason.</summary>
    [Function(nameof(UploadImage))]
    [DisableRequestSizeLimit]
    public async Task<IResult> UploadImage(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "images")] HttpRequest req, CancellationToken cancellationToken) =>
        (await intake.ReceiveAsync(req.HttpContext.User.GetUserId(), req.Body, req.ContentType, req.ContentLength, cancellationToken).ConfigureAwait(false))
            .ToHttp(i => TypedResults.Created($"/api/images/{i.ImageId}", ImageResponse.From(i)));

    /// <summary>One of the caller's photos; others' photos do not exist for them.</summary>
    [Function(nameof(GetImage))]
    public async Task<IResult> GetImage(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "images/{imageId}")] HttpRequest req, string imageId, CancellationToken cancellationToken) =>
        await images.GetAsync(imageId, cancellationToken).ConfigureAwait(false) is { } image && image.OwnerId == req.HttpContext.User.GetUserId()
            ? TypedResults.Ok(ImageResponse.From(image))
            : Problems.NotFound("image-not-found", "No such photo.").ToHttp();

    /// <summary>A template rendered with the caller's photos: a video that then goes through the pipeline like an upload.</summary>
    [Function(nameof(CreateRender))]
    public async Task<IResult> CreateRender(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "renders")] HttpRequest req,
        [DurableClient] DurableTaskClient durable,
        CancellationToken cancellationToken)
    {
        var body = await HttpBinding.ReadJsonAsync<RenderRequest>(req, cancellationToken).ConfigureAwait(false);
        if (body.Problem is { } bad)
        {
            return bad.ToHttp();
        }

        var created = await renders.CreateAsync(req.HttpContext.User.GetUserId(), body.Value!, cancellationToken).ConfigureAwait(false);
        if (created.Value is { } accepted)
        {
            // Started here rather than by the source's BlobCreated event (which arrives too and finds it started): seconds earlier.
            await starter.StartAsync(durable, accepted.VideoId, cancellationToken).ConfigureAwait(false);
        }

        return created.ToHttp(a => TypedResults.Accepted($"/api/videos/{a.VideoId}", a));
    }
}

/// <summary>The bytes of the template resources the server renders (stickers' images, music), by content hash.</summary>
[Authorize(Policy = AuthPolicies.Operator)]
internal sealed class RenderAssetFunctions(RenderAssets assets)
{
    [Function(nameof(PutTemplateAssetContent))]
    [DisableRequestSizeLimit]
    public async Task<IResult> PutTemplateAssetContent(
        [HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "operator/template-assets/{sha256}")] HttpRequest req, string sha256, CancellationToken cancellationToken)
    {
        var body = await HttpBinding.ReadBytesAsync(req, RenderAssetLayout.MaxBytes,
            Problems.Create(413, "asset-too-large", "The resource is too large.", $"Template resources are at most {RenderAssetLayout.MaxBytes} bytes."), cancellationToken).ConfigureAwait(false);
        if (body.Problem is { } tooLarge)
        {
            return tooLarge.ToHttp();
        }

        return (await assets.PutAsync(sha256, body.Value!, cancellationToken).ConfigureAwait(false)).ToHttp(_ => TypedResults.NoContent());
    }
}
