using Serverless.Videos;

namespace Serverless.Playback;

/// <summary>What the playlist routes answer for a genuine, unexpired token, given the video's state now.</summary>
internal enum PlaylistAccessOutcome
{
    Allowed,

    /// <summary>No such video, or not playable (yet, or any more: it failed, or a reprocess started over).</summary>
    NotFound,

    /// <summary>Rejected by the content review or deleted: never playable again (410).</summary>
    Gone,

    /// <summary>Played by its owner alone until it is published, and the token is not the owner's.</summary>
    OwnerOnly,
}

/// <summary>
/// The playlist routes' check of the video behind a token, at each request (the state cached at most
/// <see cref="PlaybackOptions.VideoStateCacheSeconds"/>): a token opens the playlists of a Ready video, of one played by
/// anyone while it is produced (no content review to come), and of one played by its owner alone (produced before a review,
/// or waiting for one) only when the token was granted to that owner. A rejected or deleted video's playlists are gone (410),
/// a failed one's not found (404), whatever tokens were handed out; its segments are removed from storage (<c>RejectVideo</c>, <c>FailVideo</c>, the
/// owner's delete), so the URLs in playlists already fetched stop too.
/// </summary>
internal sealed class PlaylistAccess(IVideoCatalog catalog, VideoStateCache states)
{
    public async Task<PlaylistAccessOutcome> CheckAsync(string videoId, PlaybackTokenCheck token, CancellationToken cancellationToken)
    {
        var video = await states.GetAsync(videoId, catalog.GetAsync, cancellationToken).ConfigureAwait(false);
        return Decide(video, token);
    }

    /// <summary>The rule itself. Pure.</summary>
    public static PlaylistAccessOutcome Decide(VideoRecord? video, PlaybackTokenCheck token) => video switch
    {
        null => PlaylistAccessOutcome.NotFound,
        { Status: VideoStatus.Deleted or VideoStatus.Rejected } => PlaylistAccessOutcome.Gone,
        { Status: VideoStatus.Ready } or { IsPlayableByAnyone: true } => PlaylistAccessOutcome.Allowed,
        { IsPlayable: true } => token.IsBoundTo(video.OwnerId) ? PlaylistAccessOutcome.Allowed : PlaylistAccessOutcome.OwnerOnly,
        _ => PlaylistAccessOutcome.NotFound,
    };
}
