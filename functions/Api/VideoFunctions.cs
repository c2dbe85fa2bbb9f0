using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using Serverless.Http;
using Serverless.Identity;
using Serverless.Pipeline;
using Serverless.Videos;

namespace Serverless.Functions.Api;

/// <summary>Uploads, status, listing, delete, and the operator's reprocess.</summary>
[Authorize(Policy = AuthPolicies.User)]
internal sealed class VideoFunctions(UploadService uploads, ChunkedUploadService chunks, VideoQueries videos, VideoLifecycle lifecycle)
{
    /// <summary>An upload: its video id and a create-only upload URL for exactly its source blob.</summary>
    [Function(nameof(CreateUpload))]
    public async Task<IResult> CreateUpload(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "uploads")] HttpRequest req, CancellationToken cancellationToken)
    {
        var body = await HttpBinding.ReadJsonAsync<CreateUploadRequest>(req, cancellationToken).ConfigureAwait(false);
        if (body.Problem is { } bad)
        {
            return bad.ToHttp();
        }

        var created = await uploads.CreateAsync(req.HttpContext.User.GetUserId(), body.Value!, cancellationToken).ConfigureAwait(false);
        return created.ToHttp(c => TypedResults.Created($"/api/videos/{c.VideoId}", c));
    }

    /// <summary>The file itself, as <c>wx.uploadFile</c> sends it (multipart/form-data); the service enforces the upload's own limit.</summary>
    [Function(nameof(UploadFile))]
    [DisableRequestSizeLimit]
    public async Task<IResult> UploadFile(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "uploads/{videoId}/file")] HttpRequest req, string videoId, CancellationToken cancellationToken)
    {
        var accepted = await uploads.ReceiveMultipartAsync(
            req.HttpContext.User.GetUserId(), videoId, req.Body, req.ContentType, req.ContentLength, cancellationToken).ConfigureAwait(false);
        return accepted.ToHttp(a => TypedResults.Accepted($"/api/videos/{videoId}", a));
    }

    /// <summary>
    /// One chunk of a chunked upload, its bytes as the body and its MD5 as <c>Content-MD5</c>; staged, not yet the file.
    /// The body limit is the chunk's size, which the service enforces.
    /// </summary>
    [Function(nameof(PutUploadChunk))]
    [DisableRequestSizeLimit]
    public async Task<IResult> PutUploadChunk(
        [HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "uploads/{videoId}/chunks/{index}")] HttpRequest req,
        string videoId,
        string index,
        CancellationToken cancellationToken) =>
        (await chunks.ReceiveChunkAsync(
            req.HttpContext.User.GetUserId(),
            videoId,
            int.TryParse(index, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var i) ? i : -1,
            req.Body, req.ContentLength, req.Headers.ContentMD5, cancellationToken).ConfigureAwait(false))
            .ToHttp(_ => TypedResults.NoContent());

    /// <summary>The chunks the app holds: what a client resuming an upload need not send again.</summary>
    [Function(nameof(ListUploadChunks))]
    public async Task<IResult> ListUploadChunks(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "uploads/{videoId}/chunks")] HttpRequest req, string videoId, CancellationToken cancellationToken) =>
        (await chunks.ListAsync(req.HttpContext.User.GetUserId(), videoId, cancellationToken).ConfigureAwait(false)).ToHttp(c => TypedResults.Ok(c));

    /// <summary>Every chunk arrived: they become the upload's file, in order, and the pipeline starts.</summary>
    [Function(nameof(CompleteUpload))]
    public async Task<IResult> CompleteUpload(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "uploads/{videoId}/complete")] HttpRequest req, string videoId, CancellationToken cancellationToken) =>
        (await chunks.CompleteAsync(req.HttpContext.User.GetUserId(), videoId, cancellationToken).ConfigureAwait(false))
            .ToHttp(a => TypedResults.Accepted($"/api/videos/{videoId}", a));

    [Function(nameof(GetVideo))]
    public async Task<IResult> GetVideo(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "videos/{videoId}")] HttpRequest req, string videoId, CancellationToken cancellationToken) =>
        (await videos.GetAsync(videoId, req.HttpContext.User.GetUserId(), cancellationToken).ConfigureAwait(false))
            .ToHttp(v => TypedResults.Ok(VideoStatusResponse.From(v)));

    /// <summary>Ready videos, newest first.</summary>
    [Function(nameof(ListVideos))]
    public async Task<IResult> ListVideos(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "videos")] HttpRequest req, CancellationToken cancellationToken)
    {
        var count = HttpBinding.QueryInt(req, "count");
        if (count.Problem is { } bad)
        {
            return bad.ToHttp();
        }

        var page = await videos.ListReadyAsync(count.Value, HttpBinding.Query(req, "cursor"), cancellationToken).ConfigureAwait(false);
        return page.ToHttp(p => TypedResults.Ok(new VideoListResponse(p.Items.Select(VideoStatusResponse.From).ToList(), p.Cursor)));
    }

    /// <summary>The owner deletes their video: unpublished at once, then its media and source are deleted.</summary>
    [Function(nameof(DeleteVideo))]
    public async Task<IResult> DeleteVideo(
        [HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "videos/{videoId}")] HttpRequest req,
        string videoId,
        [DurableClient] DurableTaskClient durable,
        CancellationToken cancellationToken)
    {
        var deleted = VideoIds.IsValid(videoId)
            && await lifecycle.DeleteAsync(req.HttpContext.User.GetUserId(), videoId, durable, cancellationToken).ConfigureAwait(false) == LifecycleOutcome.Done;
        return deleted ? TypedResults.NoContent() : VideoQueries.NotFound.ToHttp();
    }

    /// <summary>An operator runs the pipeline again for a Ready or Failed video (a new orchestration of the video's instance id).</summary>
    [Function(nameof(ReprocessVideo))]
    [Authorize(Policy = AuthPolicies.Operator)]
    public async Task<IResult> ReprocessVideo(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "operator/videos/{videoId}/reprocess")] HttpRequest req,
        string videoId,
        [DurableClient] DurableTaskClient durable,
        CancellationToken cancellationToken)
    {
        var outcome = VideoIds.IsValid(videoId) ? await lifecycle.ReprocessAsync(durable, videoId, cancellationToken).ConfigureAwait(false) : LifecycleOutcome.NotFound;
        return outcome switch
        {
            LifecycleOutcome.Done => TypedResults.Accepted($"/api/videos/{videoId}"),
            LifecycleOutcome.Conflict => Problems.Conflict("video-not-reprocessable", "Only Ready or Failed videos can be reprocessed.").ToHttp(),
            _ => VideoQueries.NotFound.ToHttp(),
        };
    }
}
