using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Serverless.Http;

namespace Serverless.Functions.Api;

/// <summary>
/// Reads what a function's request carries (a JSON body, query numbers) with the answers ASP.NET Core's binding gives:
/// 415 for a body that is not JSON, 400 for a missing or malformed one or a query value that is not a number, each as
/// problem+json of type <c>bad-request</c>.
/// </summary>
internal static class HttpBinding
{
    public static async Task<(T? Value, ProblemHttpResult? Problem)> ReadJsonAsync<T>(HttpRequest request, CancellationToken cancellationToken)
        where T : class
    {
        if (!request.HasJsonContentType())
        {
            return (null, BadRequest(StatusCodes.Status415UnsupportedMediaType, $"Expected a supported JSON media type but got \"{request.ContentType}\"."));
        }

        var options = request.HttpContext.RequestServices.GetService<IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions>>()?.Value.SerializerOptions
            ?? JsonSerializerOptions.Web;
        try
        {
            var value = await request.ReadFromJsonAsync<T>(options, cancellationToken).ConfigureAwait(false);
            return value is null ? (null, BadRequest(StatusCodes.Status400BadRequest, "A JSON body is required.")) : (value, null);
        }
        catch (JsonException)
        {
            return (null, BadRequest(StatusCodes.Status400BadRequest, $"Failed to read the request body as JSON ({typeof(T).Name})."));
        }
    }

    /// <summary>An optional integer query parameter: absent is null; present but not an integer is a 400.</summary>
    public static bool TryQueryInt(HttpRequest request, string name, out int? value, out ProblemHttpResult? problem)
    {
        value = null;
        problem = null;
        if (!request.Query.TryGetValue(name, out var raw) || raw.Count == 0)
        {
            return true;
        }

        if (raw.Count == 1 && int.TryParse(raw.ToString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var parsed))
        {
            value = parsed;
            return true;
        }

        problem = BadRequest(StatusCodes.Status400BadRequest, $"Failed to bind parameter \"{name}\" from \"{raw}\".");
        return false;
    }

    /// <summary>An optional string query parameter (the first value).</summary>
    public static string? Query(HttpRequest request, string name) =>
        request.Query.TryGetValue(name, out var raw) && raw.Count > 0 ? raw[0] : null;

    private static ProblemHttpResult BadRequest(int status, string detail) => Problems.Create(status, "bad-request", "Bad request.", detail);
}
