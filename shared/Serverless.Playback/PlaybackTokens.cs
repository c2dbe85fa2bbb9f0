using System.Buffers.Binary;
using System.Buffers.Text;
using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using Serverless.Pipeline;

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
}

/// <summary>
/// Short-lived, URL-safe tokens bound to one video: the credential of the anonymous playlist routes (a player cannot
/// send headers). Signed with HMAC-SHA256 under the current key; tokens of the previous key stay valid during rotation.
/// </summary>
public interface IPlaybackTokens
{
    /// <summary>A token for <paramref name="videoId"/> (32 lowercase hex characters) valid for the configured lifetime.</summary>
    PlaybackToken Issue(string videoId);

    /// <summary>Checks a presented token against the video it is used for, in constant time over the signature.</summary>
    PlaybackTokenCheck Validate(string? token, string videoId);
}

/// <summary>
/// Token layout (60 bytes, base64url without padding = exactly 80 characters, so decoding is canonical):
/// <c>version (1) | key id (3) | video id (16) | expiry, unix seconds, big-endian (8) | HMAC-SHA256 of the first 28 bytes (32)</c>.
/// </summary>
internal sealed class PlaybackTokenService : IPlaybackTokens
{
    public const int TokenLength = 80;
    private const byte Version = 1;
    private const int KeyIdLength = 3;
    private const int VideoIdOffset = 1 + KeyIdLength;
    private const int ExpiryOffset = VideoIdOffset + 16;
    private const int PayloadLength = ExpiryOffset + 8;
    private const int TokenBytes = PayloadLength + HMACSHA256.HashSizeInBytes;

    /// <summary>The base64url alphabet: a token is only ever these characters, so it can be echoed into a playlist as is.</summary>
    private static readonly System.Buffers.SearchValues<char> TokenAlphabet =
        System.Buffers.SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_");

    private readonly SigningKey _current;
    private readonly SigningKey? _previous;
    private readonly TimeProvider _time;
    private readonly long _lifetimeSeconds;

    public PlaybackTokenService(IOptions<PlaybackOptions> options, TimeProvider time)
    {
        var o = options.Value;
        _current = SigningKey.Parse(o.SigningKey) ?? throw new InvalidOperationException("Playback__SigningKey is not a base64 key of at least 32 bytes.");
        _previous = string.IsNullOrWhiteSpace(o.PreviousSigningKey) ? null : SigningKey.Parse(o.PreviousSigningKey)
            ?? throw new InvalidOperationException("Playback__PreviousSigningKey is not a base64 key of at least 32 bytes.");
        _time = time;
        _lifetimeSeconds = o.TokenLifetimeMinutes * 60L;
    }

    public PlaybackToken Issue(string videoId)
    {
        if (!VideoIds.IsValid(videoId))
        {
            throw new ArgumentException("A video id is 32 lowercase hex characters.", nameof(videoId));
        }

        var expiry = _time.GetUtcNow().ToUnixTimeSeconds() + _lifetimeSeconds;
        Span<byte> token = stackalloc byte[TokenBytes];
        token[0] = Version;
        _current.Id.CopyTo(token[1..VideoIdOffset]);
        Convert.FromHexString(videoId, token[VideoIdOffset..ExpiryOffset], out _, out _);
        BinaryPrimitives.WriteInt64BigEndian(token[ExpiryOffset..PayloadLength], expiry);
        HMACSHA256.HashData(_current.Key, token[..PayloadLength], token[PayloadLength..]);
        return new PlaybackToken(Base64Url.EncodeToString(token), DateTimeOffset.FromUnixTimeSeconds(expiry));
    }

    public PlaybackTokenCheck Validate(string? token, string videoId)
    {
        // Exactly 80 base64url characters decoding to exactly 60 bytes: whitespace, padding, "+/" or a truncation all fail.
        Span<byte> bytes = stackalloc byte[TokenBytes];
        if (token is not { Length: TokenLength }
            || token.AsSpan().ContainsAnyExcept(TokenAlphabet)
            || !VideoIds.IsValid(videoId)
            || Base64Url.DecodeFromChars(token, bytes, out var consumed, out var written) != System.Buffers.OperationStatus.Done
            || consumed != TokenLength
            || written != TokenBytes
            || bytes[0] != Version)
        {
            return PlaybackTokenCheck.Invalid;
        }

        var key = KeyFor(bytes[1..VideoIdOffset]);
        if (key is null)
        {
            return PlaybackTokenCheck.Invalid;
        }

        Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
        HMACSHA256.HashData(key.Key, bytes[..PayloadLength], mac);
        if (!CryptographicOperations.FixedTimeEquals(mac, bytes[PayloadLength..]))
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
        return new PlaybackTokenCheck(_time.GetUtcNow() < expiresAt ? PlaybackTokenStatus.Valid : PlaybackTokenStatus.Expired, expiresAt);
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
