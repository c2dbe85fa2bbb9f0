using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Serverless.WeChat;

namespace Serverless.Identity;

public static class IdentityExtensions
{
    /// <summary>
    /// Registers sign-in (WeChat <c>code2Session</c> and the Development-only <c>dev:</c> codes), bearer-token and operator-key
    /// authentication, the <see cref="AuthPolicies"/> every area uses, and the edge's rate limits.
    /// </summary>
    public static IHostApplicationBuilder AddIdentity(this IHostApplicationBuilder builder)
    {
        builder.AddWeChat();
        var services = builder.Services;
        services.AddSingleton<IValidateOptions<IdentityOptions>, IdentityOptionsValidator>();
        services.AddSingleton<IValidateOptions<EdgeOptions>, EdgeOptionsValidator>();
        services.AddOptions<IdentityOptions>().BindConfiguration(IdentityOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<EdgeOptions>().BindConfiguration(EdgeOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();

        services.AddSingleton<SigningKeyRing>();
        services.AddSingleton<UserIdDeriver>();
        services.AddSingleton<TokenService>();
        services.AddSingleton<SignInService>();

        services.AddAuthentication(BearerTokenHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, BearerTokenHandler>(BearerTokenHandler.SchemeName, null)
            .AddScheme<AuthenticationSchemeOptions, OperatorKeyHandler>(OperatorKeyHandler.SchemeName, null);
        services.AddAuthorizationBuilder()
            .AddPolicy(AuthPolicies.User, p => p.AddAuthenticationSchemes(BearerTokenHandler.SchemeName).RequireClaim(ClaimsPrincipalExtensions.UserIdClaim))
            .AddPolicy(AuthPolicies.Operator, p => p.AddAuthenticationSchemes(OperatorKeyHandler.SchemeName).RequireClaim(OperatorKeyHandler.RoleClaim, OperatorKeyHandler.OperatorRole));

        // The edge (enforced by the app's worker middleware under either host): per-user and per-IP rate limits.
        services.AddSingleton<EdgeRateLimits>();
        services.AddAuthorizationPolicyEvaluator();

        return builder;
    }
}
