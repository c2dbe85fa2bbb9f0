using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Serverless.Identity;
using Serverless.IntegrationTests.Infra;
using Serverless.IntegrationTests.Infrastructure;

namespace Serverless.IntegrationTests.Web;

/// <summary>
/// The app's HTTP routes, its OpenAPI document and the function.json files describe the same API: an endpoint missing
/// from any of them, or documented without its security and problem answers, fails here.
/// </summary>
public sealed class HttpSurfaceTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>
{
    /// <summary>Where the mini-program sample keeps its copy of the document (its TypeScript types are generated from it).</summary>
    public static readonly string[] CommittedDocument = ["samples", "miniprogram", "api", "openapi.json"];

    [Fact]
    public async Task OpenApi_EveryApiEndpoint_IsDocumentedWithItsMethod()
    {
        var (endpoints, document) = await LoadAsync();

        var missing = endpoints.Where(e => e.Described && Operation(document, e) is null).Select(e => e.ToString()).ToList();

        Assert.NotEmpty(endpoints);
        Assert.True(missing.Count == 0, "Endpoints missing from the OpenAPI document:\n" + string.Join("\n", missing));
    }

    [Fact]
    public async Task OpenApi_EveryDocumentedOperation_IsAnApiEndpoint()
    {
        var (endpoints, document) = await LoadAsync();
        var known = endpoints.Select(e => e.ToString()).ToHashSet(StringComparer.Ordinal);

        var extra = Operations(document).Select(o => $"{o.Method} {o.Path}").Where(o => !known.Contains(o)).ToList();

        // Also keeps the custom-handler invocation endpoints (POST /{FunctionName}) out of the document.
        Assert.True(extra.Count == 0, "Documented operations the app does not serve under /api:\n" + string.Join("\n", extra));
    }

    [Fact]
    public async Task OpenApi_Operations_DeclareTheirSecurityAndProblemAnswers()
    {
        var (endpoints, document) = await LoadAsync();
        var problems = new List<string>();
        foreach (var endpoint in endpoints.Where(e => e.Described))
        {
            var operation = Operation(document, endpoint)!;
            var schemes = operation["security"]?.AsArray().SelectMany(r => r!.AsObject().Select(p => p.Key)).ToList() ?? [];
            var expected = endpoint.Policies.Contains(AuthPolicies.Operator) ? "functionKey"
                : endpoint.Policies.Contains(AuthPolicies.User) ? "bearer"
                : null;
            if (expected is null ? schemes.Count != 0 : !schemes.SequenceEqual([expected]))
            {
                problems.Add($"{endpoint}: security [{string.Join(", ", schemes)}], expected [{expected}]");
            }

            var responses = operation["responses"]!.AsObject();
            foreach (var status in expected is null ? ["default"] : new[] { "default", "401" })
            {
                if (responses[status]?["content"]?["application/problem+json"] is null)
                {
                    problems.Add($"{endpoint}: no application/problem+json answer for {status}");
                }
            }
        }

        var securitySchemes = document["components"]?["securitySchemes"]?.AsObject();
        Assert.Equal("bearer", securitySchemes?["bearer"]?["scheme"]?.GetValue<string>());
        Assert.Equal("x-functions-key", securitySchemes?["functionKey"]?["name"]?.GetValue<string>());
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public async Task OpenApiDocument_UnderApi_IsAnonymousCachedAndRoutedByAFunction()
    {
        // Under the Functions host only the HTTP functions' routes are served: the document is one of them.
        await using var app = new FunctionsAppFactory(azurite.ConnectionString, new Dictionary<string, string?> { ["LocalRuntime:Enabled"] = "false" });
        using var client = app.CreateClient();

        using var response = await client.GetAsync("/api/openapi/v1.json");

        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("public", response.Headers.CacheControl?.ToString() ?? string.Empty, StringComparison.Ordinal);
        Assert.True(response.Headers.CacheControl?.MaxAge > TimeSpan.Zero);
        Assert.StartsWith("3.1", JsonNode.Parse(await response.Content.ReadAsStringAsync())!["openapi"]!.GetValue<string>(), StringComparison.Ordinal);
        var function = JsonDocument.Parse(RepoFiles.ReadText("functions", "GetOpenApiDocument", "function.json")).RootElement.GetProperty("bindings")[0];
        Assert.Equal(("anonymous", "openapi/v1.json"), (function.GetProperty("authLevel").GetString(), function.GetProperty("route").GetString()));
        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await client.GetAsync("/openapi/v1.json")).StatusCode);
    }

    [Fact]
    public async Task OpenApi_CommittedCopy_MatchesTheAppsDocument()
    {
        var (_, document) = await LoadAsync();
        var path = RepoFiles.Path(CommittedDocument);
        var fresh = document.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
        if (Environment.GetEnvironmentVariable("UPDATE_OPENAPI") == "1")
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            await File.WriteAllTextAsync(path, fresh);
        }

        var committed = File.Exists(path) ? JsonNode.Parse(await File.ReadAllTextAsync(path)) : null;

        Assert.True(
            JsonNode.DeepEquals(committed, document),
            $"{string.Join('/', CommittedDocument)} is stale: refresh it with UPDATE_OPENAPI=1 dotnet test tests/Serverless.IntegrationTests --filter OpenApi_CommittedCopy");
    }

    [Fact]
    public async Task FunctionJson_HttpTriggers_MatchTheAppsRoutes()
    {
        var (endpoints, _) = await LoadAsync();
        var declared = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, json) in RepoFiles.FunctionJsonFiles())
        {
            using var file = JsonDocument.Parse(json);
            foreach (var binding in file.RootElement.GetProperty("bindings").EnumerateArray()
                .Where(b => b.GetProperty("type").GetString() == "httpTrigger"))
            {
                var route = ApiEndpoint.Normalize("/api/" + (binding.TryGetProperty("route", out var r) ? r.GetString() : name));
                var methods = binding.TryGetProperty("methods", out var m) ? m.EnumerateArray().Select(x => x.GetString()!.ToUpperInvariant()) : ["GET", "POST"];
                foreach (var method in methods)
                {
                    declared.Add($"{method} {route}");
                }
            }
        }

        var served = endpoints.Select(e => e.ToString()).ToHashSet(StringComparer.Ordinal);

        var noFunction = served.Where(s => !declared.Contains(s)).Order(StringComparer.Ordinal).ToList();
        var noEndpoint = declared.Where(d => !served.Contains(d)).Order(StringComparer.Ordinal).ToList();
        Assert.True(noFunction.Count == 0, "Endpoints the Functions host would not route (no functions/<Name>/function.json httpTrigger):\n" + string.Join("\n", noFunction));
        Assert.True(noEndpoint.Count == 0, "httpTrigger routes and methods the app does not serve:\n" + string.Join("\n", noEndpoint));
    }

    [Fact]
    public void Normalize_GroupRootsAndConstraints_ComparePlain()
    {
        Assert.Equal("/api/uploads", ApiEndpoint.Normalize("/api/uploads/"));
        Assert.Equal("/api/videos/{videoId}", ApiEndpoint.Normalize("api/videos/{videoId:guid}"));
        Assert.Equal("/api/files/{path}", ApiEndpoint.Normalize("/api/files/{*path}"));
        Assert.Equal("/api/items/{id}", ApiEndpoint.Normalize("/api/items/{id?}"));
    }

    private async Task<(IReadOnlyList<ApiEndpoint> Endpoints, JsonObject Document)> LoadAsync()
    {
        await using var app = new FunctionsAppFactory(azurite.ConnectionString, new Dictionary<string, string?> { ["LocalRuntime:Enabled"] = "false" });
        using var client = app.CreateClient();
        var document = JsonNode.Parse(await client.GetStringAsync("/api/openapi/v1.json"))!.AsObject();
        var endpoints = app.Services.GetRequiredService<EndpointDataSource>().Endpoints
            .OfType<RouteEndpoint>()
            .Where(e => ApiEndpoint.Normalize(e.RoutePattern.RawText ?? string.Empty).StartsWith("/api/", StringComparison.Ordinal))
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"]).Select(method => new ApiEndpoint(
                method,
                ApiEndpoint.Normalize(e.RoutePattern.RawText!),
                e.Metadata.GetOrderedMetadata<IAuthorizeData>().Select(a => a.Policy).OfType<string>().ToHashSet(StringComparer.Ordinal),
                Described: e.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.IExcludeFromDescriptionMetadata>() is not { ExcludeFromDescription: true })))
            .DistinctBy(e => e.ToString())
            .OrderBy(e => e.ToString(), StringComparer.Ordinal)
            .ToList();
        return (endpoints, document);
    }

    private static JsonObject? Operation(JsonObject document, ApiEndpoint endpoint) =>
        document["paths"]?[endpoint.Path]?[endpoint.Method.ToLowerInvariant()]?.AsObject();

    private static IEnumerable<(string Method, string Path)> Operations(JsonObject document) =>
        document["paths"]!.AsObject().SelectMany(p => p.Value!.AsObject()
            .Where(o => o.Key is "get" or "put" or "post" or "delete" or "patch" or "head" or "options")
            .Select(o => (o.Key.ToUpperInvariant(), ApiEndpoint.Normalize(p.Key))));

    /// <param name="Described">Part of the API the document describes (the document's own endpoint is not).</param>
    private sealed record ApiEndpoint(string Method, string Path, IReadOnlySet<string> Policies, bool Described = true)
    {
        /// <summary>Leading slash, no trailing slash, parameters without constraints, catch-all or optional marks.</summary>
        public static string Normalize(string route)
        {
            var segments = route.Trim('/').Split('/').Select(s => s.StartsWith('{') && s.EndsWith('}')
                ? "{" + s[1..^1].TrimStart('*').Split(':', '=')[0].TrimEnd('?') + "}"
                : s);
            return "/" + string.Join('/', segments);
        }

        public override string ToString() => $"{Method} {Path}";
    }
}
