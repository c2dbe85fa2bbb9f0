using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Serverless.LocalHost.Runtime;

/// <summary>Queue trigger settings from host.json (<c>extensions.queues</c>), with the Functions defaults.</summary>
public sealed record QueueHostSettings(int MaxDequeueCount, TimeSpan VisibilityTimeout, int BatchSize, TimeSpan MaxPollingInterval);

/// <summary>What the local host takes from host.json, as the Functions host reads it: the HTTP route prefix and the queue trigger settings.</summary>
public sealed partial record HostJson(string RoutePrefix, QueueHostSettings Queues)
{
    public const string FileName = "host.json";

    public static HostJson Defaults { get; } = new("api", new QueueHostSettings(5, TimeSpan.Zero, 16, TimeSpan.FromMinutes(1)));

    /// <summary>host.json beside the function app (the build copies it there).</summary>
    public static string DefaultPath => Path.Combine(AppContext.BaseDirectory, FileName);

    public static HostJson Read(string path)
    {
        var settings = Defaults;
        if (!File.Exists(path))
        {
            return settings;
        }

        using var document = JsonDocument.Parse(File.ReadAllText(path));
        if (!document.RootElement.TryGetProperty("extensions", out var extensions))
        {
            return settings;
        }

        if (extensions.TryGetProperty("http", out var http) && http.TryGetProperty("routePrefix", out var prefix))
        {
            settings = settings with { RoutePrefix = prefix.GetString() ?? string.Empty };
        }

        if (extensions.TryGetProperty("queues", out var queues))
        {
            var q = settings.Queues;
            if (queues.TryGetProperty("maxDequeueCount", out var max))
            {
                q = q with { MaxDequeueCount = max.GetInt32() };
            }

            if (queues.TryGetProperty("visibilityTimeout", out var visibility))
            {
                q = q with { VisibilityTimeout = TimeSpan.Parse(visibility.GetString()!, CultureInfo.InvariantCulture) };
            }

            if (queues.TryGetProperty("batchSize", out var batch))
            {
                q = q with { BatchSize = batch.GetInt32() };
            }

            if (queues.TryGetProperty("maxPollingInterval", out var polling))
            {
                q = q with { MaxPollingInterval = TimeSpan.Parse(polling.GetString()!, CultureInfo.InvariantCulture) };
            }

            settings = settings with { Queues = q };
        }

        return settings;
    }

    /// <summary>
    /// Replaces <c>%Name%</c> with the app setting, as the Functions host's name resolver does for binding expressions: the
    /// key as written, looked up in configuration (where an app setting <c>A__B</c> is the key <c>A:B</c>). No fallback from
    /// one spelling to the other and no app default: what the host cannot resolve fails here too.
    /// </summary>
    public static string Resolve(string value, IConfiguration configuration, string function)
    {
        ArgumentNullException.ThrowIfNull(value);
        ArgumentNullException.ThrowIfNull(configuration);
        return SettingExpression().Replace(value, m =>
        {
            var key = m.Groups[1].Value;
            return configuration[key] is { Length: > 0 } value
                ? value
                : throw new InvalidOperationException($"The function '{function}' refers to the setting '{key}', which is not set ('%{key}%' does not resolve to a value).");
        });
    }

    [GeneratedRegex("%([^%]+)%")]
    private static partial Regex SettingExpression();
}
