using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Unicode;

namespace Serverless.WeChat.Push;

/// <summary>
/// Authenticates pushes from WeChat's message server (消息推送) for one mini-program, and decrypts them in safe mode (安全模式).
/// Pure: no storage, no I/O; the clock comes from <see cref="TimeProvider"/>. Hostile input gives a <see cref="PushRejection"/>, never an exception.
/// </summary>
/// <remarks>
/// URL check and plain mode: <c>signature = sha1(sort(token, timestamp, nonce))</c>, lowercase hex, lexicographic (ordinal) sort.
/// Safe mode: <c>msg_signature = sha1(sort(token, timestamp, nonce, Encrypt))</c>, then <c>Encrypt</c> is base64 of
/// AES-256-CBC(key = Base64Decode(EncodingAESKey + "="), IV = key[0..16], PKCS#7 padded to 32 bytes) over
/// <c>random(16) + msg_len(4, big-endian) + msg + appid</c>. The signature is checked before anything is decrypted,
/// so nobody without the Token can probe the padding check.
/// </remarks>
public sealed class WeChatPushVerifier
{
    /// <summary>The largest body, <c>Encrypt</c> text or decrypted message we read, in characters (a media check push is about 1 KB).</summary>
    public const int MaxBodyChars = 64 * 1024;

    /// <summary>The usual freshness window: WeChat pushes at once and retries within seconds.</summary>
    public static readonly TimeSpan DefaultFreshness = TimeSpan.FromMinutes(5);

    internal const int EncodingAesKeyChars = 43;
    internal const int PaddingBlockBytes = 32;
    internal const int RandomPrefixBytes = 16;
    internal const int MaxQueryValueChars = 128;
    private const int LengthBytes = 4;
    private const int Sha1HexChars = 40;

    private static readonly SearchValues<char> EchoCharacters =
        SearchValues.Create("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_");

    private readonly string _token;
    private readonly string _appId;
    private readonly byte[] _appIdBytes;
    private readonly byte[]? _key;
    private readonly TimeProvider _time;
    private readonly TimeSpan? _freshness;

    /// <param name="token">The push Token (令牌). Empty: every check answers <see cref="PushRejection.NotConfigured"/>.</param>
    /// <param name="encodingAesKey">The 43-character EncodingAESKey for safe mode; <see langword="null"/> or empty for plain mode.</param>
    /// <param name="appId">The mini-program's AppID, which a safe-mode message must end with. Empty: <see cref="PushRejection.NotConfigured"/>.</param>
    /// <param name="timeProvider">The clock for the freshness check and for <see cref="Encrypt(string, string?)"/>.</param>
    /// <param name="freshness">Refuse a push whose timestamp is further than this from now; <see langword="null"/> turns the check off.</param>
    /// <exception cref="ArgumentException">An EncodingAESKey is given but is not 43 base64 characters that decode to 32 bytes (the key is not echoed).</exception>
    public WeChatPushVerifier(string? token, string? encodingAesKey, string? appId, TimeProvider timeProvider, TimeSpan? freshness = null)
    {
        ArgumentNullException.ThrowIfNull(timeProvider);
        if (freshness is { } window && window <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(freshness), "The freshness window must be positive.");
        }

        _token = token ?? string.Empty;
        _appId = appId ?? string.Empty;
        _appIdBytes = Encoding.UTF8.GetBytes(_appId);
        _key = string.IsNullOrEmpty(encodingAesKey) ? null : DecodeKey(encodingAesKey);
        _time = timeProvider;
        _freshness = freshness;
    }

    /// <summary>Whether safe mode is configured (an EncodingAESKey was given).</summary>
    public bool IsSafeMode => _key is not null;

    private bool IsConfigured => _token.Length > 0 && _appId.Length > 0;

    /// <summary>
    /// The server-configuration check (GET with <c>signature</c>, <c>timestamp</c>, <c>nonce</c>, <c>echostr</c>).
    /// Accepted: the value is the <c>echostr</c> to answer with, as is. The signature does not cover <c>echostr</c>,
    /// so only short letter-and-digit values (what WeChat sends) are echoed.
    /// </summary>
    public PushResult<string> VerifyUrl(string? signature, string? timestamp, string? nonce, string? echostr)
    {
        if (!IsConfigured)
        {
            return PushResult<string>.Reject(PushRejection.NotConfigured);
        }

        if (!IsQueryValue(timestamp) || !IsQueryValue(nonce) || !IsEchoString(echostr))
        {
            return PushResult<string>.Reject(PushRejection.Malformed);
        }

        return Check(signature, timestamp, nonce, encrypt: null) is { } rejection
            ? PushResult<string>.Reject(rejection)
            : PushResult<string>.Accept(echostr);
    }

    /// <summary>
    /// Authenticates a POSTed push and, in safe mode, decrypts it. Accepted: the value is the message text (JSON or XML,
    /// as configured in the mini-program console). <c>encrypt_type=aes</c> selects safe mode (also used by compatible mode);
    /// none or <c>raw</c> is plain mode, refused with <see cref="PushRejection.Unencrypted"/> when we hold an EncodingAESKey.
    /// </summary>
    public PushResult<string> Open(WeChatPushQuery query, string? body)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (!IsConfigured)
        {
            return PushResult<string>.Reject(PushRejection.NotConfigured);
        }

        if (string.IsNullOrEmpty(body) || body.Length > MaxBodyChars || !IsQueryValue(query.Timestamp) || !IsQueryValue(query.Nonce))
        {
            return PushResult<string>.Reject(PushRejection.Malformed);
        }

        if (string.IsNullOrEmpty(query.EncryptType) || string.Equals(query.EncryptType, "raw", StringComparison.OrdinalIgnoreCase))
        {
            if (_key is not null)
            {
                return PushResult<string>.Reject(PushRejection.Unencrypted);
            }

            return Check(query.Signature, query.Timestamp, query.Nonce, encrypt: null) is { } plainRejection
                ? PushResult<string>.Reject(plainRejection)
                : PushResult<string>.Accept(body);
        }

        if (!string.Equals(query.EncryptType, "aes", StringComparison.OrdinalIgnoreCase))
        {
            return PushResult<string>.Reject(PushRejection.Malformed);
        }

        if (_key is null)
        {
            return PushResult<string>.Reject(PushRejection.NotConfigured);
        }

        var encrypt = WeChatPushParser.ReadEncrypt(body);
        if (encrypt is null)
        {
            return PushResult<string>.Reject(PushRejection.Malformed);
        }

        return Check(query.MsgSignature, query.Timestamp, query.Nonce, encrypt) is { } rejection
            ? PushResult<string>.Reject(rejection)
            : Decrypt(encrypt);
    }

    /// <summary>
    /// <see cref="Open"/>, then parses the message. A <see cref="MediaCheckEvent"/> whose <c>appid</c> is not ours is
    /// refused with <see cref="PushRejection.WrongAppId"/>; any other message or event is an <see cref="OtherPushMessage"/>.
    /// </summary>
    public PushResult<WeChatPushMessage> Receive(WeChatPushQuery query, string? body)
    {
        var opened = Open(query, body);
        if (!opened.IsAccepted)
        {
            return PushResult<WeChatPushMessage>.Reject(opened.Rejection!.Value);
        }

        var message = WeChatPushParser.Parse(opened.Value);
        if (message is null)
        {
            return PushResult<WeChatPushMessage>.Reject(PushRejection.Malformed);
        }

        if (message is MediaCheckEvent check && !string.Equals(check.AppId, _appId, StringComparison.Ordinal))
        {
            return PushResult<WeChatPushMessage>.Reject(PushRejection.WrongAppId);
        }

        return PushResult<WeChatPushMessage>.Accept(message);
    }

    /// <summary>
    /// Encrypts a message the way WeChat does (16 random bytes, the current time, <paramref name="nonce"/> or a random
    /// numeric one), with both signatures: what a fake WeChat server sends in tests, or the body of an encrypted reply.
    /// </summary>
    /// <exception cref="InvalidOperationException">No EncodingAESKey, Token or AppID is configured.</exception>
    public WeChatPushEnvelope Encrypt(string message, string? nonce = null)
    {
        ArgumentNullException.ThrowIfNull(message);
        Span<byte> random = stackalloc byte[RandomPrefixBytes];
        RandomNumberGenerator.Fill(random);
        nonce ??= RandomNumberGenerator.GetInt32(100_000_000, int.MaxValue).ToString(CultureInfo.InvariantCulture);
        return Encrypt(message, nonce, _time.GetUtcNow().ToUnixTimeSeconds(), random);
    }

    /// <summary>The deterministic core of <see cref="Encrypt(string, string?)"/>, for test vectors.</summary>
    internal WeChatPushEnvelope Encrypt(string message, string nonce, long timestamp, ReadOnlySpan<byte> random)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentException.ThrowIfNullOrEmpty(nonce);
        if (random.Length != RandomPrefixBytes)
        {
            throw new ArgumentException("The random prefix must be 16 bytes.", nameof(random));
        }

        if (_key is null || !IsConfigured)
        {
            throw new InvalidOperationException("Encrypting needs the Token, the EncodingAESKey and the AppID.");
        }

        var text = Encoding.UTF8.GetBytes(message);
        var contentLength = RandomPrefixBytes + LengthBytes + text.Length + _appIdBytes.Length;
        var pad = PaddingBlockBytes - (contentLength % PaddingBlockBytes);
        var plain = new byte[contentLength + pad];
        random.CopyTo(plain);
        BinaryPrimitives.WriteUInt32BigEndian(plain.AsSpan(RandomPrefixBytes), (uint)text.Length);
        text.CopyTo(plain, RandomPrefixBytes + LengthBytes);
        _appIdBytes.CopyTo(plain, RandomPrefixBytes + LengthBytes + text.Length);
        plain.AsSpan(contentLength).Fill((byte)pad);

        using var aes = Aes.Create();
        aes.Key = _key;
        var encrypt = Convert.ToBase64String(aes.EncryptCbc(plain, _key.AsSpan(0, 16), PaddingMode.None));
        var stamp = timestamp.ToString(CultureInfo.InvariantCulture);
        var query = new WeChatPushQuery(
            Signature: Sign(_token, stamp, nonce),
            Timestamp: stamp,
            Nonce: nonce,
            EncryptType: "aes",
            MsgSignature: Sign(_token, stamp, nonce, encrypt));
        return new WeChatPushEnvelope(query, encrypt);
    }

    /// <summary>Decrypts one <c>Encrypt</c> value (its signature already checked) and checks the AppID trailer.</summary>
    internal PushResult<string> Decrypt(string encrypt)
    {
        if (_key is null)
        {
            return PushResult<string>.Reject(PushRejection.NotConfigured);
        }

        if (encrypt.Length == 0 || encrypt.Length > MaxBodyChars || encrypt.Length % 4 != 0)
        {
            return PushResult<string>.Reject(PushRejection.Malformed);
        }

        var cipher = new byte[encrypt.Length / 4 * 3];
        if (!Convert.TryFromBase64String(encrypt, cipher, out var cipherLength) || cipherLength == 0 || cipherLength % 16 != 0)
        {
            return PushResult<string>.Reject(PushRejection.Malformed);
        }

        byte[] plain;
        try
        {
            using var aes = Aes.Create();
            aes.Key = _key;
            plain = aes.DecryptCbc(cipher.AsSpan(0, cipherLength), _key.AsSpan(0, 16), PaddingMode.None);
        }
        catch (CryptographicException)
        {
            return PushResult<string>.Reject(PushRejection.Malformed);
        }

        // PKCS#7 with a 32-byte block: 1 to 32 bytes, each holding the count.
        int pad = plain[^1];
        if (pad is < 1 or > PaddingBlockBytes || pad > plain.Length || plain.AsSpan(plain.Length - pad).IndexOfAnyExcept((byte)pad) >= 0)
        {
            return PushResult<string>.Reject(PushRejection.Malformed);
        }

        var content = plain.AsSpan(0, plain.Length - pad);
        if (content.Length < RandomPrefixBytes + LengthBytes)
        {
            return PushResult<string>.Reject(PushRejection.Malformed);
        }

        var messageLength = BinaryPrimitives.ReadUInt32BigEndian(content.Slice(RandomPrefixBytes, LengthBytes));
        var rest = content[(RandomPrefixBytes + LengthBytes)..];
        if (messageLength > (uint)rest.Length)
        {
            return PushResult<string>.Reject(PushRejection.Malformed);
        }

        var message = rest[..(int)messageLength];
        if (!rest[(int)messageLength..].SequenceEqual(_appIdBytes))
        {
            return PushResult<string>.Reject(PushRejection.WrongAppId);
        }

        return Utf8.IsValid(message)
            ? PushResult<string>.Accept(Encoding.UTF8.GetString(message))
            : PushResult<string>.Reject(PushRejection.Malformed);
    }

    /// <summary><c>sha1(sort(parts).join(""))</c> as lowercase hex; the sort is ordinal (WeChat's 字典序).</summary>
    internal static string Sign(params string[] parts)
    {
        var sorted = (string[])parts.Clone();
        Array.Sort(sorted, StringComparer.Ordinal);
#pragma warning disable CA5350 // SHA-1 is what WeChat's push protocol signs with; it is not our choice.
        return Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes(string.Concat(sorted))));
#pragma warning restore CA5350
    }

    private static byte[] DecodeKey(string encodingAesKey)
    {
        var key = new byte[33];
        if (encodingAesKey.Length != EncodingAesKeyChars
            || !Convert.TryFromBase64String(encodingAesKey + "=", key, out var written)
            || written != 32)
        {
            throw new ArgumentException("The EncodingAESKey must be the 43 characters shown in the mini-program console.", nameof(encodingAesKey));
        }

        return key[..32];
    }

    private static bool IsQueryValue([NotNullWhen(true)] string? value) =>
        !string.IsNullOrEmpty(value) && value.Length <= MaxQueryValueChars;

    private static bool IsEchoString([NotNullWhen(true)] string? value) =>
        IsQueryValue(value) && value.AsSpan().IndexOfAnyExcept(EchoCharacters) < 0;

    /// <summary>Signature first (in constant time), then freshness: only an authentic push can be called stale.</summary>
    private PushRejection? Check(string? supplied, string timestamp, string nonce, string? encrypt)
    {
        var expected = encrypt is null ? Sign(_token, timestamp, nonce) : Sign(_token, timestamp, nonce, encrypt);
        if (!SignatureMatches(supplied, expected))
        {
            return PushRejection.BadSignature;
        }

        if (_freshness is not { } window)
        {
            return null;
        }

        if (!long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
        {
            return PushRejection.Malformed;
        }

        var age = Math.Abs(_time.GetUtcNow().ToUnixTimeSeconds() - seconds);
        return age > (long)window.TotalSeconds ? PushRejection.Stale : null;
    }

    private static bool SignatureMatches(string? supplied, string expected)
    {
        if (supplied is null || supplied.Length != Sha1HexChars)
        {
            return false;
        }

        Span<byte> given = stackalloc byte[Sha1HexChars];
        Span<byte> wanted = stackalloc byte[Sha1HexChars];
        for (var i = 0; i < Sha1HexChars; i++)
        {
            var c = supplied[i];
            given[i] = (byte)(c is >= 'A' and <= 'F' ? c + ('a' - 'A') : c > 0x7F ? 0 : c);
            wanted[i] = (byte)expected[i];
        }

        return CryptographicOperations.FixedTimeEquals(given, wanted);
    }
}

/// <summary>A safe-mode push as WeChat sends it: the query string to put on the URL, and the <c>Encrypt</c> value of the body.</summary>
public sealed record WeChatPushEnvelope(WeChatPushQuery Query, string Encrypt)
{
    /// <summary>The JSON body: <c>{"ToUserName": …, "Encrypt": …}</c>.</summary>
    public string ToJson(string toUserName) => WeChatPushParser.WriteEnvelopeJson(toUserName, Encrypt);

    /// <summary>The XML body: <c>&lt;xml&gt;&lt;ToUserName&gt;…&lt;/ToUserName&gt;&lt;Encrypt&gt;…&lt;/Encrypt&gt;&lt;/xml&gt;</c>.</summary>
    public string ToXml(string toUserName) => WeChatPushParser.WriteEnvelopeXml(toUserName, Encrypt);
}
