using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using Serverless.Identity;
using Serverless.Pipeline;

namespace Serverless.Functions.Api;

/// <summary>Uploads, status, listing, delete, and the operator's reprocess.</summary>
[Authorize(Policy = AuthPolicies.User)]
internal sealed class VideoFunctions(UploadService uploads, IVideoCatalog catalog, VideoLifecycle lifecycle)
{
    [Function("CreateUpload")]
    public async Task<IResult> CreateUploadAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "uploads")] HttpRequest req, CancellationToken cancellationToken)
    {
        var (body, problem) = await HttpBinding.ReadJsonAsync<CreateUploadRequest>(req, cancellationToken).ConfigureAwait(false);
        return problem ?? (IResult)await UploadsApi.CreateUploadAsync(body!, req.HttpContext.User, uploads, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The file itself, as <c>wx.uploadFile</c> sends it; the service enforces the upload's own limit.</summary>
    [Function("UploadFile")]
    [DisableRequestSizeLimit]
    public async Task<IResult> UploadFileAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "uploads/{videoId}/file")] HttpRequest req, string videoId, CancellationToken cancellationToken) =>
        await UploadsApi.UploadFileAsync(videoId, req.HttpContext, uploads, cancellationToken).ConfigureAwait(false);

    [Function("GetVideo")]
    public async Task<IResult> GetVideoAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "videos/{videoId}")] HttpRequest req, string videoId, CancellationToken cancellationToken) =>
        await UploadsApi.GetVideoAsync(videoId, req.HttpContext.User, catalog, cancellationToken).ConfigureAwait(false);

    [Function("ListVideos")]
    public async Task<IResult> ListVideosAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "videos")] HttpRequest req, CancellationToken cancellationToken)
    {
        if (!HttpBinding.TryQueryInt(req, "count", out var count, out var problem))
        {
            return problem!;
        }

        return await UploadsApi.ListVideosAsync(catalog, cancellationToken, count, HttpBinding.Query(req, "cursor")).ConfigureAwait(false);
    }

    [Function("DeleteVideo")]
    public async Task<IResult> DeleteVideoAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "videos/{videoId}")] HttpRequest req,
        string videoId,
        [DurableClient] DurableTaskClient durable,
        CancellationToken cancellationToken) =>
        await UploadsApi.DeleteVideoAsync(videoId, req.HttpContext.User, lifecycle, durable, cancellationToken).ConfigureAwait(false);

    /// <summary>An operator runs the pipeline again (a new orchestration of the video's instance id).</summary>
    [Function("ReprocessVideo")]
    [Authorize(Policy = AuthPolicies.Operator)]
    public async Task<IResult> ReprocessVideoAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "operator/videos/{videoId}/reprocess")] HttpRequest req,
        string videoId,
        [DurableClient] DurableTaskClient durable,
        CancellationToken cancellationToken) =>
        await UploadsApi.ReprocessVideoAsync(videoId, lifecycle, durable, cancellationToken).ConfigureAwait(false);
}
