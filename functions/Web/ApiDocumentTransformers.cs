using System.Net.Mime;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Serverless.Identity;

namespace Serverless.Functions.Web;

/// <summary>Title, description and the two security schemes: a user's bearer token and an operator's function key.</summary>
internal sealed class ApiDocumentTransformer : IOpenApiDocumentTransformer
{
    public const string BearerScheme = "bearer";
    public const string FunctionKeyScheme = "functionKey";
    public const string ProblemSchema = "ProblemDetails";

    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.Info = new OpenApiInfo
        {
            Title = "Short-video backend",
            Version = "v1",
            Description = "The HTTP API of the short-video mini-program backend (Azure Functions custom handler). "
                + "Errors are application/problem+json with a stable `type` URI under " + Serverless.Http.Problems.TypeBase + ". "
                + "Users sign in with a bearer token; operator endpoints take an operator key in `x-functions-key`.",
        };

        // Paths are absolute (/api/...) and resolve against wherever the document was fetched from; no host in it
        // keeps the document the same on every machine (the mini-program sample's committed copy is compared to it).
        document.Servers = [];
        AddSecuritySchemes(document);
        return Task.CompletedTask;
    }

    /// <summary>Idempotent: operation transformers reference the schemes before this transformer runs.</summary>
    public static void AddSecuritySchemes(OpenApiDocument document)
    {
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes[BearerScheme] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            BearerFormat = "JWT",
            Description = "A user's access token from sign-in (`Authorization: Bearer <token>`).",
        };
        document.Components.SecuritySchemes[FunctionKeyScheme] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.ApiKey,
            In = ParameterLocation.Header,
            Name = "x-functions-key",
            Description = "An operator key (current or previous, for rotation).",
        };
    }
}

/// <summary>
/// Per operation: the security requirement of its authorization policy, and the problem+json answers every
/// endpoint can give (401/403 when signed in is required, 503 when storage is unavailable, and any other error).
/// </summary>
internal sealed class ApiOperationTransformer : IOpenApiOperationTransformer
{
    public async Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var document = context.Document ?? throw new InvalidOperationException("The operation transformer needs the document.");
        ApiDocumentTransformer.AddSecuritySchemes(document);
        var problem = await ProblemSchemaAsync(document, context, cancellationToken).ConfigureAwait(false);
        operation.Responses ??= new OpenApiResponses();

        var metadata = context.Description.ActionDescriptor.EndpointMetadata;
        var anonymous = metadata.OfType<IAllowAnonymous>().Any();
        var policies = anonymous ? [] : metadata.OfType<IAuthorizeData>().Select(a => a.Policy).ToHashSet(StringComparer.Ordinal);
        var scheme = policies.Contains(AuthPolicies.Operator) ? ApiDocumentTransformer.FunctionKeyScheme
            : policies.Contains(AuthPolicies.User) ? ApiDocumentTransformer.BearerScheme
            : null;
        if (scheme is not null)
        {
            operation.Security ??= [];
            operation.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(scheme, document)] = [] });
            Add(operation, "401", "Not signed in, or the token or key is not valid.", problem);
            Add(operation, "403", "Signed in, but not allowed to do this.", problem);
        }

        Add(operation, "503", "Storage is unavailable; retry after the `Retry-After` header's seconds.", problem);
        Add(operation, "default", "An error, as application/problem+json with a stable `type`.", problem);

    }

    private static void Add(OpenApiOperation operation, string status, string description, IOpenApiSchema problem)
    {
        if (operation.Responses!.ContainsKey(status))
        {
            return;
        }

        operation.Responses[status] = new OpenApiResponse
        {
            Description = description,
            Content = new Dictionary<string, OpenApiMediaType>
            {
                [MediaTypeNames.Application.ProblemJson] = new OpenApiMediaType { Schema = problem },
            },
        };
    }

    private static async Task<IOpenApiSchema> ProblemSchemaAsync(OpenApiDocument document, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        document.Components ??= new OpenApiComponents();
        document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>();
        if (!document.Components.Schemas.ContainsKey(ApiDocumentTransformer.ProblemSchema))
        {
            var schema = await context.GetOrCreateSchemaAsync(typeof(ProblemDetails), null, cancellationToken).ConfigureAwait(false);
            document.AddComponent(ApiDocumentTransformer.ProblemSchema, schema);
        }

        return new OpenApiSchemaReference(ApiDocumentTransformer.ProblemSchema, document);
    }
}

/// <summary>
/// Schemas as the API writes them: numbers are numbers (reading them from strings is leniency, not the contract), and
/// an enum whose members carry <see cref="System.Text.Json.Serialization.JsonStringEnumMemberNameAttribute"/> travels
/// as those strings (the template protocol's).
/// </summary>
internal sealed class ApiSchemaTransformer : IOpenApiSchemaTransformer
{
    public Task TransformAsync(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken cancellationToken)
    {
        if (schema.Type is { } type && (type & (JsonSchemaType.Integer | JsonSchemaType.Number)) != 0 && (type & JsonSchemaType.String) != 0)
        {
            schema.Type = type & ~JsonSchemaType.String;
            schema.Pattern = null;
        }

        var enumType = Nullable.GetUnderlyingType(context.JsonTypeInfo.Type) ?? context.JsonTypeInfo.Type;
        if (enumType.IsEnum)
        {
            var names = enumType.GetFields(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)
                .Select(f => f.GetCustomAttributes(typeof(System.Text.Json.Serialization.JsonStringEnumMemberNameAttribute), false)
                    .OfType<System.Text.Json.Serialization.JsonStringEnumMemberNameAttribute>().FirstOrDefault()?.Name)
                .ToList();
            if (names.Count > 0 && names.All(n => n is not null))
            {
                schema.Type = JsonSchemaType.String | (schema.Type & JsonSchemaType.Null ?? 0);
                schema.Format = null;
                schema.Enum = names.Select(n => (System.Text.Json.Nodes.JsonNode)System.Text.Json.Nodes.JsonValue.Create(n!)).ToList();
            }
        }

        return Task.CompletedTask;
    }
}
