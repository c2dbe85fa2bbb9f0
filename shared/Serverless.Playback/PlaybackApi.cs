using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;
using Serverless.Http;
using Serverless.Identity;
using Serverless.Pipeline;

namespace Serverless.Playback;

/// <summary>The answer of <c>GET /api/videos/{videoId}/playback</c>.</summary>
/// <param name="Url">The signed master playlist: hand it to the player as is.</param>
/// <param name="ExpiresAt">When <paramref name="Url"/> and <paramref name="PosterUrl"/> stop working; ask again after.</param>
public sealed record PlaybackResponse(Uri Url, DateTimeOffset ExpiresAt, Uri PosterUrl);

/// <summary>
/// The playback grant (signed-in users) and the signed playlists the player fetches (anonymous: the token in the query
/// string is the credential, since a mini-program &lt;video&gt; cannot send headers).
/// </summary>
internal static class PlaybackApi
{
    public const string GetPlaybackFunction = "GetPlayback";
    public const string MasterPlaylistFunction = "GetMasterPlaylist";
    public const string MediaPlaylistFunction = "GetMediaPlaylist";
    public const string PlaylistContentType = "application/vnd.apple.mpegurl";

    /// <summary>Longest a private cache may keep a playlist, in seconds; never past the token's expiry either.</summary>
    public const int MaxPlaylistAgeSeconds = 300;

    internal static async Task<Results<Ok<PlaybackResponse>, ProblemHttpResult>> GetPlaybackAsync(
        string videoId,
        HttpContext context,
        PlaybackService playback,
        IOptions<PlaybackOptions> options,
        CancellationToken cancellationToken)
    {
        context.Response.Headers.CacheControl = "no-store";
        if (!VideoIds.IsValid(videoId))
        {
            return Problems.BadRequest("invalid-video-id", "A video id is 32 lowercase hexadecimal characters.");
        }

        var lookup = await playback.GetAsync(videoId, context.User.GetUserId(), cancellationToken).ConfigureAwait(false);
        return lookup switch
        {
            PlaybackLookup.Playable p => TypedResults.Ok(new PlaybackResponse(
                MasterUrl(context.Request, options.Value, videoId, p.Token.Value), p.Token.ExpiresAt, p.PosterUrl)),
            PlaybackLookup.NotReady n => Problems.Conflict(
                "video-not-ready",
                n.Status switch
                {
                    VideoStatus.Failed => "The video failed processing and cannot be played.",
                    VideoStatus.Rejected => "The video was rejected by the content review and cannot be played.",
                    _ => "The video is not ready for playback yet.",
                },
                new Dictionary<string, object?> { ["status"] = n.Status.ToString(), ["error"] = n.Error }),
            _ => VideoNotFound(),
        };
    }

    internal static async Task<Results<FileContentHttpResult, ProblemHttpResult>> GetMasterAsync(
        string videoId,
        string? token,
        HttpContext context,
        IPlaybackTokens tokens,
        PlaylistAccess access,
        SignedPlaylists playlists,
        TimeProvider time,
        CancellationToken cancellationToken)
    {
        if (Admit(context, tokens, videoId, token, out var check) is { } refused)
        {
            return refused;
        }

        if (await CheckVideoAsync(access, videoId, check, cancellationToken).ConfigureAwait(false) is { } notNow)
        {
            return notNow;
        }

        var playlist = await playlists.GetMasterAsync(videoId, token!, cancellationToken).ConfigureAwait(false);
        return Answer(context, playlist, check.ExpiresAt, time);
    }

    internal static async Task<Results<FileContentHttpResult, ProblemHttpResult>> GetMediaAsync(
        string videoId,
        string rendition,
        string? token,
        HttpContext context,
        IPlaybackTokens tokens,
        PlaylistAccess access,
        SignedPlaylists playlists,
        TimeProvider time,
        CancellationToken cancellationToken)
    {
        if (Admit(context, tokens, videoId, token, out var check) is { } refused)
        {
            return refused;
        }

        if (await CheckVideoAsync(access, videoId, check, cancellationToken).ConfigureAwait(false) is { } notNow)
        {
            return notNow;
        }

        if (!PlaylistTemplates.IsValidRendition(rendition))
        {
            return Problems.NotFound("playlist-not-found", "The video has no such rendition.");
        }

        var playlist = await playlists.GetMediaAsync(videoId, rendition, check.ExpiresAt, cancellationToken).ConfigureAwait(false);
        return Answer(context, playlist, check.ExpiresAt, time);
    }

    /// <summary>
    /// The signed playlist, private to the client and cacheable no longer than its token lives (capped at
    /// <see cref="MaxPlaylistAgeSeconds"/>), so no shared cache ever holds it and no private one keeps it past expiry. A
    /// playlist that still grows is <c>no-cache</c>: the player reloads it for the segments produced since.
    /// </summary>
    private static Results<FileContentHttpResult, ProblemHttpResult> Answer(HttpContext context, SignedPlaylist playlist, DateTimeOffset expiresAt, TimeProvider time)
    {
        if (playlist.Content is not { } content)
        {
            return playlist.Malformed
                ? Problems.Create(StatusCodes.Status500InternalServerError, "playlist-unavailable", "The video's playlist cannot be served.")
                : Problems.NotFound("playlist-not-found", "The video has no such playlist.");
        }

        var seconds = (long)Math.Floor((expiresAt - time.GetUtcNow()).TotalSeconds);
        context.Response.Headers.CacheControl = playlist.Growing
            ? "no-cache"
            : seconds > 0
            ? "private, max-age=" + Math.Min(seconds, MaxPlaylistAgeSeconds).ToString(CultureInfo.InvariantCulture)
            : "no-store";
        return TypedResults.Bytes(content, PlaylistContentType);
    }

    /// <summary>Null when the token opens this video's playlists; otherwise the refusal (404 for a malformed id, 403 for the token).</summary>
    private static ProblemHttpResult? Admit(HttpContext context, IPlaybackTokens tokens, string videoId, string? token, out PlaybackTokenCheck check)
    {
        context.Response.Headers.CacheControl = "no-store";
        if (!VideoIds.IsValid(videoId))
        {
            check = PlaybackTokenCheck.Invalid;
            return VideoNotFound();
        }

        check = tokens.Validate(token, videoId);
        return check.IsValid ? null : Refused(check);
    }

    /// <summary>Null when the video behind a genuine token may be played now (<see cref="PlaylistAccess"/>); otherwise the refusal.</summary>
    private static async Task<ProblemHttpResult?> CheckVideoAsync(PlaylistAccess access, string videoId, PlaybackTokenCheck check, CancellationToken cancellationToken) =>
        await access.CheckAsync(videoId, check, cancellationToken).ConfigureAwait(false) switch
        {
            PlaylistAccessOutcome.Allowed => null,
            PlaylistAccessOutcome.Gone => Problems.Create(StatusCodes.Status410Gone, "video-gone", "The video can no longer be played."),
            PlaylistAccessOutcome.OwnerOnly => Problems.Forbidden("playback-owner-only", "Until it is published, the video plays only through its owner's playback URL."),
            _ => VideoNotFound(),
        };

    private static ProblemHttpResult Refused(PlaybackTokenCheck check) => check.Status == PlaybackTokenStatus.Expired
        ? Problems.Forbidden("playback-token-expired", "The playback URL has expired; request a new one.")
        : Problems.Forbidden("playback-token-invalid", "The playback token is missing, malformed or not for this video.");

    private static ProblemHttpResult VideoNotFound() => Problems.NotFound("video-not-found", "No video has this id.");

    private static string Base(HttpRequest request, PlaybackOptions options) =>
        string.IsNullOrEmpty(options.PublicBaseUrl)
            ? $"{request.Scheme}://{request.Host.ToUriComponent()}{request.PathBase.ToUriComponent()}"
            : options.PublicBaseUrl.TrimEnd('/');

    private static Uri MasterUrl(HttpRequest request, PlaybackOptions options, string videoId, string token) =>
        new($"{Base(request, options)}/api/play/{videoId}/master.m3u8?token={token}");
}
