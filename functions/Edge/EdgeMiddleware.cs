using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Middleware;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Serverless.Http;
using Serverless.Identity;
using Serverless.Storage;

namespace Serverless.Functions.Edge;

/// <summary>
/// What every HTTP function invocation passes through, under the Functions host and the local host alike: security
/// headers, the request body limit, the rate limits, authentication and authorization by the function's policy, and
/// problem+json for what the function throws (a storage outage is 503 with Retry-After, never a stack trace). Storage
/// calls made while a caller waits fail fast (<see cref="StorageCallScope"/>). Other invocations pass straight through; an
/// HTTP invocation without its HttpContext is refused (it could not be checked).
/// </summary>
public sealed partial class EdgeMiddleware(
    FunctionEdgeRules rules,
    EdgeRateLimits rateLimits,
    IAuthorizationPolicyProvider policies,
    IPolicyEvaluator evaluator,
    IHostEnvironment environment,
    ILogger<EdgeMiddleware> logger) : IFunctionsWorkerMiddleware
{
    private readonly bool _hsts = !environment.IsDevelopment();

    public async Task Invoke(FunctionContext context, FunctionExecutionDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        if (context.GetHttpContext() is not { } http)
        {
            // Every check below needs the request. An HTTP function without it would run unauthenticated and unlimited:
            // fail closed (the host answers 500). Other triggers have no request and pass straight through.
            if (IsHttpTrigger(context.FunctionDefinition))
            {
                LogNoHttpContext(context.FunctionDefinition.Name);
                throw new InvalidOperationException(
                    $"The HTTP function {context.FunctionDefinition.Name} was invoked without its HttpContext; refused, as the edge checks cannot run.");
            }

            await next(context).ConfigureAwait(false);
            return;
        }

        SecurityHeaders.ApplyOnStarting(http, _hsts);
        using var interactive = StorageCallScope.BeginInteractive();
        try
        {
            var rule = rules.For(context.FunctionDefinition);
            if (!await WithinBodyLimitAsync(http, rule).ConfigureAwait(false)
                || !await rateLimits.TryAdmitAsync(http).ConfigureAwait(false)
                || !await AuthorizeAsync(http, rule).ConfigureAwait(false))
            {
                return;
            }

            await next(context).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            // The caller went away; nobody reads an answer.
            if (!http.Response.HasStarted)
            {
                http.Response.StatusCode = 499;
            }
        }
        catch (Exception ex) when (!http.Response.HasStarted)
        {
            var (status, type, title) = ex switch
            {
                StorageUnavailableException => (StatusCodes.Status503ServiceUnavailable, "storage-unavailable", "Storage is unavailable; retry shortly."),
                BadHttpRequestException bad => (bad.StatusCode, "bad-request", bad.Message),
                _ => (StatusCodes.Status500InternalServerError, "internal", "An unexpected error occurred."),
            };
            if (status == StatusCodes.Status500InternalServerError)
            {
                LogUnhandled(ex, context.FunctionDefinition.Name);
            }

            http.Response.Clear();
            var problem = Problems.Create(status, type, title);
            await (status == StatusCodes.Status503ServiceUnavailable ? problem with { RetryAfterSeconds = 5 } : problem).WriteAsync(http).ConfigureAwait(false);
        }
    }

    private static bool IsHttpTrigger(FunctionDefinition function) =>
        function.InputBindings.Values.Any(b => string.Equals(b.Type, "httpTrigger", StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// Applies the function's body limit to the request (the server refuses to read past it) and answers 413 at once when
    /// the declared length is over it, so a careful client (<c>Expect: 100-continue</c>) never sends the body.
    /// </summary>
    private static async Task<bool> WithinBodyLimitAsync(HttpContext http, FunctionEdgeRule rule)
    {
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
        {
            feature.MaxRequestBodySize = rule.MaxBodyBytes;
        }

        if (rule.MaxBodyBytes is not { } limit || http.Request.ContentLength is not { } length || length <= limit)
        {
            return true;
        }

        await Problems.Create(
            StatusCodes.Status413PayloadTooLarge,
            "request-too-large",
            "The request body is too large.",
            $"This endpoint takes at most {limit.ToString(System.Globalization.CultureInfo.InvariantCulture)} bytes.").WriteAsync(http).ConfigureAwait(false);
        return false;
    }

    /// <summary>Authenticates with the policy's schemes and authorizes, answering 401 or 403 (problem+json) as ASP.NET Core's authorization would.</summary>
    private async Task<bool> AuthorizeAsync(HttpContext http, FunctionEdgeRule rule)
    {
        if (rule.Policy is not { } name)
        {
            return true;
        }

        var policy = await policies.GetPolicyAsync(name).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"No authorization policy '{name}' is registered.");
        var authentication = await evaluator.AuthenticateAsync(policy, http).ConfigureAwait(false);
        var authorization = await evaluator.AuthorizeAsync(policy, authentication, http, resource: null).ConfigureAwait(false);
        if (authorization.Succeeded)
        {
            return true;
        }

        foreach (var scheme in policy.AuthenticationSchemes)
        {
            if (authorization.Challenged)
            {
                await http.ChallengeAsync(scheme).ConfigureAwait(false);
            }
            else
            {
                await http.ForbidAsync(scheme).ConfigureAwait(false);
            }
        }

        return false;
    }

    [LoggerMessage(EventId = 140, Level = LogLevel.Error, Message = "{Function} failed with an unhandled exception")]
    private partial void LogUnhandled(Exception exception, string function);

    [LoggerMessage(EventId = 141, Level = LogLevel.Error, Message = "HTTP function {Function} invoked without its HttpContext: refused")]
    private partial void LogNoHttpContext(string function);
}
