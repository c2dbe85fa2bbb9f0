using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Serverless.Storage;
using Serverless.WeChat;

namespace Serverless.Identity;

public sealed record LoginRequest(string? Code);

public sealed record LoginResponse(string Token, DateTimeOffset ExpiresAt, string UserId);

/// <summary>The sign-in route and the codes it takes.</summary>
public static class SignIn
{
    /// <summary>The route (the edge's rate limits class requests by it).</summary>
    public const string Route = "/api/auth/login";

    /// <summary>Codes <c>dev:&lt;name&gt;</c> sign in as <c>dev-&lt;name&gt;</c> when development sign-in is on (Development only).</summary>
    public const string DevelopmentCodePrefix = "dev:";

    public const int MaxCodeLength = 128;
}

/// <summary>Turns a login code into a user id and a token. The user id never comes from the client.</summary>
internal sealed partial class SignInService(
    IWeChatSessionClient wechat,
    UserIdDeriver userIds,
    TokenService tokens,
    IOptions<IdentityOptions> identity,
    IOptions<WeChatOptions> wechatOptions,
    IWeChatUsers wechatUsers,
    ILogger<SignInService> logger)
{
    public async Task<Result<LoginResponse>> SignInAsync(string? code, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(code) || code.Length > SignIn.MaxCodeLength)
        {
            return InvalidCode();
        }

        string userId;
        if (code.StartsWith(SignIn.DevelopmentCodePrefix, StringComparison.Ordinal))
        {
            // Refused exactly like a bad WeChat code when development sign-in is off (it can only be on in Development).
            var name = code[SignIn.DevelopmentCodePrefix.Length..];
            if (!identity.Value.AllowDevelopmentSignIn || !UserIdFormat.IsValidDevelopmentName(name))
            {
                return InvalidCode();
            }

            userId = UserIdDeriver.FromDevelopmentName(name);
        }
        else
        {
            // wx.login codes are short ASCII tokens; anything else never reaches WeChat.
            if (!code.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
            {
                return InvalidCode();
            }

            try
            {
                var session = await wechat.ExchangeCodeAsync(code, cancellationToken).ConfigureAwait(false);
                userId = userIds.FromWeChat(wechatOptions.Value.AppId, session.OpenId);
                await RememberOpenIdAsync(userId, session.OpenId, cancellationToken).ConfigureAwait(false);
            }
            catch (WeChatSignInException ex)
            {
                return Map(ex.Failure);
            }
        }

        var token = tokens.Issue(userId);
        return new LoginResponse(token.Token, token.ExpiresAt, userId);
    }

    /// <summary>Kept for WeChat's content check of the user's uploads; a sign-in does not fail for it (their uploads then wait for an operator's review).</summary>
    private async Task RememberOpenIdAsync(string userId, string openId, CancellationToken cancellationToken)
    {
        try
        {
            using var quick = StorageCallScope.BeginInteractive();
            await wechatUsers.RecordSignInAsync(userId, openId, cancellationToken).ConfigureAwait(false);
        }
        catch (StorageException ex)
        {
            LogOpenIdNotRecorded(logger, userId, ex.Message);
        }
    }

    [LoggerMessage(EventId = 6010, Level = LogLevel.Warning, Message = "The openid of user {UserId} could not be recorded ({Reason}); their uploads' content check needs it")]
    private static partial void LogOpenIdNotRecorded(ILogger logger, string userId, string reason);

    private static Problem InvalidCode() =>
        Problems.BadRequest("invalid-login-code", "The login code is missing, malformed, expired or already used; call wx.login again.");

    private static Problem Map(WeChatFailure failure) => failure switch
    {
        WeChatFailure.InvalidCode => InvalidCode(),
        WeChatFailure.RateLimited => Problems.Create(StatusCodes.Status429TooManyRequests, "wechat-rate-limited", "Too many sign-ins.", "WeChat is limiting sign-ins for this user; try again later.") with { RetryAfterSeconds = 60 },
        WeChatFailure.HighRiskUser => Problems.Forbidden("wechat-high-risk-user", "WeChat refused the sign-in for this account."),
        WeChatFailure.NotConfigured => Problems.Create(StatusCodes.Status503ServiceUnavailable, "sign-in-unavailable", "Sign-in is unavailable.", "WeChat sign-in is not configured on this server."),
        WeChatFailure.AddressNotAllowed => Problems.Create(
            StatusCodes.Status503ServiceUnavailable, "sign-in-unavailable", "Sign-in is unavailable.", "WeChat refused this server's address (its API IP allow-list); an operator must add it."),
        _ => Problems.Create(StatusCodes.Status503ServiceUnavailable, "wechat-unavailable", "WeChat is unavailable.", "WeChat could not be reached; try again shortly.") with { RetryAfterSeconds = 5 },
    };
}
