using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Serverless.Http;

namespace Serverless.Functions.Api;

/// <summary>
/// What every function class reads from its request and how it answers: the one JSON body reader, query values, and the
/// mapping of an area's <see cref="Result{T}"/> to the HTTP answer (its <see cref="Problem"/> as problem+json, through
/// <see cref="ProblemResults"/>). The reader answers as ASP.NET Core's binding does: 415 for a body that is not JSON, 400
/// for a missing or malformed one or a query value that is not a number, each of type <c>bad-request</c>.
/// </summary>
internal static class HttpBinding
{
    /// <param name="invalid">The answer to any body that is not the JSON expected (not JSON, malformed, empty), when the endpoint has its own.</param>
    public static async Task<Result<T>> ReadJsonAsync<T>(HttpRequest request, CancellationToken cancellationToken, Problem? invalid = null)
        where T : class
    {
        if (!request.HasJsonContentType())
        {
            return invalid ?? BadRequest(StatusCodes.Status415UnsupportedMediaType, $"Expected a supported JSON media type but got \"{request.ContentType}\".");
        }

        var options = request.HttpContext.RequestServices.GetService<IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions>>()?.Value.SerializerOptions
            ?? JsonSerializerOptions.Web;
        try
        {
            var value = await request.ReadFromJsonAsync<T>(options, cancellationToken).ConfigureAwait(false);
            return value is null ? invalid ?? BadRequest(StatusCodes.Status400BadRequest, "A JSON body is required.") : value;
        }
        catch (JsonException)
        {
            return invalid ?? BadRequest(StatusCodes.Status400BadRequest, $"Failed to read the request body as JSON ({typeof(T).Name}).");
        }
    }

    /// <summary>The raw body, up to <paramref name="maxBytes"/>; <paramref name="tooLarge"/> when it is longer (declared or read).</summary>
    public static async Task<Result<byte[]>> ReadBytesAsync(HttpRequest request, int maxBytes, Problem tooLarge, CancellationToken cancellationToken)
    {
        if (request.ContentLength > maxBytes)
        {
            return tooLarge;
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > maxBytes)
            {
                return tooLarge;
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    /// <summary>The body as text, up to <paramref name="maxChars"/> UTF-8 characters; null when it is longer.</summary>
    public static async Task<string?> ReadTextAsync(HttpRequest request, int maxChars, CancellationToken cancellationToken)
    {
        if (request.ContentLength > maxChars * 4L)
        {
            return null;
        }

        using var reader = new StreamReader(request.Body, System.Text.Encoding.UTF8, detectEncodingFromByteOrderMarks: false, bufferSize: 4096, leaveOpen: true);
        var buffer = new char[maxChars + 1];
        var read = 0;
        int n;
        while (read < buffer.Length && (n = await reader.ReadAsync(buffer.AsMemory(read), cancellationToken).ConfigureAwait(false)) > 0)
        {
            read += n;
        }

        return read > maxChars ? null : new string(buffer, 0, read);
    }

    /// <summary>The request's <c>If-Match</c>, or null.</summary>
    public static string? IfMatch(HttpRequest request) =>
        request.Headers.IfMatch is { Count: > 0 } values ? values.ToString().Trim() : null;

    /// <summary>Whether <c>If-None-Match</c> names <paramref name="etag"/> (the weak comparison, RFC 9110 §13.1.2) or <c>*</c>.</summary>
    public static bool IfNoneMatch(HttpRequest request, string etag)
    {
        foreach (var value in request.Headers.IfNoneMatch)
        {
            foreach (var range in (value ?? string.Empty).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                var tag = range.StartsWith("W/", StringComparison.Ordinal) ? range[2..] : range;
                if (tag == "*" || tag == etag)
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>Whether the client takes a gzip-encoded answer.</summary>
    public static bool AcceptsGzip(HttpRequest request) =>
        request.Headers.AcceptEncoding.Any(value => value is not null && value.Contains("gzip", StringComparison.OrdinalIgnoreCase) && !value.Contains("gzip;q=0", StringComparison.OrdinalIgnoreCase));

    /// <summary>An optional integer query parameter: absent is null; present but not an integer is a 400.</summary>
    public static Result<int?> QueryInt(HttpRequest request, string name)
    {
        if (!request.Query.TryGetValue(name, out var raw) || raw.Count == 0)
        {
            return new Result<int?>();
        }

        return raw.Count == 1 && int.TryParse(raw.ToString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var parsed)
            ? parsed
            : BadRequest(StatusCodes.Status400BadRequest, $"Failed to bind parameter \"{name}\" from \"{raw}\".");
    }

    /// <summary>An optional string query parameter (the first value).</summary>
    public static string? Query(HttpRequest request, string name) =>
        request.Query.TryGetValue(name, out var raw) && raw.Count > 0 ? raw[0] : null;

    /// <summary>The answer of an area's result: <paramref name="ok"/> of its value, or its problem.</summary>
    public static IResult ToHttp<T>(this Result<T> result, Func<T, IResult> ok) => result.Match(ok, problem => problem.ToHttp());

    private static Problem BadRequest(int status, string detail) => Problems.Create(status, "bad-request", "Bad request.", detail);
}
