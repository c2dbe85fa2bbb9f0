using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Serverless.Identity;
using Microsoft.Extensions.Options;
using Serverless.Playback;

namespace Serverless.Functions.Api;

/// <summary>Signed playback: the playback URL for a signed-in user, and the playlists its token opens.</summary>
internal sealed class PlaybackFunctions(
    PlaybackService playback, IOptions<PlaybackOptions> options, IPlaybackTokens tokens, PlaylistAccess access, SignedPlaylists playlists, TimeProvider time)
{
    [Function(PlaybackApi.GetPlaybackFunction)]
    [Authorize(Policy = AuthPolicies.User)]
    public async Task<IResult> GetPlaybackAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "videos/{videoId}/playback")] HttpRequest req, string videoId, CancellationToken cancellationToken) =>
        await PlaybackApi.GetPlaybackAsync(videoId, req.HttpContext, playback, options, cancellationToken).ConfigureAwait(false);

    /// <summary>The master playlist; the query's token is the credential (a mini-program &lt;video&gt; sends no headers).</summary>
    [Function(PlaybackApi.MasterPlaylistFunction)]
    [AllowAnonymous]
    public async Task<IResult> GetMasterPlaylistAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "play/{videoId}/master.m3u8")] HttpRequest req, string videoId, CancellationToken cancellationToken) =>
        await PlaybackApi.GetMasterAsync(videoId, HttpBinding.Query(req, "token"), req.HttpContext, tokens, access, playlists, time, cancellationToken).ConfigureAwait(false);

    [Function(PlaybackApi.MediaPlaylistFunction)]
    [AllowAnonymous]
    public async Task<IResult> GetMediaPlaylistAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "play/{videoId}/{rendition}/index.m3u8")] HttpRequest req,
        string videoId,
        string rendition,
        CancellationToken cancellationToken) =>
        await PlaybackApi.GetMediaAsync(videoId, rendition, HttpBinding.Query(req, "token"), req.HttpContext, tokens, access, playlists, time, cancellationToken).ConfigureAwait(false);
}
