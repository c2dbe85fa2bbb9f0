using System.Globalization;

namespace Serverless.WeChat.Push;

/// <summary>One message or event from WeChat's message server, after authentication and decryption.</summary>
public abstract record WeChatPushMessage(string MsgType, string? Event);

/// <summary>Any message or event other than <c>wxa_media_check</c>: acknowledged and ignored by the caller.</summary>
public sealed record OtherPushMessage(string MsgType, string? Event) : WeChatPushMessage(MsgType, Event);

/// <summary>
/// A <c>wxa_media_check</c> event that is authentic and well-formed but cannot be used (a field the review needs is missing
/// or not what WeChat documents). WeChat is answered <c>success</c> so it stops retrying, and the push is logged: refusing
/// it would only make WeChat retry the same push a few times and then drop it, while the video waits either way.
/// </summary>
public sealed record UnusableMediaCheck(string Reason, string? TraceId) : WeChatPushMessage("event", MediaCheckEvent.EventName);

/// <summary>
/// The <c>wxa_media_check</c> event: the asynchronous answer to <c>security.mediaCheckAsync</c>, matched to the request by
/// <see cref="TraceId"/>. <see cref="Result"/> is WeChat's verdict; it is <see langword="null"/> only when
/// <see cref="ErrCode"/> is not 0 (the check itself failed). <c>errcode</c> is absent from some real pushes and then reads 0.
/// Version 2 carries <c>result {suggest, label}</c>; the older version 1 (still pushed) carries <c>isrisky</c> (0 or 1) and
/// <c>status_code</c> (0, or e.g. 4294966288, i.e. -1008 as an unsigned 32-bit number: the media could not be downloaded),
/// read as <see cref="Version"/> 1 with <see cref="ErrCode"/> the status as a signed number and no label
/// (<see cref="MediaCheckLabels.Unlabelled"/>).
/// </summary>
public sealed record MediaCheckEvent(
    string TraceId,
    string AppId,
    int Version,
    int ErrCode,
    string? ErrMsg,
    MediaCheckResult? Result,
    IReadOnlyList<MediaCheckDetail> Detail) : WeChatPushMessage("event", MediaCheckEvent.EventName)
{
    public const string EventName = "wxa_media_check";
}

/// <summary>WeChat's advice for the checked media.</summary>
public enum MediaCheckSuggest
{
    /// <summary><c>pass</c>: nothing found.</summary>
    Pass,

    /// <summary><c>review</c>: doubtful; a person should look.</summary>
    Review,

    /// <summary><c>risky</c>: violates the rules.</summary>
    Risky,
}

/// <summary>The overall verdict (<c>result</c>): the advice and the label that decided it (see <see cref="MediaCheckLabels"/>).</summary>
public sealed record MediaCheckResult(MediaCheckSuggest Suggest, int Label);

/// <summary>
/// One strategy's finding (<c>detail[]</c>), valid only when <see cref="ErrCode"/> is 0. Informational: fields WeChat leaves
/// out or words it adds later read as <see langword="null"/> rather than refusing the push. <see cref="Prob"/> is 0–100.
/// </summary>
public sealed record MediaCheckDetail(string Strategy, int ErrCode, MediaCheckSuggest? Suggest, int? Label, int? Prob);

/// <summary>WeChat's content-check label codes (shared by <c>msgSecCheck</c> and <c>mediaCheckAsync</c> v2), in English.</summary>
public static class MediaCheckLabels
{
    /// <summary>100: nothing flagged.</summary>
    public const int Normal = 100;

    /// <summary>0: a version 1 push, which says only whether the media is risky.</summary>
    public const int Unlabelled = 0;

    /// <summary>A short reason for a label code, suitable for a moderation log or a user-facing refusal.</summary>
    public static string Describe(int label) => label switch
    {
        Normal => "normal",
        Unlabelled => "flagged by WeChat's content check",
        10001 => "advertising",
        20001 => "politically sensitive content",
        20002 => "pornography",
        20003 => "abuse or insults",
        20006 => "illegal or criminal content",
        20008 => "fraud",
        20012 => "vulgar content",
        20013 => "copyright infringement",
        21000 => "other prohibited content",
        _ => "flagged by WeChat's content check (label " + label.ToString(CultureInfo.InvariantCulture) + ")",
    };
}
