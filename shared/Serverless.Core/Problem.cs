namespace Serverless;

/// <summary>
/// Why a request could not be done, as an area's service reports it: the HTTP status the edge answers with, a stable
/// type (appended to <see cref="Problems.TypeBase"/>), a title, a detail a person reads, and extra members. Services return
/// it inside a <see cref="Result{T}"/>; the function classes turn it into <c>application/problem+json</c>
/// (<c>Serverless.Http.ProblemResults</c>), the one place that writes problem answers.
/// </summary>
/// <param name="RetryAfterSeconds">When the caller may try again (the answer's <c>Retry-After</c>), for a refusal that passes.</param>
public sealed record Problem(int Status, string Type, string Title, string? Detail = null, IReadOnlyDictionary<string, object?>? Extensions = null)
{
    public int? RetryAfterSeconds { get; init; }
}

/// <summary>What a service did: a value, or the <see cref="Problem"/> that stopped it.</summary>
public readonly record struct Result<T>
{
    private Result(T? value, Problem? problem)
    {
        Value = value;
        Problem = problem;
    }

    public T? Value { get; }

    public Problem? Problem { get; }

    public static implicit operator Result<T>(T value) => new(value, null);

    public static implicit operator Result<T>(Problem problem) => new(default, problem);

    public TResult Match<TResult>(Func<T, TResult> ok, Func<Problem, TResult> problem)
    {
        ArgumentNullException.ThrowIfNull(ok);
        ArgumentNullException.ThrowIfNull(problem);
        return Problem is { } p ? problem(p) : ok(Value!);
    }
}

/// <summary>The problems the areas report, by kind, with their stable types.</summary>
public static class Problems
{
    public const string TypeBase = "https://errors.shortvideo.example/";

    public static Problem Create(int status, string type, string title, string? detail = null, IReadOnlyDictionary<string, object?>? extensions = null) =>
        new(status, type, title, detail, extensions);

    public static Problem BadRequest(string type, string detail, IReadOnlyDictionary<string, object?>? extensions = null) =>
        Create(400, type, "The request is not valid.", detail, extensions);

    public static Problem NotFound(string type, string detail) => Create(404, type, "Not found.", detail);

    public static Problem Conflict(string type, string detail, IReadOnlyDictionary<string, object?>? extensions = null) =>
        Create(409, type, "Conflict.", detail, extensions);

    public static Problem Forbidden(string type, string detail) => Create(403, type, "Forbidden.", detail);

    public static Problem PreconditionFailed(string type, string detail) => Create(412, type, "Precondition failed.", detail);
}
