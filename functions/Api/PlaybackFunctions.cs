using System.Globalization;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Options;
using Serverless.Http;
using Serverless.Identity;
using Serverless.Media;
using Serverless.Playback;
using Serverless.Videos;

namespace Serverless.Functions.Api;

/// <summary>
/// Signed playback: the playback grant (signed-in users) and the signed playlists the player fetches (anonymous: the token
/// in the query string is the credential, since a mini-program &lt;video&gt; cannot send headers).
/// </summary>
internal sealed class PlaybackFunctions(
    PlaybackService playback, IOptions<PlaybackOptions> options, IPlaybackTokens tokens, PlaylistAccess access, SignedPlaylists playlists, TimeProvider time)
{
    /// <summary>Longest a private cache may keep a playlist, in seconds; never past the token's expiry either.</summary>
    public const int MaxPlaylistAgeSeconds = 300;

    private static readonly Problem VideoNotFound = Problems.NotFound("video-not-found", "No video has this id.");

    [Function(nameof(GetPlayback))]
    [Authorize(Policy = AuthPolicies.User)]
    public async Task<IResult> GetPlayback(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "videos/{videoId}/playback")] HttpRequest req, string videoId, CancellationToken cancellationToken)
    {
        req.HttpContext.Response.Headers.CacheControl = "no-store";
        if (!VideoIds.IsValid(videoId))
        {
            return Problems.BadRequest("invalid-video-id", "A video id is 32 lowercase hexadecimal characters.").ToHttp();
        }

        var lookup = await playback.GetAsync(videoId, req.HttpContext.User.GetUserId(), cancellationToken).ConfigureAwait(false);
        return lookup switch
        {
            PlaybackLookup.Playable p => TypedResults.Ok(new PlaybackResponse(MasterUrl(req, videoId, p.Token.Value), p.Token.ExpiresAt, p.PosterUrl)),
            PlaybackLookup.NotReady n => Problems.Conflict(
                "video-not-ready",
                n.Status switch
                {
                    VideoStatus.Failed => "The video failed processing and cannot be played.",
                    VideoStatus.Rejected => "The video was rejected by the content review and cannot be played.",
                    _ => "The video is not ready for playback yet.",
                },
                new Dictionary<string, object?> { ["status"] = n.Status.ToString(), ["error"] = n.Error }).ToHttp(),
            _ => VideoNotFound.ToHttp(),
        };
    }

    /// <summary>The master playlist; the query's token is the credential (a mini-program &lt;video&gt; sends no headers).</summary>
    [Function(nameof(GetMasterPlaylist))]
    [AllowAnonymous]
    public async Task<IResult> GetMasterPlaylist(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "play/{videoId}/master.m3u8")] HttpRequest req, string videoId, CancellationToken cancellationToken)
    {
        var token = HttpBinding.Query(req, "token");
        var admitted = await AdmitAsync(req, videoId, token, cancellationToken).ConfigureAwait(false);
        if (admitted.Problem is { } refused)
        {
            return refused.ToHttp();
        }

        var playlist = await playlists.GetMasterAsync(videoId, token!, cancellationToken).ConfigureAwait(false);
        return Answer(req, playlist, admitted.Value.ExpiresAt);
    }

    /// <summary>A rendition's media playlist, its segments signed for direct reads from storage.</summary>
    [Function(nameof(GetMediaPlaylist))]
    [AllowAnonymous]
    public async Task<IResult> GetMediaPlaylist(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "play/{videoId}/{rendition}/index.m3u8")] HttpRequest req,
        string videoId,
        string rendition,
        CancellationToken cancellationToken)
    {
        var admitted = await AdmitAsync(req, videoId, HttpBinding.Query(req, "token"), cancellationToken).ConfigureAwait(false);
        if (admitted.Problem is { } refused)
        {
            return refused.ToHttp();
        }

        if (!PlaylistTemplates.IsValidRendition(rendition))
        {
            return Problems.NotFound("playlist-not-found", "The video has no such rendition.").ToHttp();
        }

        var playlist = await playlists.GetMediaAsync(videoId, rendition, admitted.Value.ExpiresAt, cancellationToken).ConfigureAwait(false);
        return Answer(req, playlist, admitted.Value.ExpiresAt);
    }

    /// <summary>
    /// The token's check when it opens this video's playlists now: 404 for a malformed or unknown id, 403 for the token, and
    /// what <see cref="PlaylistAccess"/> says of the video behind a genuine token (gone, its owner's alone, …).
    /// </summary>
    private async Task<Result<PlaybackTokenCheck>> AdmitAsync(HttpRequest request, string videoId, string? token, CancellationToken cancellationToken)
    {
        request.HttpContext.Response.Headers.CacheControl = "no-store";
        if (!VideoIds.IsValid(videoId))
        {
            return VideoNotFound;
        }

        var check = tokens.Validate(token, videoId);
        if (!check.IsValid)
        {
            return check.Status == PlaybackTokenStatus.Expired
                ? Problems.Forbidden("playback-token-expired", "The playback URL has expired; request a new one.")
                : Problems.Forbidden("playback-token-invalid", "The playback token is missing, malformed or not for this video.");
        }

        return await access.CheckAsync(videoId, check, cancellationToken).ConfigureAwait(false) switch
        {
            PlaylistAccessOutcome.Allowed => check,
            PlaylistAccessOutcome.Gone => Problems.Create(StatusCodes.Status410Gone, "video-gone", "The video can no longer be played."),
            PlaylistAccessOutcome.OwnerOnly => Problems.Forbidden("playback-owner-only", "Until it is published, the video plays only through its owner's playback URL."),
            _ => VideoNotFound,
        };
    }

    /// <summary>
    /// The signed playlist, private to the client and cacheable no longer than its token lives (capped at
    /// <see cref="MaxPlaylistAgeSeconds"/>), so no shared cache ever holds it and no private one keeps it past expiry. A
    /// playlist that still grows is <c>no-cache</c>: the player reloads it for the segments produced since.
    /// </summary>
    private IResult Answer(HttpRequest request, SignedPlaylist playlist, DateTimeOffset expiresAt)
    {
        if (playlist.Content is not { } content)
        {
            return (playlist.Malformed
                ? Problems.Create(StatusCodes.Status500InternalServerError, "playlist-unavailable", "The video's playlist cannot be served.")
                : Problems.NotFound("playlist-not-found", "The video has no such playlist.")).ToHttp();
        }

        var seconds = (long)Math.Floor((expiresAt - time.GetUtcNow()).TotalSeconds);
        request.HttpContext.Response.Headers.CacheControl = playlist.Growing
            ? "no-cache"
            : seconds > 0
            ? "private, max-age=" + Math.Min(seconds, MaxPlaylistAgeSeconds).ToString(CultureInfo.InvariantCulture)
            : "no-store";
        return TypedResults.Bytes(content, HlsContentTypes.Playlist);
    }

    private Uri MasterUrl(HttpRequest request, string videoId, string token)
    {
        var root = string.IsNullOrEmpty(options.Value.PublicBaseUrl)
            ? $"{request.Scheme}://{request.Host.ToUriComponent()}{request.PathBase.ToUriComponent()}"
            : options.Value.PublicBaseUrl.TrimEnd('/');
        return new Uri($"{root}/api/play/{videoId}/master.m3u8?token={token}");
    }
}
