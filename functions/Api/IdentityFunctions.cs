using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Serverless.Http;
using Serverless.Identity;

namespace Serverless.Functions.Api;

/// <summary>Sign-in and liveness.</summary>
internal sealed class IdentityFunctions(SignInService signIn)
{
    /// <summary><c>POST /api/auth/login</c>: a <c>wx.login</c> code (or, in Development, <c>dev:&lt;name&gt;</c>) for a token.</summary>
    [Function(nameof(Login))]
    [AllowAnonymous]
    public async Task<IResult> Login(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "auth/login")] HttpRequest req, CancellationToken cancellationToken)
    {
        var body = await HttpBinding.ReadJsonAsync<LoginRequest>(req, cancellationToken).ConfigureAwait(false);
        if (body.Problem is { } bad)
        {
            return bad.ToHttp();
        }

        req.HttpContext.Response.Headers.CacheControl = "no-store";
        var signedIn = await signIn.SignInAsync(body.Value!.Code, cancellationToken).ConfigureAwait(false);
        return signedIn.ToHttp(TypedResults.Ok);
    }

    /// <summary><c>GET /api/health</c>: a constant answer, for probes.</summary>
    [Function(nameof(Health))]
    [AllowAnonymous]
    public static IResult Health([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "health")] HttpRequest req) =>
        TypedResults.Ok(new { status = "ok" });
}
