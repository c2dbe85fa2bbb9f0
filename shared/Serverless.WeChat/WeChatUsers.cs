namespace Serverless.WeChat;

/// <summary>
/// The openid behind each WeChat user id, kept server-side only: WeChat's content check must name the uploader's openid, and
/// the user id is a one-way derivation of it. Development users (<c>dev-…</c>) have none.
/// </summary>
public interface IWeChatUsers
{
    /// <summary>Records a WeChat sign-in (the openid, and when the user was last seen: WeChat only checks for users active in the last two hours).</summary>
    Task RecordSignInAsync(string userId, string openId, CancellationToken cancellationToken);

    /// <summary>The user's openid, or null when the user never signed in with WeChat.</summary>
    Task<string?> FindOpenIdAsync(string userId, CancellationToken cancellationToken);
}
