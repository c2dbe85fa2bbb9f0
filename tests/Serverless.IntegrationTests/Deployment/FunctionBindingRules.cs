using System.Text.Json;
using System.Text.RegularExpressions;
using NCrontab;

namespace Serverless.IntegrationTests.Deployment;

/// <summary>What one function's bindings ask of storage, after <c>%Setting%</c> expressions are resolved.</summary>
public sealed record FunctionBindingUsage(
    string Function,
    IReadOnlyList<string> TriggerQueues,
    IReadOnlyList<string> Queues,
    IReadOnlyList<string> Containers,
    IReadOnlyList<string> Tables,
    IReadOnlyList<string> Connections);

/// <summary>
/// Checks a function's entry of the generated functions.metadata the way the Functions v4 host reads it: binding types the
/// host supports, one trigger, directions, queue names, 6-field NCRONTAB schedules, binding expressions it can resolve,
/// routes it does not reserve, and this app's HTTP conventions (route without the <c>api/</c> prefix, one <c>http</c> output).
/// </summary>
public static partial class FunctionBindingRules
{
    /// <summary>Binding types the v4 host supports (with the extensions the isolated worker SDK builds) that this kind of app can use.</summary>
    public static readonly IReadOnlySet<string> SupportedTypes = new HashSet<string>(StringComparer.Ordinal)
    {
        "httpTrigger", "http", "queueTrigger", "queue", "timerTrigger", "blobTrigger", "blob", "table", "eventGridTrigger", "eventGrid",
        "orchestrationTrigger", "activityTrigger", "entityTrigger", "durableClient",
    };

    private static readonly IReadOnlySet<string> AuthLevels = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "anonymous", "function", "admin" };

    private static readonly IReadOnlySet<string> HttpMethods = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        "get", "post", "put", "patch", "delete", "head", "options", "trace",
    };

    /// <summary>Problems found (empty when the file is valid) and what it uses, with settings taken from <paramref name="settings"/>.</summary>
    public static (IReadOnlyList<string> Problems, FunctionBindingUsage Usage) Check(string function, string json, IReadOnlyDictionary<string, string?> settings)
    {
        var problems = new List<string>();
        var usage = new FunctionBindingUsage(function, [], [], [], [], []);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException ex)
        {
            return ([$"{function}: not valid JSON ({ex.Message})"], usage);
        }

        using (document)
        {
            if (!document.RootElement.TryGetProperty("bindings", out var bindings) || bindings.ValueKind != JsonValueKind.Array)
            {
                return ([$"{function}: no bindings array"], usage);
            }

            var triggerQueues = new List<string>();
            var queues = new List<string>();
            var containers = new List<string>();
            var tables = new List<string>();
            var connections = new List<string>();
            var triggers = 0;
            var httpTrigger = false;
            var httpOutputs = new List<string>();
            foreach (var binding in bindings.EnumerateArray())
            {
                var type = Text(binding, "type");
                var name = Text(binding, "name");
                var direction = Text(binding, "direction");
                var where = $"{function}: binding '{name ?? "?"}' ({type ?? "no type"})";
                if (type is null || !SupportedTypes.Contains(type))
                {
                    problems.Add($"{where}: type is not one the Functions v4 host supports with the extension bundle");
                    continue;
                }

                if (string.IsNullOrEmpty(name))
                {
                    problems.Add($"{where}: has no name");
                }

                var isTrigger = type.EndsWith("Trigger", StringComparison.Ordinal);
                triggers += isTrigger ? 1 : 0;
                var allowed = isTrigger ? ["in"] : type switch
                {
                    "http" => new[] { "out" },
                    "durableClient" => ["in"],
                    "queue" or "eventGrid" => ["out"],
                    "table" => ["in", "out"],
                    _ => ["in", "out", "inout"],
                };
                if (direction is null || !allowed.Contains(direction, StringComparer.OrdinalIgnoreCase))
                {
                    problems.Add($"{where}: direction '{direction}' must be {string.Join(" or ", allowed)}");
                }

                if (Text(binding, "connection") is { } connection)
                {
                    connections.Add(connection);
                }

                switch (type)
                {
                    case "httpTrigger":
                        httpTrigger = true;
                        CheckHttpTrigger(binding, where, problems);
                        break;
                    case "http":
                        httpOutputs.Add(name ?? string.Empty);
                        break;
                    case "queueTrigger" or "queue":
                        if (Required(binding, "queueName", settings, where, problems) is { } queue)
                        {
                            CheckQueueName(queue, where, problems);
                            (type == "queueTrigger" ? triggerQueues : queues).Add(queue);
                        }

                        break;
                    case "timerTrigger":
                        if (Required(binding, "schedule", settings, where, problems) is { } schedule)
                        {
                            CheckSchedule(schedule, where, problems);
                        }

                        break;
                    case "blobTrigger" or "blob":
                        if (Required(binding, "path", settings, where, problems) is { } path)
                        {
                            containers.Add(path.Split('/')[0]);
                        }

                        break;
                    case "table":
                        if (Required(binding, "tableName", settings, where, problems) is { } table)
                        {
                            tables.Add(table);
                        }

                        break;
                }
            }

            if (triggers != 1)
            {
                problems.Add($"{function}: must have exactly one trigger binding, has {triggers}");
            }

            if (httpTrigger && httpOutputs.Count != 1)
            {
                problems.Add($"{function}: an httpTrigger function needs one 'http' output binding");
            }

            return (problems, new FunctionBindingUsage(function, triggerQueues, queues, containers, tables, connections));
        }
    }

    /// <summary>A storage queue name: 3-63 lowercase letters, digits and single hyphens, starting and ending alphanumeric.</summary>
    public static bool IsValidQueueName(string name) => name.Length is >= 3 and <= 63 && QueueName().IsMatch(name) && !name.Contains("--", StringComparison.Ordinal);

    private static void CheckHttpTrigger(JsonElement binding, string where, List<string> problems)
    {
        var authLevel = Text(binding, "authLevel");
        if (authLevel is null || !AuthLevels.Contains(authLevel))
        {
            problems.Add($"{where}: authLevel '{authLevel}' must be anonymous, function or admin");
        }

        var route = Text(binding, "route");
        if (string.IsNullOrEmpty(route))
        {
            problems.Add($"{where}: needs a route");
        }
        else if (route.StartsWith('/') || route.StartsWith("api/", StringComparison.OrdinalIgnoreCase))
        {
            problems.Add($"{where}: route '{route}' must not start with '/' or 'api/' (host.json routePrefix adds api/)");
        }
        else if (route.Trim('/').StartsWith("admin", StringComparison.OrdinalIgnoreCase) || route.Trim('/').StartsWith("runtime", StringComparison.OrdinalIgnoreCase))
        {
            problems.Add($"{where}: route '{route}' conflicts with the Functions host's built-in routes (it reserves routes beginning admin or runtime, and puts the function in error)");
        }

        if (!binding.TryGetProperty("methods", out var methods) || methods.ValueKind != JsonValueKind.Array || methods.GetArrayLength() == 0)
        {
            problems.Add($"{where}: needs a non-empty methods array");
            return;
        }

        foreach (var method in methods.EnumerateArray())
        {
            if (method.ValueKind != JsonValueKind.String || !HttpMethods.Contains(method.GetString()!))
            {
                problems.Add($"{where}: '{method}' is not an HTTP method");
            }
        }
    }

    private static void CheckQueueName(string queue, string where, List<string> problems)
    {
        if (!IsValidQueueName(queue))
        {
            problems.Add($"{where}: '{queue}' is not a valid queue name");
        }
        else if (!IsValidQueueName(queue + "-poison"))
        {
            problems.Add($"{where}: '{queue}' is too long for its '-poison' queue");
        }
    }

    private static void CheckSchedule(string schedule, string where, List<string> problems)
    {
        var fields = schedule.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length != 6)
        {
            problems.Add($"{where}: schedule '{schedule}' must be a 6-field NCRONTAB expression ({{second}} {{minute}} {{hour}} {{day}} {{month}} {{day-of-week}}), has {fields.Length} fields");
            return;
        }

        if (CrontabSchedule.TryParse(schedule, new CrontabSchedule.ParseOptions { IncludingSeconds = true }) is null)
        {
            problems.Add($"{where}: schedule '{schedule}' is not a valid NCRONTAB expression");
        }
    }

    /// <summary>The property's value with <c>%Name%</c> replaced by the setting, as the host does; null (and a problem) when missing.</summary>
    private static string? Required(JsonElement binding, string property, IReadOnlyDictionary<string, string?> settings, string where, List<string> problems)
    {
        var value = Text(binding, property);
        if (string.IsNullOrWhiteSpace(value))
        {
            problems.Add($"{where}: needs a {property}");
            return null;
        }

        var ok = true;
        var resolved = SettingExpression().Replace(value, m =>
        {
            // The host looks the expression up as a configuration key, where the app setting A__B is the key A:B: an
            // expression written with '__' never resolves under the Functions host.
            var key = m.Groups[1].Value;
            if (key.Contains("__", StringComparison.Ordinal))
            {
                ok = false;
                problems.Add($"{where}: '%{key}%' never resolves under the Functions host (it reads configuration keys, where the app setting {key} is {key.Replace("__", ":", StringComparison.Ordinal)}): write '%{key.Replace("__", ":", StringComparison.Ordinal)}%'");
                return m.Value;
            }

            if (settings.TryGetValue(key.Replace(":", "__", StringComparison.Ordinal), out var setting) && setting is not null)
            {
                return setting;
            }

            ok = false;
            problems.Add($"{where}: refers to the setting '{m.Groups[1].Value}', which local.settings.sample.json does not set");
            return m.Value;
        });
        return ok ? resolved : null;
    }

    private static string? Text(JsonElement element, string property) =>
        element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    [GeneratedRegex("%([^%]+)%")]
    private static partial Regex SettingExpression();

    [GeneratedRegex("^[a-z0-9][a-z0-9-]*[a-z0-9]$")]
    private static partial Regex QueueName();
}
