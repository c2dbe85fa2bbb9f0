using System.Buffers.Binary;
using System.Buffers.Text;
using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using Serverless.Videos;

namespace Serverless.Playback;

/// <summary>A playback token and the instant it stops opening playlists.</summary>
public sealed record PlaybackToken(string Value, DateTimeOffset ExpiresAt);

public enum PlaybackTokenStatus
{
    Valid,

    /// <summary>Malformed, tampered, signed with an unknown key, or bound to another video.</summary>
    Invalid,

    /// <summary>Genuine and for this video, but past its expiry.</summary>
    Expired,
}

/// <summary>The outcome of checking a token; <see cref="ExpiresAt"/> is meaningful when the token is genuine.</summary>
public readonly record struct PlaybackTokenCheck(PlaybackTokenStatus Status, DateTimeOffset ExpiresAt)
{
    public static PlaybackTokenCheck Invalid { get; } = new(PlaybackTokenStatus.Invalid, default);

    public bool IsValid => Status == PlaybackTokenStatus.Valid;

    /// <summary>The digest of the user the token was granted to (<see cref="PlaybackTokenService.OwnerDigest"/>), or null for a token anyone may use.</summary>
    public string? Owner { get; init; }

    /// <summary>Whether the token was granted to <paramref name="userId"/> alone.</summary>
    public bool IsBoundTo(string userId) =>
        Owner is { } owner && CryptographicOperations.FixedTimeEquals(
            System.Text.Encoding.ASCII.GetBytes(owner), System.Text.Encoding.ASCII.GetBytes(PlaybackTokenService.OwnerDigest(userId)));
}

/// <summary>
/// Short-lived, URL-safe tokens bound to one video: the credential of the anonymous playlist routes (a player cannot
/// send headers). Signed with HMAC-SHA256 under the current key; tokens of the previous key stay valid during rotation.
/// A video not published yet is played by its owner alone, with tokens bound to them and shorter-lived
/// (<see cref="IssueForOwner"/>); the playlist routes check the binding against the video's state at each request.
/// </summary>
public interface IPlaybackTokens
{
    /// <summary>A token for <paramref name="videoId"/> (32 lowercase hex characters) anyone may use, valid for the configured lifetime.</summary>
    PlaybackToken Issue(string videoId);

    /// <summary>
    /// A token for <paramref name="videoId"/> granted to <paramref name="ownerId"/> alone (it opens the video's playlists only
    /// while the video's owner is that user), valid for <see cref="PlaybackOptions.OwnerTokenLifetimeMinutes"/>.
    /// </summary>
    PlaybackToken IssueForOwner(string videoId, string ownerId);

    /// <summary>Checks a presented token against the video it is used for, in constant time over the signature.</summary>
    PlaybackTokenCheck Validate(string? token, string videoId);
}

/// <summary>
/// Token layout (60 bytes, base64url without padding = exactly 80 characters, so decoding is canonical):
/// <c>version 1 (1) | key id (3) | video id (16) | expiry, unix seconds, big-endian (8) | HMAC-SHA256 of the first 28 bytes (32)</c>.
/// A token bound to the video's owner (78 bytes, 104 characters) has version 2 and, after the expiry, the first 18 bytes of
/// SHA-256 over "owner:" + the user id (<see cref="OwnerDigest"/>), the HMAC covering the first 46 bytes.
/// </summary>
internal sealed class PlaybackTokenService : IPlaybackTokens
{
    public const int TokenLength = 80;
    public const int OwnerTokenLength = 104;
    private const byte Version = 1;
    private const byte OwnerVersion = 2;
    private const int KeyIdLength = 3;
    private const int VideoIdOffset = 1 + KeyIdLength;
    private const int ExpiryOffset = VideoIdOffset + 16;
    private const int PayloadLength = ExpiryOffset + 8;
    private const int TokenBytes = PayloadLength + HMACSHA256.HashSizeInBytes;
    private const int OwnerLength = 18;
    private const int OwnerPayloadLength = PayloadLength + OwnerLength;
    private const int OwnerTokenBytes = OwnerPayloadLength + HMACSHA256.HashSizeInBytes;

    /// <summary>The base64url alphabet: a token is only ever these characters, so it can be echoed into a playlist as is.</summary>
    private static readonly System.Buffers.SearchValues<char> TokenAlphabet =
        System.Buffers.SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_");

    private readonly SigningKey _current;
    private readonly SigningKey? _previous;
    private readonly TimeProvider _time;
    private readonly long _lifetimeSeconds;
    private readonly long _ownerLifetimeSeconds;

    public PlaybackTokenService(IOptions<PlaybackOptions> options, TimeProvider time)
    {
        var o = options.Value;
        _current = SigningKey.Parse(o.SigningKey) ?? throw new InvalidOperationException("Playback__SigningKey is not a base64 key of at least 32 bytes.");
        _previous = string.IsNullOrWhiteSpace(o.PreviousSigningKey) ? null : SigningKey.Parse(o.PreviousSigningKey)
            ?? throw new InvalidOperationException("Playback__PreviousSigningKey is not a base64 key of at least 32 bytes.");
        _time = time;
        _lifetimeSeconds = o.TokenLifetimeMinutes * 60L;
        _ownerLifetimeSeconds = o.OwnerTokenLifetimeMinutes * 60L;
    }

    /// <summary>What an owner-bound token carries of its user: the first 18 bytes of SHA-256("owner:" + id), base64url.</summary>
    public static string OwnerDigest(string userId)
    {
        ArgumentNullException.ThrowIfNull(userId);
        return Base64Url.EncodeToString(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes("owner:" + userId)).AsSpan(0, OwnerLength));
    }

    public PlaybackToken Issue(string videoId) => Issue(videoId, null, _lifetimeSeconds);

    public PlaybackToken IssueForOwner(string videoId, string ownerId)
    {
        ArgumentException.ThrowIfNullOrEmpty(ownerId);
        return Issue(videoId, ownerId, _ownerLifetimeSeconds);
    }

    private PlaybackToken Issue(string videoId, string? ownerId, long lifetimeSeconds)
    {
        if (!VideoIds.IsValid(videoId))
        {
            throw new ArgumentException("A video id is 32 lowercase hex characters.", nameof(videoId));
        }

        var expiry = _time.GetUtcNow().ToUnixTimeSeconds() + lifetimeSeconds;
        var payload = ownerId is null ? PayloadLength : OwnerPayloadLength;
        Span<byte> token = stackalloc byte[ownerId is null ? TokenBytes : OwnerTokenBytes];
        token[0] = ownerId is null ? Version : OwnerVersion;
        _current.Id.CopyTo(token[1..VideoIdOffset]);
        Convert.FromHexString(videoId, token[VideoIdOffset..ExpiryOffset], out _, out _);
        BinaryPrimitives.WriteInt64BigEndian(token[ExpiryOffset..PayloadLength], expiry);
        if (ownerId is not null)
        {
            Base64Url.DecodeFromChars(OwnerDigest(ownerId), token[PayloadLength..OwnerPayloadLength]);
        }

        HMACSHA256.HashData(_current.Key, token[..payload], token[payload..]);
        return new PlaybackToken(Base64Url.EncodeToString(token), DateTimeOffset.FromUnixTimeSeconds(expiry));
    }

    public PlaybackTokenCheck Validate(string? token, string videoId)
    {
        // Exactly 80 (or, bound to an owner, 104) base64url characters decoding to exactly 60 (78) bytes: whitespace, padding,
        // "+/" or a truncation all fail.
        var owned = token is { Length: OwnerTokenLength };
        var length = owned ? OwnerTokenLength : TokenLength;
        var size = owned ? OwnerTokenBytes : TokenBytes;
        var payload = owned ? OwnerPayloadLength : PayloadLength;
        Span<byte> bytes = stackalloc byte[OwnerTokenBytes];
        bytes = bytes[..size];
        if (token is null
            || token.Length != length
            || token.AsSpan().ContainsAnyExcept(TokenAlphabet)
            || !VideoIds.IsValid(videoId)
            || Base64Url.DecodeFromChars(token, bytes, out var consumed, out var written) != System.Buffers.OperationStatus.Done
            || consumed != length
            || written != size
            || bytes[0] != (owned ? OwnerVersion : Version))
        {
            return PlaybackTokenCheck.Invalid;
        }

        var key = KeyFor(bytes[1..VideoIdOffset]);
        if (key is null)
        {
            return PlaybackTokenCheck.Invalid;
        }

        Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
        HMACSHA256.HashData(key.Key, bytes[..payload], mac);
        if (!CryptographicOperations.FixedTimeEquals(mac, bytes[payload..]))
        {
            return PlaybackTokenCheck.Invalid;
        }

        Span<byte> video = stackalloc byte[16];
        Convert.FromHexString(videoId, video, out _, out _);
        if (!video.SequenceEqual(bytes[VideoIdOffset..ExpiryOffset]))
        {
            return PlaybackTokenCheck.Invalid;
        }

        var expiry = BinaryPrimitives.ReadInt64BigEndian(bytes[ExpiryOffset..PayloadLength]);
        if (expiry is < 0 or > 253402300799)
        {
            return PlaybackTokenCheck.Invalid;
        }

        var expiresAt = DateTimeOffset.FromUnixTimeSeconds(expiry);
        return new PlaybackTokenCheck(_time.GetUtcNow() < expiresAt ? PlaybackTokenStatus.Valid : PlaybackTokenStatus.Expired, expiresAt)
        {
            Owner = owned ? Base64Url.EncodeToString(bytes[PayloadLength..OwnerPayloadLength]) : null,
        };
    }

    private SigningKey? KeyFor(ReadOnlySpan<byte> id)
    {
        if (id.SequenceEqual(_current.Id))
        {
            return _current;
        }

        return _previous is not null && id.SequenceEqual(_previous.Id) ? _previous : null;
    }
}

/// <summary>An HMAC key and its public id (the first 3 bytes of its SHA-256), which tokens carry to name their key.</summary>
internal sealed class SigningKey
{
    private SigningKey(byte[] key)
    {
        Key = key;
        Id = SHA256.HashData(key)[..3];
    }

    public byte[] Key { get; }

    public byte[] Id { get; }

    /// <summary>The key from its base64 text, or null unless it is base64 of at least <see cref="PlaybackOptions.MinKeyBytes"/> bytes.</summary>
    public static SigningKey? Parse(string? base64)
    {
        if (string.IsNullOrWhiteSpace(base64))
        {
            return null;
        }

        var buffer = new byte[base64.Length];
        return Convert.TryFromBase64String(base64.Trim(), buffer, out var length) && length >= PlaybackOptions.MinKeyBytes
            ? new SigningKey(buffer[..length])
            : null;
    }
}
