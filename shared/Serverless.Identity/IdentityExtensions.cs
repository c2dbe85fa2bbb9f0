using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Serverless.Identity;

public static class IdentityExtensions
{
    /// <summary>Registers authentication (user and operator schemes) and the authorization policies every area uses.</summary>
    public static IHostApplicationBuilder AddIdentity(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<IdentityOptions>()
            .BindConfiguration(IdentityOptions.SectionName)
            .ValidateDataAnnotations()
            .Validate(o => !o.AllowDevelopmentSignIn || builder.Environment.IsDevelopment(),
                "Identity__AllowDevelopmentSignIn is enabled outside the Development environment; refusing to start.")
            .ValidateOnStart();
        builder.Services.AddAuthentication(DevHeaderHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, DevHeaderHandler>(DevHeaderHandler.SchemeName, null)
            .AddScheme<AuthenticationSchemeOptions, OperatorKeyHandler>(OperatorKeyHandler.SchemeName, null);
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(AuthPolicies.User, p => p.AddAuthenticationSchemes(DevHeaderHandler.SchemeName).RequireClaim(ClaimsPrincipalExtensions.UserIdClaim))
            .AddPolicy(AuthPolicies.Operator, p => p.AddAuthenticationSchemes(OperatorKeyHandler.SchemeName).RequireClaim("role", "operator"));
        return builder;
    }

    public static IEndpointRouteBuilder MapIdentityApi(this IEndpointRouteBuilder endpoints) => endpoints;
}

/// <summary>Sign-in settings (section <c>Identity</c>).</summary>
public sealed class IdentityOptions
{
    public const string SectionName = "Identity";

    /// <summary>Development only: accept the <c>X-Dev-User</c> header as the signed-in user. Refused outside Development.</summary>
    public bool AllowDevelopmentSignIn { get; set; }

    /// <summary>Operator keys accepted in <c>x-functions-key</c> (comma-separated: current and previous, for rotation).</summary>
    public string OperatorKeys { get; set; } = string.Empty;
}

/// <summary>Development sign-in: the user id comes from the <c>X-Dev-User</c> header. Only when explicitly enabled in Development.</summary>
internal sealed class DevHeaderHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, IOptions<IdentityOptions> identity)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "DevHeader";
    public const string HeaderName = "X-Dev-User";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!identity.Value.AllowDevelopmentSignIn || !Request.Headers.TryGetValue(HeaderName, out var values))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        var user = values.ToString();
        if (user.Length is 0 or > 64 || !user.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
        {
            return Task.FromResult(AuthenticateResult.Fail("X-Dev-User must be 1-64 letters, digits, '-' or '_'."));
        }

        var principal = new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimsPrincipalExtensions.UserIdClaim, "dev-" + user)], SchemeName));
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName)));
    }
}

/// <summary>Operator access with an operator key in <c>x-functions-key</c>, compared in constant time.</summary>
internal sealed class OperatorKeyHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, IOptions<IdentityOptions> identity)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "OperatorKey";
    public const string HeaderName = "x-functions-key";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!Request.Headers.TryGetValue(HeaderName, out var values))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        var presented = System.Text.Encoding.UTF8.GetBytes(values.ToString());
        var match = false;
        foreach (var key in identity.Value.OperatorKeys.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            match |= System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(presented, System.Text.Encoding.UTF8.GetBytes(key));
        }

        if (!match)
        {
            return Task.FromResult(AuthenticateResult.Fail("The operator key is not valid."));
        }

        var principal = new ClaimsPrincipal(new ClaimsIdentity([new Claim("role", "operator")], SchemeName));
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName)));
    }
}
