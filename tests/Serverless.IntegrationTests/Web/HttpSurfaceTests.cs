using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Serverless.Functions.Edge;
using Serverless.Identity;
using Serverless.IntegrationTests.Deployment;
using Serverless.IntegrationTests.Infrastructure;
using Serverless.LocalHost.Functions;

namespace Serverless.IntegrationTests.Web;

/// <summary>
/// The HTTP functions (as the built functions.metadata gives them to the Functions host, and as the local host routes
/// them), the OpenAPI document and the app's types describe the same API: an endpoint missing from any of them, documented
/// without its security and problem answers, or with a schema that is not its type's, fails here.
/// </summary>
public sealed class HttpSurfaceTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>
{
    /// <summary>The document: the API's contract, served by GetOpenApiDocument; the mini-program sample generates its TypeScript types from it.</summary>
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
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("public", response.Headers.CacheControl?.ToString() ?? string.Empty, StringComparison.Ordinal);
        Assert.True(response.Headers.CacheControl?.MaxAge > TimeSpan.Zero);
        Assert.StartsWith("3.1", JsonNode.Parse(text)!["openapi"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(RepoFiles.ReadText(CommittedDocument)), JsonNode.Parse(text)), "the served document is not the committed one");
        var function = JsonDocument.Parse(RepoFiles.FunctionMetadata().Single(f => f.Name == "GetOpenApiDocument").Json).RootElement.GetProperty("bindings")[0];
        Assert.Equal(("anonymous", "openapi/v1.json"), (function.GetProperty("authLevel").GetString()?.ToLowerInvariant(), function.GetProperty("route").GetString()));
        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await client.GetAsync("/openapi/v1.json")).StatusCode);
    }

    [Fact]
    public async Task OpenApi_OperationIds_AreTheFunctionNames()
    {
        var (endpoints, document) = await LoadAsync();

        var wrong = endpoints.Where(e => e.Described && Operation(document, e)?["operationId"]?.GetValue<string>() != e.Function)
            .Select(e => $"{e}: operationId {Operation(document, e)?["operationId"]}, function {e.Function}").ToList();

        Assert.True(wrong.Count == 0, string.Join("\n", wrong));
    }

    /// <summary>
    /// Each schema the document names after one of the app's types lists that type's JSON properties, no more and no fewer
    /// (the document is written, no longer generated from the routes: this keeps it from drifting from the code).
    /// </summary>
    [Fact]
    public void OpenApi_Schemas_HaveTheirTypesProperties()
    {
        var document = JsonNode.Parse(RepoFiles.ReadText(CommittedDocument))!.AsObject();
        var types = AppSettingsDiscovery.AppAssemblies().SelectMany(a => a.GetTypes())
            .Where(t => t.Namespace?.StartsWith("Serverless", StringComparison.Ordinal) == true && !t.IsGenericTypeDefinition)
            .GroupBy(t => t.Name, StringComparer.Ordinal)
            .Where(g => g.Count() == 1)
            .ToDictionary(g => g.Key, g => g.Single(), StringComparer.Ordinal);
        var problems = new List<string>();
        var checkedSchemas = 0;
        foreach (var (name, schema) in document["components"]!["schemas"]!.AsObject())
        {
            if (!types.TryGetValue(name, out var type) || schema?["properties"] is not JsonObject properties)
            {
                continue;
            }

            checkedSchemas++;
            var expected = type.GetProperties(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Instance)
                .Where(p => p.GetIndexParameters().Length == 0 && p.GetCustomAttributes(typeof(System.Text.Json.Serialization.JsonIgnoreAttribute), true)
                    .OfType<System.Text.Json.Serialization.JsonIgnoreAttribute>().All(i => i.Condition != System.Text.Json.Serialization.JsonIgnoreCondition.Always))
                .Select(p => (p.GetCustomAttributes(typeof(System.Text.Json.Serialization.JsonPropertyNameAttribute), true).FirstOrDefault() as System.Text.Json.Serialization.JsonPropertyNameAttribute)?.Name
                    ?? JsonNamingPolicy.CamelCase.ConvertName(p.Name))
                .ToHashSet(StringComparer.OrdinalIgnoreCase);
            var documented = properties.Select(p => p.Key).ToHashSet(StringComparer.OrdinalIgnoreCase);
            if (!expected.SetEquals(documented))
            {
                problems.Add($"{name}: documented [{string.Join(", ", documented.Order())}], the type has [{string.Join(", ", expected.Order())}]");
            }
        }

        Assert.True(checkedSchemas > 20, $"only {checkedSchemas} schemas matched a type");
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public async Task FunctionMetadata_HttpTriggers_MatchTheRoutesServed()
    {
        var (endpoints, _) = await LoadAsync();
        var declared = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, json) in RepoFiles.FunctionMetadata())
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
        Assert.True(noFunction.Count == 0, "Endpoints the Functions host would not route (no httpTrigger in functions.metadata):\n" + string.Join("\n", noFunction));
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
        var rules = app.Services.GetRequiredService<FunctionEdgeRules>();
        var endpoints = app.Services.GetRequiredService<EndpointDataSource>().Endpoints
            .OfType<RouteEndpoint>()
            .Where(e => ApiEndpoint.Normalize(e.RoutePattern.RawText ?? string.Empty).StartsWith("/api/", StringComparison.Ordinal))
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"]).Select(method => new ApiEndpoint(
                method,
                ApiEndpoint.Normalize(e.RoutePattern.RawText!),
                e.Metadata.GetMetadata<LocalFunction>() is { } function && rules.Read(function.Method).Policy is { } policy ? new HashSet<string>([policy]) : new HashSet<string>(),
                e.Metadata.GetMetadata<LocalFunction>()?.Name ?? "(not a function)",
                Described: e.Metadata.GetMetadata<LocalFunction>()?.Name != "GetOpenApiDocument")))
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
    private sealed record ApiEndpoint(string Method, string Path, IReadOnlySet<string> Policies, string Function, bool Described = true)
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
