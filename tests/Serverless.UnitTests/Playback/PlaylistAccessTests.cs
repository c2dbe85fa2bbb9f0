using Microsoft.Extensions.Options;
using Serverless.Playback;
using Serverless.Videos;

namespace Serverless.UnitTests.Playback;

/// <summary>Whose tokens open a video's playlists, by the video's state at the request.</summary>
public sealed class PlaylistAccessTests
{
    private const string VideoId = "0123456789abcdef0123456789abcdef";
    private const string Owner = "dev-owner";

    private static readonly FakeTimeProvider Time = new(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));
    private static readonly PlaybackTokenService Tokens = new(Options.Create(new PlaybackOptions { SigningKey = "Z+9ZG4FzGHhqT/mZWiOMjFIdxJmTtQlwvdYv/FaUxm8=" }), Time);

    public static TheoryData<string, string, string> Cases => new()
    {
        { "ready", "anyone", nameof(PlaylistAccessOutcome.Allowed) },
        { "ready", "owner", nameof(PlaylistAccessOutcome.Allowed) },
        { "produced, no review to come", "anyone", nameof(PlaylistAccessOutcome.Allowed) },
        { "produced, a review to come", "owner", nameof(PlaylistAccessOutcome.Allowed) },
        { "produced, a review to come", "anyone", nameof(PlaylistAccessOutcome.OwnerOnly) },
        { "produced, a review to come", "someone else", nameof(PlaylistAccessOutcome.OwnerOnly) },
        { "in review", "owner", nameof(PlaylistAccessOutcome.Allowed) },
        { "in review", "anyone", nameof(PlaylistAccessOutcome.OwnerOnly) },
        { "in review", "someone else", nameof(PlaylistAccessOutcome.OwnerOnly) },
        { "rejected", "owner", nameof(PlaylistAccessOutcome.Gone) },
        { "rejected", "anyone", nameof(PlaylistAccessOutcome.Gone) },
        { "failed", "owner", nameof(PlaylistAccessOutcome.NotFound) },
        { "deleted", "anyone", nameof(PlaylistAccessOutcome.Gone) },
        { "deleted", "owner", nameof(PlaylistAccessOutcome.Gone) },
        { "reprocessing", "anyone", nameof(PlaylistAccessOutcome.NotFound) },
        { "not produced yet", "owner", nameof(PlaylistAccessOutcome.NotFound) },
        { "unknown", "anyone", nameof(PlaylistAccessOutcome.NotFound) },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Decide_ByStateAndToken(string state, string token, string expected)
    {
        var check = Tokens.Validate(
            token switch
            {
                "owner" => Tokens.IssueForOwner(VideoId, Owner).Value,
                "someone else" => Tokens.IssueForOwner(VideoId, "dev-someone-else").Value,
                _ => Tokens.Issue(VideoId).Value,
            },
            VideoId);

        Assert.True(check.IsValid);
        Assert.Equal(Enum.Parse<PlaylistAccessOutcome>(expected), PlaylistAccess.Decide(Video(state), check));
    }

    private static VideoRecord? Video(string state)
    {
        var now = Time.GetUtcNow();
        var video = new VideoRecord(VideoId, Owner, VideoStatus.Processing, "TranscodeLadder", 50, 4, 320, 180, [], null, "a.mp4", now, now, null);
        return state switch
        {
            "ready" => video with { Status = VideoStatus.Ready, Stage = "Ready", ReadyAt = now, PlayableAt = now },
            "produced, no review to come" => video with { PlayableAt = now },
            "produced, a review to come" => video with { PlayableAt = now, PlayableByOwnerOnly = true },
            "in review" => video with { Status = VideoStatus.InReview, Stage = "InReview", PlayableAt = now, PlayableByOwnerOnly = true },
            "rejected" => video with { Status = VideoStatus.Rejected, Stage = "Rejected", PlayableAt = now, PlayableByOwnerOnly = true },
            "failed" => video with { Status = VideoStatus.Failed },
            "deleted" => video with { Status = VideoStatus.Deleted },
            "reprocessing" => video with { Status = VideoStatus.Uploading, Stage = "Reprocessing" },
            "not produced yet" => video,
            _ => null,
        };
    }
}
