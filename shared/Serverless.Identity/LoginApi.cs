using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Serverless.Http;
using Serverless.Storage;

namespace Serverless.Identity;

public sealed record LoginRequest(string? Code);

public sealed record LoginResponse(string Token, DateTimeOffset ExpiresAt, string UserId);

/// <summary><c>POST /api/auth/login</c>: a <c>wx.login</c> code (or, in Development only, <c>dev:&lt;name&gt;</c>) for a token.</summary>
public static class LoginApi
{
    public const string FunctionName = "Login";
    public const string Route = "/api/auth/login";
    public const string DevelopmentCodePrefix = "dev:";
    public const int MaxCodeLength = 128;

    internal static async Task<Results<Ok<LoginResponse>, ProblemHttpResult>> LoginAsync(
        LoginRequest request,
        HttpContext context,
        SignInService signIn,
        CancellationToken cancellationToken)
    {
        context.Response.Headers.CacheControl = "no-store";
        return await signIn.SignInAsync(request.Code, context.Response, cancellationToken).ConfigureAwait(false);
    }
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
    public async Task<Results<Ok<LoginResponse>, ProblemHttpResult>> SignInAsync(string? code, HttpResponse response, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(code) || code.Length > LoginApi.MaxCodeLength)
        {
            return InvalidCode();
        }

        string userId;
        if (code.StartsWith(LoginApi.DevelopmentCodePrefix, StringComparison.Ordinal))
        {
            // Refused exactly like a bad WeChat code when development sign-in is off (it can only be on in Development).
            var name = code[LoginApi.DevelopmentCodePrefix.Length..];
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
                return Map(ex.Failure, response);
            }
        }

        var token = tokens.Issue(userId);
        return TypedResults.Ok(new LoginResponse(token.Token, token.ExpiresAt, userId));
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

    private static ProblemHttpResult InvalidCode() =>
        Problems.BadRequest("invalid-login-code", "The login code is missing, malformed, expired or already used; call wx.login again.");

    private static ProblemHttpResult Map(WeChatFailure failure, HttpResponse response)
    {
        switch (failure)
        {
            case WeChatFailure.InvalidCode:
                return InvalidCode();
            case WeChatFailure.RateLimited:
                response.Headers.RetryAfter = "60";
                return Problems.Create(StatusCodes.Status429TooManyRequests, "wechat-rate-limited", "Too many sign-ins.", "WeChat is limiting sign-ins for this user; try again later.");
            case WeChatFailure.HighRiskUser:
                return Problems.Forbidden("wechat-high-risk-user", "WeChat refused the sign-in for this account.");
            case WeChatFailure.NotConfigured:
                return Problems.Create(StatusCodes.Status503ServiceUnavailable, "sign-in-unavailable", "Sign-in is unavailable.", "WeChat sign-in is not configured on this server.");
            default:
                response.Headers.RetryAfter = "5";
                return Problems.Create(StatusCodes.Status503ServiceUnavailable, "wechat-unavailable", "WeChat is unavailable.", "WeChat could not be reached; try again shortly.");
        }
    }
}
