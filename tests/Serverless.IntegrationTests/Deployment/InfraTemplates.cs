using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Serverless.IntegrationTests.Deployment;

/// <summary>
/// What infra/main.bicep deploys in an environment, read from the ARM JSON the Bicep compiler built
/// (<see cref="CompiledInfra"/>) with that environment's parameter file and evaluated without Azure
/// (<see cref="ArmDeployment"/>): the containers, queues and tables the storage module's loops create, the Event Grid
/// subscriptions, the app settings the function app's config resource applies, the role assignments.
/// </summary>
public sealed partial class InfraTemplates
{
    private static readonly ConcurrentDictionary<string, InfraTemplates> Loaded = new(StringComparer.Ordinal);

    private InfraTemplates(string environment)
    {
        Environment = environment;
        Deployment = new ArmDeployment(CompiledInfra.Template(), CompiledInfra.Parameters(environment)["parameters"]!.AsObject());
        Containers = Deployment.OfType("Microsoft.Storage/storageAccounts/blobServices/containers").Select(r => r.LastName).ToList();
        Queues = Deployment.OfType("Microsoft.Storage/storageAccounts/queueServices/queues").Select(r => r.LastName).ToList();
        Tables = Deployment.OfType("Microsoft.Storage/storageAccounts/tableServices/tables").Select(r => r.LastName).ToList();
        BlobCreatedRoutes = Deployment.OfType("Microsoft.EventGrid/systemTopics/eventSubscriptions").Select(Route).ToList();
        StorageAccount = Single("Microsoft.Storage/storageAccounts");
        FunctionApp = Single("Microsoft.Web/sites");
        Plan = Single("Microsoft.Web/serverfarms");
        var config = Deployment.OfType("Microsoft.Web/sites/config").Single(r => r.LastName == "appsettings");
        SiteSettings = Object(config.Properties, "the function app's appsettings resource");
        PlatformSettings = Object(Deployment.Variable(config.Deployment, "platformSettings"), $"var platformSettings of module '{config.Deployment}'");
        AppSettings = Object(Deployment.Variable(string.Empty, "appSettings"), "main.bicep var appSettings");
        RoleAssignments = Deployment.OfType("Microsoft.Authorization/roleAssignments")
            .Select(r => new RoleAssignment(
                ArmResourceIds.Split(ArmExpression.Render(r.Properties!["roleDefinitionId"]))[^1],
                ArmUnknown.ExpressionOf(r.Properties!["principalId"]) ?? ArmExpression.Render(r.Properties!["principalId"]),
                r.Scope ?? "«resource group»",
                r.Conditional))
            .ToList();
    }

    /// <summary>An environment of infra/ (a main.&lt;env&gt;.bicepparam): "dev" or "prod".</summary>
    public static InfraTemplates Load(string environment = "dev") => Loaded.GetOrAdd(environment, e => new InfraTemplates(e));

    public string Environment { get; }

    public ArmDeployment Deployment { get; }

    public IReadOnlyList<string> Containers { get; }

    /// <summary>Every queue the storage module creates (the main.bicep list with each '-poison' queue).</summary>
    public IReadOnlyList<string> Queues { get; }

    public IReadOnlyList<string> Tables { get; }

    /// <summary>The Event Grid subscriptions: blobs created in Container are delivered to Queue.</summary>
    public IReadOnlyList<(string Container, string Queue)> BlobCreatedRoutes { get; }

    /// <summary>The app's own settings (main.bicep <c>appSettings</c>), before the environment's overrides.</summary>
    public IReadOnlyDictionary<string, JsonNode?> AppSettings { get; }

    /// <summary>Host and platform settings (modules/appsettings.bicep <c>platformSettings</c>).</summary>
    public IReadOnlyDictionary<string, JsonNode?> PlatformSettings { get; }

    /// <summary>Every app setting of the function app, as its appsettings resource sets them (it replaces the whole set).</summary>
    public IReadOnlyDictionary<string, JsonNode?> SiteSettings { get; }

    /// <summary>Every app setting name the function app gets.</summary>
    public IReadOnlySet<string> AllSettingNames => SiteSettings.Keys.ToHashSet(StringComparer.OrdinalIgnoreCase);

    public ArmResource StorageAccount { get; }

    public ArmResource FunctionApp { get; }

    public ArmResource Plan { get; }

    public IReadOnlyList<RoleAssignment> RoleAssignments { get; }

    /// <summary>The role assignments of the function app's identity (its module's principalId output).</summary>
    public IEnumerable<RoleAssignment> AppRoleAssignments
    {
        get
        {
            var module = FunctionApp.Deployment;
            var output = Deployment.Template(module)["outputs"]!.AsObject()
                .Single(o => o.Value!["value"]!.GetValue<string>().Contains(".identity.principalId", StringComparison.Ordinal)).Key;
            return RoleAssignments.Where(a => a.Principal.Contains($"'{module}')", StringComparison.Ordinal)
                && a.Principal.Contains($".outputs.{output}.value", StringComparison.Ordinal));
        }
    }

    /// <summary>The text of a string value (unknown parts as «expression»), or null for anything else.</summary>
    public static string? Text(JsonNode? node) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;

    private ArmResource Single(string type)
    {
        var found = Deployment.OfType(type).ToList();
        return found.Count == 1 ? found[0] : throw new InvalidOperationException($"Expected one {type} in the compiled template, found {found.Count}.");
    }

    private static Dictionary<string, JsonNode?> Object(JsonNode? node, string what) =>
        node is JsonObject o && !ArmUnknown.Is(o)
            ? o.ToDictionary(p => p.Key, p => p.Value, StringComparer.OrdinalIgnoreCase)
            : throw new InvalidOperationException($"{what} is not an object the template alone determines: {node?.ToJsonString()}");

    private static (string Container, string Queue) Route(ArmResource subscription)
    {
        var properties = subscription.Properties!;
        var subject = Text(properties["filter"]?["subjectBeginsWith"]) ?? string.Empty;
        var container = SubjectContainer().Match(subject) is { Success: true } m ? m.Groups["container"].Value
            : throw new InvalidOperationException($"Event subscription '{subscription.Name}': subjectBeginsWith '{subject}' does not name one container.");
        var destination = properties["deliveryWithResourceIdentity"]?["destination"] ?? properties["destination"];
        var queue = Text(destination?["properties"]?["queueName"])
            ?? throw new InvalidOperationException($"Event subscription '{subscription.Name}' does not deliver to a storage queue.");
        return (container, queue);
    }

    [GeneratedRegex("^/blobServices/default/containers/(?<container>[^/]+)/blobs/$")]
    private static partial Regex SubjectContainer();
}

/// <summary>A role assignment: role definition id (a GUID), principal (its expression) and scope (a resource id).</summary>
public sealed record RoleAssignment(string RoleDefinitionId, string Principal, string Scope, bool Conditional)
{
    /// <summary>The scope's resource type, e.g. Microsoft.Storage/storageAccounts/queueServices/queues.</summary>
    public string ScopeType => ArmResourceIds.TypeOf(Scope);

    /// <summary>The scope's own name (the last segment), e.g. the queue's.</summary>
    public string ScopeName => ArmResourceIds.Split(Scope)[^1];
}

/// <summary>Resource ids as the evaluated template writes them (unknown names as «expression», which may hold '/').</summary>
public static class ArmResourceIds
{
    /// <summary>The '/'-separated segments, not splitting inside «…».</summary>
    public static IReadOnlyList<string> Split(string id)
    {
        var segments = new List<string>();
        var depth = 0;
        var start = 0;
        for (var i = 0; i < id.Length; i++)
        {
            switch (id[i])
            {
                case '«':
                    depth++;
                    break;
                case '»':
                    depth--;
                    break;
                case '/' when depth == 0:
                    segments.Add(id[start..i]);
                    start = i + 1;
                    break;
            }
        }

        segments.Add(id[start..]);
        return segments.Where(s => s.Length > 0).ToList();
    }

    /// <summary>The resource type of an id: "…/providers/Ns/type1/name1/type2/name2" → "Ns/type1/type2".</summary>
    public static string TypeOf(string id)
    {
        var segments = Split(id);
        var providers = segments.ToList().FindLastIndex(s => s.Equals("providers", StringComparison.OrdinalIgnoreCase));
        if (providers < 0 || segments.Count < providers + 4)
        {
            return string.Empty;
        }

        var type = new List<string> { segments[providers + 1], segments[providers + 2] };
        for (var i = providers + 4; i < segments.Count; i += 2)
        {
            type.Add(segments[i]);
        }

        return string.Join('/', type);
    }
}
