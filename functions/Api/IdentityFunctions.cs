using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Serverless.Identity;

namespace Serverless.Functions.Api;

/// <summary>Sign-in and liveness.</summary>
internal sealed class IdentityFunctions(SignInService signIn)
{
    public const string Health = "Health";

    /// <summary><c>POST /api/auth/login</c>: a <c>wx.login</c> code (or, in Development, <c>dev:&lt;name&gt;</c>) for a token.</summary>
    [Function(LoginApi.FunctionName)]
    [AllowAnonymous]
    public async Task<IResult> LoginAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "auth/login")] HttpRequest req, CancellationToken cancellationToken)
    {
        var (body, problem) = await HttpBinding.ReadJsonAsync<LoginRequest>(req, cancellationToken).ConfigureAwait(false);
        return problem ?? (IResult)await LoginApi.LoginAsync(body!, req.HttpContext, signIn, cancellationToken).ConfigureAwait(false);
    }

    /// <summary><c>GET /api/health</c>: a constant answer, for probes.</summary>
    [Function(Health)]
    [AllowAnonymous]
    public static IResult GetHealth([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "health")] HttpRequest req) =>
        TypedResults.Ok(new { status = "ok" });
}
