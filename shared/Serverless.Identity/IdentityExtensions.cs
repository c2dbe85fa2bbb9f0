using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Serverless.Functions;

namespace Serverless.Identity;

public static class IdentityExtensions
{
    /// <summary>
    /// Registers sign-in (WeChat <c>code2Session</c> and the Development-only <c>dev:</c> codes), bearer-token and operator-key
    /// authentication, the <see cref="AuthPolicies"/> every area uses, and the HTTP edge: body-size limit, rate limits,
    /// security headers and CORS.
    /// </summary>
    public static IHostApplicationBuilder AddIdentity(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddSingleton<IValidateOptions<IdentityOptions>, IdentityOptionsValidator>();
        services.AddSingleton<IValidateOptions<WeChatOptions>, WeChatOptionsValidator>();
        services.AddSingleton<IValidateOptions<EdgeOptions>, EdgeOptionsValidator>();
        services.AddOptions<IdentityOptions>().BindConfiguration(IdentityOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<WeChatOptions>().BindConfiguration(WeChatOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<EdgeOptions>().BindConfiguration(EdgeOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();

        services.AddSingleton<SigningKeyRing>();
        services.AddSingleton<UserIdDeriver>();
        services.AddSingleton<TokenService>();
        services.AddSingleton<SignInService>();
        services.AddSingleton<WeChatResilience>();
        services.AddHttpClient<IWeChatSessionClient, WeChatSessionClient>((sp, http) =>
            {
                var baseUrl = sp.GetRequiredService<IOptions<WeChatOptions>>().Value.BaseUrl;
                http.BaseAddress = new Uri(baseUrl.EndsWith('/') ? baseUrl : baseUrl + "/");
                http.Timeout = Timeout.InfiniteTimeSpan; // The resilience pipeline times each attempt.
                http.MaxResponseContentBufferSize = WeChatSessionClient.MaxReplyBytes;
            })
            .RemoveAllLoggers(); // The request URI carries the AppSecret: never log it.

        services.AddAuthentication(BearerTokenHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, BearerTokenHandler>(BearerTokenHandler.SchemeName, null)
            .AddScheme<AuthenticationSchemeOptions, OperatorKeyHandler>(OperatorKeyHandler.SchemeName, null);
        services.AddAuthorizationBuilder()
            .AddPolicy(AuthPolicies.User, p => p.AddAuthenticationSchemes(BearerTokenHandler.SchemeName).RequireClaim(ClaimsPrincipalExtensions.UserIdClaim))
            .AddPolicy(AuthPolicies.Operator, p => p.AddAuthenticationSchemes(OperatorKeyHandler.SchemeName).RequireClaim(OperatorKeyHandler.RoleClaim, OperatorKeyHandler.OperatorRole));

        // The edge: Kestrel's body limit applies to every endpoint (a route lifts it with IRequestSizeLimitMetadata).
        services.AddOptions<KestrelServerOptions>().Configure<IOptions<EdgeOptions>>((kestrel, edge) =>
        {
            kestrel.Limits.MaxRequestBodySize = edge.Value.MaxRequestBodyBytes;
            kestrel.AddServerHeader = false;
        });
        services.AddRateLimiter(_ => { });
        services.AddOptions<Microsoft.AspNetCore.RateLimiting.RateLimiterOptions>()
            .Configure<IOptions<EdgeOptions>>((limiter, edge) => EdgeRateLimits.Configure(limiter, edge.Value));
        services.AddCors();
        services.AddOptions<Microsoft.AspNetCore.Cors.Infrastructure.CorsOptions>().Configure<IOptions<EdgeOptions>>((cors, edge) =>
            cors.AddPolicy(EdgeStartupFilter.CorsPolicy, p => p
                .WithOrigins([.. edge.Value.ParseCorsOrigins()])
                .WithMethods("GET", "POST", "PUT", "DELETE")
                .WithHeaders("authorization", "content-type")
                .WithExposedHeaders("location", "retry-after")
                .SetPreflightMaxAge(TimeSpan.FromMinutes(10))));
        services.AddTransient<IStartupFilter, EdgeStartupFilter>();

        services.AddHttpFunction(LoginApi.FunctionName);
        return builder;
    }

    /// <summary>Maps <c>POST /api/auth/login</c>.</summary>
    public static IEndpointRouteBuilder MapIdentityApi(this IEndpointRouteBuilder endpoints) => endpoints.MapLoginApi();
}
