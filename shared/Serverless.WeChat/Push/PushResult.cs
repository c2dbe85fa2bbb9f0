using System.Diagnostics.CodeAnalysis;

namespace Serverless.WeChat.Push;

/// <summary>Why a push from WeChat's message server was refused. Every refusal is one of these, never an exception.</summary>
public enum PushRejection
{
    /// <summary><c>signature</c> (plain mode, URL check) or <c>msg_signature</c> (safe mode) is missing or does not match: not from WeChat.</summary>
    BadSignature,

    /// <summary>Missing or oversized query values, an unreadable body, bad base64, wrong lengths, bad PKCS#7 padding, invalid UTF-8.</summary>
    Malformed,

    /// <summary>The message is authentic but names another mini-program's AppID (the decrypted trailer, or a media check's <c>appid</c>).</summary>
    WrongAppId,

    /// <summary>The signed timestamp is further from our clock than the freshness window: a replay, or a clock far off.</summary>
    Stale,

    /// <summary>Our side: no Token or AppID, or a safe-mode push while no EncodingAESKey is configured.</summary>
    NotConfigured,

    /// <summary>A plain-text push while we hold an EncodingAESKey. Plain <c>signature</c> does not cover the body, so such a body is not trusted.</summary>
    Unencrypted,
}

/// <summary>What checking one push gave: the value, or the reason it was refused.</summary>
public sealed class PushResult<T>
    where T : class
{
    private PushResult(T? value, PushRejection? rejection)
    {
        Value = value;
        Rejection = rejection;
    }

    /// <summary>The accepted value; <see langword="null"/> when refused.</summary>
    public T? Value { get; }

    /// <summary>Why it was refused; <see langword="null"/> when accepted.</summary>
    public PushRejection? Rejection { get; }

    [MemberNotNullWhen(true, nameof(Value))]
    public bool IsAccepted => Value is not null;

    public override string ToString() => IsAccepted ? "Accepted" : "Rejected: " + Rejection;

    internal static PushResult<T> Accept(T value) => new(value, null);

    internal static PushResult<T> Reject(PushRejection rejection) => new(null, rejection);
}

/// <summary>
/// The query string WeChat puts on a push: <c>signature</c>, <c>timestamp</c>, <c>nonce</c>, and in safe
/// (or compatible) mode also <c>encrypt_type=aes</c> and <c>msg_signature</c>. Values are taken as received.
/// </summary>
public sealed record WeChatPushQuery(
    string? Signature,
    string? Timestamp,
    string? Nonce,
    string? EncryptType = null,
    string? MsgSignature = null);
