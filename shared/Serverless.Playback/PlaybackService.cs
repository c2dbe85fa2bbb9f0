using Serverless.Storage;
using Serverless.Videos;

namespace Serverless.Playback;

/// <summary>The answer of <c>GET /api/videos/{videoId}/playback</c>.</summary>
/// <param name="Url">The signed master playlist: hand it to the player as is.</param>
/// <param name="ExpiresAt">When <paramref name="Url"/> and <paramref name="PosterUrl"/> stop working; ask again after.</param>
public sealed record PlaybackResponse(Uri Url, DateTimeOffset ExpiresAt, Uri PosterUrl);

/// <summary>What the playback API answers for a video.</summary>
internal abstract record PlaybackLookup
{
    private PlaybackLookup()
    {
    }

    public sealed record NotFound : PlaybackLookup;

    /// <summary>Known but not playable (yet): Uploading, Processing or Failed.</summary>
    public sealed record NotReady(VideoStatus Status, string? Error) : PlaybackLookup;

    public sealed record Playable(PlaybackToken Token, Uri PosterUrl) : PlaybackLookup;
}

/// <summary>
/// Grants playback of playable videos: a token for the signed playlists and a signed poster URL expiring with it. A video
/// is playable once Ready, and before that as soon as its first segments are stored (<see cref="VideoRecord.PlayableAt"/>):
/// to anyone when no content review follows, else to its owner, who may also watch it while it waits for the review. A
/// video not playable is visible (as 409 with its status) to its owner only; to anyone else it does not exist, as in the
/// status API. A rejected or failed video is played to nobody.
/// </summary>
internal sealed class PlaybackService(IVideoCatalog catalog, ReadyVideoCache readyVideos, IPlaybackTokens tokens, MediaUrls media)
{
    public async Task<PlaybackLookup> GetAsync(string videoId, string userId, CancellationToken cancellationToken)
    {
        var video = await readyVideos.GetAsync(videoId, catalog.GetAsync, cancellationToken).ConfigureAwait(false);
        if (video is null || video.Status == VideoStatus.Deleted || (!video.IsPlayableByAnyone && video.OwnerId != userId))
        {
            return new PlaybackLookup.NotFound();
        }

        // Before it is published: playable while produced once its first segments are stored (by its owner alone when a
        // content review follows), and by its owner while it waits for the review.
        if (!video.IsPlayable)
        {
            return new PlaybackLookup.NotReady(video.Status, video.Error);
        }

        // Published, or played by anyone while produced (no review to come): a token anyone may use. Otherwise (produced
        // before a review, or waiting for one) the owner's own, shorter-lived token: the playlists check it at each request.
        var token = video.Status == VideoStatus.Ready || video.IsPlayableByAnyone ? tokens.Issue(videoId) : tokens.IssueForOwner(videoId, userId);
        var poster = media.Read(MediaLayout.Container, video.PosterPath, token.ExpiresAt);
        return new PlaybackLookup.Playable(token, poster);
    }
}
