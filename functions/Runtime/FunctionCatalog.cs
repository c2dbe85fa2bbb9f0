using System.Text.Json;
using System.Text.RegularExpressions;
using Serverless.Functions;

namespace Serverless.Functions.Runtime;

/// <summary>One function as declared by its <c>function.json</c>, with <c>%Setting%</c> expressions resolved.</summary>
public sealed record FunctionDefinition(
    string Name,
    FunctionKind Kind,
    string TriggerType,
    string TriggerBindingName,
    string? QueueName,
    string? Schedule,
    bool RunOnStartup,
    string? Route);

/// <summary>Queue trigger settings from host.json (<c>extensions.queues</c>), with the Functions defaults.</summary>
public sealed record QueueHostSettings(int MaxDequeueCount, TimeSpan VisibilityTimeout, int BatchSize, TimeSpan MaxPollingInterval);

/// <summary>
/// The function.json files beside the executable (as the Functions host sees them) and host.json, checked at
/// start-up against the handlers the code registers: a function without a handler, or a handler without a
/// function.json, stops the app with a message naming it.
/// </summary>
public sealed partial class FunctionCatalog
{
    public FunctionCatalog(IConfiguration configuration, IEnumerable<RegisteredFunction> registered, IWebHostEnvironment environment)
    {
        Root = FindRoot(environment.ContentRootPath);
        Functions = Load(Root, configuration);
        Queues = LoadHostSettings(Path.Combine(Root, "host.json"));
        var declared = Functions.ToDictionary(f => f.Name, StringComparer.Ordinal);
        var problems = new List<string>();
        foreach (var function in registered.DistinctBy(r => r.Name))
        {
            if (!declared.TryGetValue(function.Name, out var definition))
            {
                problems.Add($"'{function.Name}' has a handler but no {function.Name}/function.json");
            }
            else if (definition.Kind != function.Kind)
            {
                problems.Add($"'{function.Name}' is a {function.Kind} handler but its function.json declares a {definition.TriggerType}");
            }
        }

        var handled = registered.Select(r => r.Name).ToHashSet(StringComparer.Ordinal);
        problems.AddRange(Functions.Where(f => !handled.Contains(f.Name)).Select(f => $"{f.Name}/function.json has no handler in the code"));
        if (problems.Count > 0)
        {
            throw new InvalidOperationException("The function.json files and the code disagree: " + string.Join("; ", problems) + ".");
        }
    }

    /// <summary>The folder holding host.json and the function folders.</summary>
    public string Root { get; }

    public IReadOnlyList<FunctionDefinition> Functions { get; }

    public QueueHostSettings Queues { get; }

    public static IReadOnlyList<FunctionDefinition> Load(string root, IConfiguration configuration)
    {
        var result = new List<FunctionDefinition>();
        foreach (var dir in Directory.EnumerateDirectories(root).Order(StringComparer.Ordinal))
        {
            var file = Path.Combine(dir, "function.json");
            if (File.Exists(file))
            {
                result.Add(Parse(Path.GetFileName(dir), File.ReadAllText(file), configuration));
            }
        }

        return result;
    }

    public static FunctionDefinition Parse(string name, string json, IConfiguration configuration)
    {
        using var document = JsonDocument.Parse(json);
        if (!document.RootElement.TryGetProperty("bindings", out var bindings) || bindings.ValueKind != JsonValueKind.Array)
        {
            throw new InvalidOperationException($"{name}/function.json has no bindings array.");
        }

        var trigger = bindings.EnumerateArray()
            .Where(b => b.TryGetProperty("type", out var t) && t.GetString()!.EndsWith("Trigger", StringComparison.Ordinal))
            .ToList();
        if (trigger.Count != 1)
        {
            throw new InvalidOperationException($"{name}/function.json must declare exactly one trigger binding, found {trigger.Count}.");
        }

        var binding = trigger[0];
        var type = binding.GetProperty("type").GetString()!;
        var bindingName = String(binding, "name") ?? throw new InvalidOperationException($"{name}/function.json: the trigger binding has no name.");
        var kind = type switch
        {
            "httpTrigger" => FunctionKind.Http,
            "queueTrigger" => FunctionKind.Queue,
            "timerTrigger" => FunctionKind.Timer,
            _ => throw new InvalidOperationException($"{name}/function.json: trigger type '{type}' is not supported by this app."),
        };
        var queue = Resolve(String(binding, "queueName"), configuration, name);
        var schedule = Resolve(String(binding, "schedule"), configuration, name);
        if (kind == FunctionKind.Queue && string.IsNullOrEmpty(queue))
        {
            throw new InvalidOperationException($"{name}/function.json: a queueTrigger needs a queueName.");
        }

        if (kind == FunctionKind.Timer && string.IsNullOrEmpty(schedule))
        {
            throw new InvalidOperationException($"{name}/function.json: a timerTrigger needs a schedule.");
        }

        var runOnStartup = binding.TryGetProperty("runOnStartup", out var r) && r.ValueKind == JsonValueKind.True;
        return new FunctionDefinition(name, kind, type, bindingName, queue, schedule, runOnStartup, String(binding, "route"));
    }

    /// <summary>Replaces <c>%Name%</c> with the app setting, as the Functions host does for binding expressions.</summary>
    public static string? Resolve(string? value, IConfiguration configuration, string function)
    {
        if (value is null)
        {
            return null;
        }

        return SettingExpression().Replace(value, m =>
        {
            var key = m.Groups[1].Value;
            return configuration[key] ?? configuration[key.Replace("__", ":", StringComparison.Ordinal)]
                ?? throw new InvalidOperationException($"{function}/function.json refers to the setting '{key}', which is not set.");
        });
    }

    private static QueueHostSettings LoadHostSettings(string path)
    {
        var settings = new QueueHostSettings(5, TimeSpan.Zero, 16, TimeSpan.FromMinutes(1));
        if (!File.Exists(path))
        {
            return settings;
        }

        using var document = JsonDocument.Parse(File.ReadAllText(path));
        if (document.RootElement.TryGetProperty("extensions", out var extensions)
            && extensions.TryGetProperty("queues", out var queues))
        {
            if (queues.TryGetProperty("maxDequeueCount", out var max))
            {
                settings = settings with { MaxDequeueCount = max.GetInt32() };
            }

            if (queues.TryGetProperty("visibilityTimeout", out var visibility))
            {
                settings = settings with { VisibilityTimeout = TimeSpan.Parse(visibility.GetString()!, System.Globalization.CultureInfo.InvariantCulture) };
            }

            if (queues.TryGetProperty("batchSize", out var batch))
            {
                settings = settings with { BatchSize = batch.GetInt32() };
            }

            if (queues.TryGetProperty("maxPollingInterval", out var polling))
            {
                settings = settings with { MaxPollingInterval = TimeSpan.Parse(polling.GetString()!, System.Globalization.CultureInfo.InvariantCulture) };
            }
        }

        return settings;
    }

    private static string FindRoot(string contentRoot)
    {
        foreach (var candidate in new[] { AppContext.BaseDirectory, contentRoot })
        {
            if (File.Exists(Path.Combine(candidate, "host.json")))
            {
                return candidate;
            }
        }

        return AppContext.BaseDirectory;
    }

    private static string? String(JsonElement element, string property) =>
        element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    [GeneratedRegex("%([^%]+)%")]
    private static partial Regex SettingExpression();
}
