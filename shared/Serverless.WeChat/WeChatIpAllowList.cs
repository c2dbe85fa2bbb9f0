using System.Net;
using System.Text.RegularExpressions;

namespace Serverless.WeChat;

/// <summary>
/// WeChat's API IP allow-list: with it on, the calls that carry the AppSecret (<c>stable_token</c>, <c>code2Session</c>)
/// from any other address get errcode 40164 (<c>invalid ip 203.0.113.7 ipv6 ::ffff:203.0.113.7, not in whitelist rid: …</c>).
/// That is not bad credentials: the message names the allow-list, the address WeChat saw and this deployment's fixed
/// outbound IP (<see cref="WeChatOptions.OutboundIp"/>), which is what goes into the list.
/// </summary>
public static partial class WeChatIpAllowList
{
    public const int NotInAllowList = 40164;

    /// <summary>What an operator reads when WeChat refused the address a call came from.</summary>
    public static string Describe(string? errMsg, string? outboundIp)
    {
        var seen = SeenAddress(errMsg);
        var refused = seen is null
            ? "WeChat refused the call: the server's address is not in the mini-program's API IP allow-list (errcode 40164)."
            : $"WeChat refused the call from {seen}: that address is not in the mini-program's API IP allow-list (errcode 40164).";
        var fix = string.IsNullOrWhiteSpace(outboundIp)
            ? " This deployment has no fixed outbound IP (WeChat__OutboundIp is empty): deploy with the fixed outbound IP option (infra/README.md, \"Deploying for a WeChat mini-program\") and add its IP, or turn the allow-list off."
            : $" Add this deployment's fixed outbound IP {outboundIp.Trim()} to the allow-list (WeChat Official Accounts Platform → 开发管理 → 开发设置 → 开发者ID → IP白名单).";
        return refused + fix;
    }

    /// <summary>The IPv4 or IPv6 address in WeChat's <c>invalid ip …</c> message, or null.</summary>
    public static string? SeenAddress(string? errMsg) =>
        errMsg is not null && SeenIp().Match(errMsg) is { Success: true } match && IPAddress.TryParse(match.Groups[1].ValueSpan, out var address)
            ? address.ToString()
            : null;

    [GeneratedRegex(@"invalid ip ([0-9A-Fa-f:.]{2,45})", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 100)]
    private static partial Regex SeenIp();
}
