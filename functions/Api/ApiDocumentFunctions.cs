using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Options;
using Serverless.Functions.Web;
using Serverless.Http;

namespace Serverless.Functions.Api;

/// <summary>The HTTP API's OpenAPI document (<c>functions/openapi.json</c>, embedded; a test keeps it equal to the HTTP functions).</summary>
internal sealed class ApiDocumentFunctions(IOptions<WebOptions> options)
{

    /// <summary>The document changes only with a deployment: clients and proxies may keep it a few minutes.</summary>
    public const string CacheControl = "public, max-age=300";

    private static readonly Lazy<byte[]> Document = new(() =>
    {
        using var stream = typeof(ApiDocumentFunctions).Assembly.GetManifestResourceStream("openapi.json")
            ?? throw new InvalidOperationException("openapi.json is not embedded in the function app.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    });

    public static ReadOnlyMemory<byte> Bytes => Document.Value;

    [Function(nameof(GetOpenApiDocument))]
    [AllowAnonymous]
    public IResult GetOpenApiDocument([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "openapi/v1.json")] HttpRequest req)
    {
        ArgumentNullException.ThrowIfNull(req);
        if (!options.Value.OpenApiDocument)
        {
            return Problems.NotFound("not-found", "The API description is not served here (Web__OpenApiDocument).").ToHttp();
        }

        req.HttpContext.Response.Headers.CacheControl = CacheControl;
        return TypedResults.Bytes(Document.Value, "application/json;charset=utf-8");
    }
}
