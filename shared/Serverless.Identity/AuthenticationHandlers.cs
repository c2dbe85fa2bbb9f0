using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using Serverless.Http;

namespace Serverless.Identity;

/// <summary>Validates <c>Authorization: Bearer &lt;jwt&gt;</c> (HS256 only, issuer, audience, lifetime, key by <c>kid</c>).</summary>
internal sealed class BearerTokenHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    TokenService tokens)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Bearer";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization;
        if (header.Count == 0)
        {
            return AuthenticateResult.NoResult();
        }

        if (header.Count > 1)
        {
            return AuthenticateResult.Fail("More than one Authorization header.");
        }

        var value = header.ToString();
        if (!value.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return AuthenticateResult.Fail("The Authorization header is not a bearer token.");
        }

        var validation = await tokens.ValidateAsync(value["Bearer ".Length..].Trim()).ConfigureAwait(false);
        return validation.Principal is { } principal
            ? AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName))
            : AuthenticateResult.Fail("The bearer token is not valid: " + validation.Failure);
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.Headers[HeaderNames.WWWAuthenticate] = "Bearer error=\"invalid_token\"";
        return AuthProblems.WriteAsync(Context, StatusCodes.Status401Unauthorized, "unauthorized", "Sign in: send Authorization: Bearer with a token from POST /api/auth/login.");
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        AuthProblems.WriteAsync(Context, StatusCodes.Status403Forbidden, "forbidden", "This token does not grant access here.");
}

/// <summary>
/// Operator access with a key in <c>x-functions-key</c> (the Functions header, but not the host's function keys: every HTTP
/// trigger is <c>AuthorizationLevel.Anonymous</c>, so neither host checks anything first; this handler, run by the app's edge
/// middleware under both hosts, is the only check, against <c>Identity__OperatorKeys</c>). Keys are compared as SHA-256
/// digests in constant time, so neither content nor length leaks.
/// </summary>
internal sealed class OperatorKeyHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    IOptions<IdentityOptions> identity)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "OperatorKey";
    public const string HeaderName = "x-functions-key";
    public const string RoleClaim = "role";
    public const string OperatorRole = "operator";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var values = Request.Headers[HeaderName];
        if (values.Count == 0)
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        var presented = SHA256.HashData(Encoding.UTF8.GetBytes(values.Count == 1 ? values.ToString() : string.Empty));
        var match = false;
        foreach (var key in identity.Value.ParseOperatorKeys())
        {
            match |= CryptographicOperations.FixedTimeEquals(presented, SHA256.HashData(Encoding.UTF8.GetBytes(key)));
        }

        if (!match || values.Count != 1)
        {
            return Task.FromResult(AuthenticateResult.Fail("The operator key is not valid."));
        }

        var principal = new ClaimsPrincipal(new ClaimsIdentity([new Claim(RoleClaim, OperatorRole)], SchemeName));
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName)));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties) =>
        AuthProblems.WriteAsync(Context, StatusCodes.Status401Unauthorized, "operator-key-required", "Send a valid operator key in x-functions-key.");

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        AuthProblems.WriteAsync(Context, StatusCodes.Status403Forbidden, "forbidden", "This key does not grant access here.");
}

/// <summary>Challenge and forbid answers as problem+json (authorization runs before the app's status-code pages).</summary>
internal static class AuthProblems
{
    public static Task WriteAsync(HttpContext context, int status, string type, string detail)
    {
        if (context.Response.HasStarted)
        {
            return Task.CompletedTask;
        }

        context.Response.StatusCode = status;
        var title = status == StatusCodes.Status401Unauthorized ? "Unauthorized." : "Forbidden.";
        return Problems.Create(status, type, title, detail).WriteAsync(context);
    }
}
