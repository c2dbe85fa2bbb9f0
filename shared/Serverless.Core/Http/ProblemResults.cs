using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Serverless.Http;

/// <summary>The one mapping of a <see cref="Problem"/> to its HTTP answer: <c>application/problem+json</c>, with <c>Retry-After</c> when it says when.</summary>
public static class ProblemResults
{
    public static IResult ToHttp(this Problem problem)
    {
        ArgumentNullException.ThrowIfNull(problem);
        var result = Json(problem);
        return problem.RetryAfterSeconds is { } seconds ? new RetryAfter(seconds, result) : result;
    }

    /// <summary>Writes <paramref name="problem"/> as the response (for code outside a function's result: middleware, handlers).</summary>
    public static Task WriteAsync(this Problem problem, HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return problem.ToHttp().ExecuteAsync(context);
    }

    private static ProblemHttpResult Json(Problem problem) => TypedResults.Problem(
        detail: problem.Detail,
        statusCode: problem.Status,
        title: problem.Title,
        type: Problems.TypeBase + problem.Type,
        extensions: problem.Extensions);

    private sealed class RetryAfter(int seconds, IResult inner) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
            return inner.ExecuteAsync(httpContext);
        }
    }
}
