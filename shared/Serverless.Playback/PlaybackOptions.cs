using System.ComponentModel.DataAnnotations;

namespace Serverless.Playback;

/// <summary>Signed playback (section <c>Playback</c>).</summary>
public sealed class PlaybackOptions
{
    public const string SectionName = "Playback";

    /// <summary>Shortest signing key accepted, in bytes (HMAC-SHA256 wants at least its output size).</summary>
    public const int MinKeyBytes = 32;

    /// <summary>
    /// The current playback-token signing key: base64 of at least 32 random bytes (<c>openssl rand -base64 32</c>).
    /// New tokens are signed with it.
    /// </summary>
    [Required(ErrorMessage = "The setting 'Playback__SigningKey' (base64, at least 32 bytes) is missing.")]
    public string SigningKey { get; set; } = string.Empty;

    /// <summary>
    /// The key being rotated out, still accepted for tokens it signed (empty when none). To rotate: move the current key
    /// here and put a new one in <see cref="SigningKey"/>; drop it after <see cref="TokenLifetimeMinutes"/>.
    /// </summary>
    public string PreviousSigningKey { get; set; } = string.Empty;

    /// <summary>How long a playback URL (and the poster URL) stays valid, in minutes. Default 10.</summary>
    [Range(1, 120)]
    public int TokenLifetimeMinutes { get; set; } = 10;

    /// <summary>
    /// How long a playback URL of a video not published yet (played by its owner alone: while produced before a content review,
    /// or waiting for one) stays valid, in minutes. Such tokens are bound to the owner. Default 5 (a 200 s clip produced in
    /// real time, watched while it grows).
    /// </summary>
    [Range(1, 30)]
    public int OwnerTokenLifetimeMinutes { get; set; } = 5;

    /// <summary>
    /// How long the playlist routes may rely on a video's state read before, in seconds (0: read it at every request). A
    /// rejection, a failure or a delete on another instance stops its playlists within this time. Default 2.
    /// </summary>
    [Range(0, 2)]
    public int VideoStateCacheSeconds { get; set; } = 2;

    /// <summary>
    /// Slack added to a segment signature beyond token expiry + clip duration, in seconds (buffering stalls, clock skew).
    /// Default 60.
    /// </summary>
    [Range(0, 900)]
    public int SegmentExpiryMarginSeconds { get; set; } = 60;

    /// <summary>
    /// Segment signature expiries are rounded up to a multiple of this many seconds (inside the margin), so the signed
    /// media playlist is shared by every token expiring in the same window and rendered once per window. Default 30.
    /// </summary>
    [Range(1, 300)]
    public int SegmentExpiryGranularitySeconds { get; set; } = 30;

    /// <summary>
    /// Absolute base URL of this app as clients reach it (e.g. <c>https://contoso.azurewebsites.net</c>), used to build
    /// the playback URL; empty to take it from the request.
    /// </summary>
    public string PublicBaseUrl { get; set; } = string.Empty;

    /// <summary>
    /// Absolute base URL of the host players load media from (HLS segments, posters), e.g. <c>https://media.example.cn/</c>:
    /// a CDN or Front Door endpoint whose origin is the storage account's blob endpoint (path and SAS query passed through).
    /// Empty: media URLs name the storage account itself. A mini-program needs an ICP-filed domain here.
    /// </summary>
    public string MediaBaseUrl { get; set; } = string.Empty;

    /// <summary>Memory the playlist cache may hold, in megabytes. Default 64.</summary>
    [Range(1, 4096)]
    public int PlaylistCacheMegabytes { get; set; } = 64;

    /// <summary>
    /// How long a Ready video's catalog row is kept for playback grants, in seconds (0: read it for every grant). A delete
    /// on another instance is seen within this time. Default 5.
    /// </summary>
    [Range(0, 300)]
    public int ReadyVideoCacheSeconds { get; set; } = 5;

    /// <summary>Most Ready videos kept in that cache (one entry each). Default 100000.</summary>
    [Range(1, 10_000_000)]
    public int ReadyVideoCacheEntries { get; set; } = 100_000;
}
