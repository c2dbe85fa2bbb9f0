using System.Text.Json;
using System.Text.Json.Nodes;

namespace Serverless.IntegrationTests.Deployment;

/// <summary>
/// One resource a compiled template deploys, evaluated: copy loops expanded (one resource per iteration), nested module
/// deployments entered, expressions computed as far as a template allows (<see cref="ArmExpression"/>).
/// </summary>
/// <param name="Deployment">The module deployment that declares it: "" for main.bicep, else e.g. "storage" or "roles".</param>
/// <param name="Resource">The resource with every value evaluated (name, properties, sku, scope…), without its copy loop.</param>
/// <param name="Declaration">The resource exactly as the compiled template declares it.</param>
/// <param name="Conditional">Its condition needs Azure to decide (e.g. an optional parameter left empty is known false and skipped).</param>
public sealed record ArmResource(string Deployment, JsonObject Resource, JsonObject Declaration, bool Conditional)
{
    public string Type => Resource["type"]!.GetValue<string>();

    /// <summary>The name, unknown parts as «expression» (child resources: "«parent»/default/uploads").</summary>
    public string Name => ArmExpression.Render(Resource["name"]);

    /// <summary>The last segment of the name: a container's, queue's or table's own name.</summary>
    public string LastName => ArmResourceIds.Split(Name)[^1];

    public JsonNode? Properties => Resource["properties"];

    /// <summary>The <c>scope</c> of an extension resource (a role assignment's target), or null.</summary>
    public string? Scope => Resource["scope"] is { } scope ? ArmExpression.Render(scope) : null;
}

/// <summary>A compiled template deployed with given parameter values, as far as it can be evaluated without Azure.</summary>
public sealed class ArmDeployment
{
    private readonly List<ArmResource> _resources = [];
    private readonly Dictionary<string, Scope> _scopes = new(StringComparer.Ordinal);

    /// <param name="template">The ARM JSON <c>bicep build</c> wrote.</param>
    /// <param name="parameters">Top-level parameter values (a compiled parameter file's <c>parameters</c>: name → { value }).</param>
    public ArmDeployment(JsonObject template, JsonObject? parameters)
    {
        var values = new Dictionary<string, JsonNode?>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in parameters ?? [])
        {
            values[name] = value?["value"]?.DeepClone();
        }

        Expand(new Scope(template, values, copyIndex: null), deployment: string.Empty);
    }

    public IReadOnlyList<ArmResource> Resources => _resources;

    public IEnumerable<ArmResource> OfType(string type) =>
        _resources.Where(r => string.Equals(r.Type, type, StringComparison.OrdinalIgnoreCase));

    /// <summary>A variable of main.bicep ("") or of a module deployment, evaluated in that template.</summary>
    public JsonNode? Variable(string deployment, string name) =>
        (_scopes.TryGetValue(deployment, out var scope) ? scope : throw new KeyNotFoundException($"No deployment '{deployment}'.")).Variable(name);

    /// <summary>The template of main.bicep ("") or of a module deployment, as compiled.</summary>
    public JsonObject Template(string deployment) => _scopes[deployment].Template;

    private void Expand(Scope scope, string deployment)
    {
        _scopes[deployment] = scope;
        var declared = scope.Template["resources"] switch
        {
            JsonArray array => array.Select(r => r!.AsObject()),
            JsonObject symbolic => symbolic.Select(p => p.Value!.AsObject()), // languageVersion 2.0: resources by symbolic name
            _ => [],
        };
        foreach (var resource in declared.Where(r => r["existing"]?.GetValue<bool>() != true))
        {
            if (resource["copy"] is JsonObject copy)
            {
                var count = ArmExpression.EvaluateValue(copy["count"], scope);
                if (count is not JsonValue known || known.GetValueKind() != JsonValueKind.Number)
                {
                    throw new InvalidOperationException($"The copy loop '{copy["name"]}' in '{deployment}' has a count only Azure knows: {count?.ToJsonString()}.");
                }

                for (var i = 0; i < known.GetValue<int>(); i++)
                {
                    ExpandOne(resource, scope.WithCopyIndex(i), deployment);
                }
            }
            else
            {
                ExpandOne(resource, scope, deployment);
            }
        }
    }

    private void ExpandOne(JsonObject declaration, Scope scope, string deployment)
    {
        var conditional = false;
        if (declaration["condition"] is { } condition)
        {
            var value = ArmExpression.EvaluateValue(condition, scope);
            if (ArmUnknown.Is(value))
            {
                conditional = true;
            }
            else if (value is JsonValue v && v.GetValueKind() == JsonValueKind.False)
            {
                return;
            }
        }

        var evaluated = new JsonObject();
        foreach (var (key, value) in declaration)
        {
            if (key is "copy" or "condition")
            {
                continue;
            }

            evaluated[key] = key == "properties" && IsModule(declaration)
                ? new JsonObject() // a module's template and parameters are evaluated in its own scope, below
                : ArmExpression.EvaluateValue(value, scope);
        }

        _resources.Add(new ArmResource(deployment, evaluated, declaration, conditional));
        if (IsModule(declaration))
        {
            var name = ArmExpression.Render(evaluated["name"]);
            var properties = declaration["properties"]!.AsObject();
            if (properties["expressionEvaluationOptions"]?["scope"]?.GetValue<string>() != "inner")
            {
                throw new NotSupportedException($"The module '{name}' is not evaluated in its own scope (Bicep always emits expressionEvaluationOptions.scope 'inner').");
            }

            // Its parameters are evaluated here, in the calling template; its template in its own scope.
            var values = new Dictionary<string, JsonNode?>(StringComparer.OrdinalIgnoreCase);
            foreach (var (parameter, passed) in properties["parameters"]?.AsObject() ?? [])
            {
                var value = ArmExpression.EvaluateValue(passed, scope);
                values[parameter] = value is JsonObject o && o.TryGetPropertyValue("value", out var v) ? v?.DeepClone()
                    : ArmUnknown.Node($"parameters('{parameter}') of module '{name}'"); // a Key Vault reference
            }

            Expand(new Scope(properties["template"]!.AsObject(), values, copyIndex: null), name);
        }
    }

    private static bool IsModule(JsonObject declaration) =>
        string.Equals(declaration["type"]?.GetValue<string>(), "Microsoft.Resources/deployments", StringComparison.OrdinalIgnoreCase)
        && declaration["properties"]?["template"] is JsonObject;

    /// <summary>A template's parameters (passed values, else defaults) and variables (evaluated once, on first use).</summary>
    private sealed class Scope : IArmScope
    {
        private readonly IReadOnlyDictionary<string, JsonNode?> _parameters;
        private readonly Dictionary<string, JsonNode?> _variables;
        private readonly HashSet<string> _evaluating;

        public Scope(JsonObject template, IReadOnlyDictionary<string, JsonNode?> parameters, int? copyIndex)
            : this(template, parameters, copyIndex, new Dictionary<string, JsonNode?>(StringComparer.OrdinalIgnoreCase), new HashSet<string>(StringComparer.OrdinalIgnoreCase))
        {
        }

        private Scope(JsonObject template, IReadOnlyDictionary<string, JsonNode?> parameters, int? copyIndex, Dictionary<string, JsonNode?> variables, HashSet<string> evaluating)
        {
            Template = template;
            _parameters = parameters;
            CopyIndex = copyIndex;
            _variables = variables;
            _evaluating = evaluating;
        }

        public JsonObject Template { get; }

        public int? CopyIndex { get; }

        public Scope WithCopyIndex(int index) => new(Template, _parameters, index, _variables, _evaluating);

        public JsonNode? Parameter(string name)
        {
            if (_parameters.TryGetValue(name, out var value))
            {
                return value;
            }

            var declared = Template["parameters"]?[name] ?? throw new KeyNotFoundException($"The template declares no parameter '{name}'.");
            return declared.AsObject().TryGetPropertyValue("defaultValue", out var defaultValue)
                ? ArmExpression.EvaluateValue(defaultValue, this)
                : ArmUnknown.Node($"parameters('{name}')");
        }

        public JsonNode? Variable(string name)
        {
            if (_variables.TryGetValue(name, out var cached))
            {
                return cached;
            }

            if (!_evaluating.Add(name))
            {
                throw new InvalidOperationException($"The variable '{name}' refers to itself.");
            }

            var variables = Template["variables"]?.AsObject() ?? [];
            JsonNode? value;
            if (variables.TryGetPropertyValue(name, out var declared))
            {
                value = ArmExpression.EvaluateValue(declared, new Scope(Template, _parameters, null, _variables, _evaluating));
            }
            else if (variables["copy"] is JsonArray loops && loops.FirstOrDefault(l => l?["name"]?.GetValue<string>() == name) is JsonObject loop)
            {
                var count = ArmExpression.EvaluateValue(loop["count"], this)!.GetValue<int>();
                value = new JsonArray(Enumerable.Range(0, count)
                    .Select(i => ArmExpression.EvaluateValue(loop["input"], new Scope(Template, _parameters, i, _variables, _evaluating)))
                    .ToArray());
            }
            else
            {
                throw new KeyNotFoundException($"The template declares no variable '{name}'.");
            }

            _evaluating.Remove(name);
            _variables[name] = value;
            return value;
        }
    }
}
