using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Serverless.Http;

/// <summary>Stable problem <c>type</c> URIs and helpers for application/problem+json answers.</summary>
public static class Problems
{
    public const string TypeBase = "https://errors.shortvideo.example/";

    public static ProblemHttpResult Create(int status, string type, string title, string? detail = null, IDictionary<string, object?>? extensions = null) =>
        TypedResults.Problem(detail: detail, statusCode: status, title: title, type: TypeBase + type, extensions: extensions);

    public static ProblemHttpResult BadRequest(string type, string detail, IDictionary<string, object?>? extensions = null) =>
        Create(StatusCodes.Status400BadRequest, type, "The request is not valid.", detail, extensions);

    public static ProblemHttpResult NotFound(string type, string detail) =>
        Create(StatusCodes.Status404NotFound, type, "Not found.", detail);

    public static ProblemHttpResult Conflict(string type, string detail, IDictionary<string, object?>? extensions = null) =>
        Create(StatusCodes.Status409Conflict, type, "Conflict.", detail, extensions);

    public static ProblemHttpResult Forbidden(string type, string detail) =>
        Create(StatusCodes.Status403Forbidden, type, "Forbidden.", detail);

    public static ProblemHttpResult PreconditionFailed(string type, string detail) =>
        Create(StatusCodes.Status412PreconditionFailed, type, "Precondition failed.", detail);
}
