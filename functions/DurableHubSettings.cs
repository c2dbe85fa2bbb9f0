using System.Globalization;
using System.Text.Json;

using Microsoft.Extensions.Configuration;

namespace Serverless.Functions;

/// <summary>
/// The Durable task hub and Azure Storage provider settings, read where Durable Functions reads them: host.json's
/// <c>extensions.durableTask</c>, overridden by app settings <c>AzureFunctionsJobHost__extensions__durableTask__…</c>
/// (as the Functions host lets app settings override host.json). One source, so the local runtime cannot drift from Azure.
/// </summary>
public sealed record DurableHubSettings(
    string HubName,
    int PartitionCount,
    TimeSpan ControlQueueVisibilityTimeout,
    TimeSpan WorkItemQueueVisibilityTimeout,
    TimeSpan MaxQueuePollingInterval)
{
    /// <summary>Where app settings override host.json, as the Functions host reads them.</summary>
    public const string OverridePrefix = "AzureFunctionsJobHost:extensions:durableTask:";

    /// <summary>Durable Functions' defaults for what host.json leaves out.</summary>
    public static DurableHubSettings Defaults { get; } = new("TestHubName", 4, TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(5), TimeSpan.FromSeconds(30));

    public static DurableHubSettings Read(string hostJsonPath, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var settings = Defaults;
        if (File.Exists(hostJsonPath))
        {
            using var document = JsonDocument.Parse(File.ReadAllText(hostJsonPath));
            if (document.RootElement.TryGetProperty("extensions", out var extensions) && extensions.TryGetProperty("durableTask", out var durable))
            {
                settings = Apply(settings, key => Find(durable, key));
            }
        }

        settings = Apply(settings, key => configuration[OverridePrefix + key.Replace('.', ':')]);
        return settings.Validate();
    }

    private static DurableHubSettings Apply(DurableHubSettings settings, Func<string, string?> read) => settings with
    {
        HubName = read("hubName") ?? settings.HubName,
        PartitionCount = read("storageProvider.partitionCount") is { } p ? int.Parse(p, CultureInfo.InvariantCulture) : settings.PartitionCount,
        ControlQueueVisibilityTimeout = Span(read("storageProvider.controlQueueVisibilityTimeout")) ?? settings.ControlQueueVisibilityTimeout,
        WorkItemQueueVisibilityTimeout = Span(read("storageProvider.workItemQueueVisibilityTimeout")) ?? settings.WorkItemQueueVisibilityTimeout,
        MaxQueuePollingInterval = Span(read("storageProvider.maxQueuePollingInterval")) ?? settings.MaxQueuePollingInterval,
    };

    private DurableHubSettings Validate()
    {
        // Azure Storage task hub names: 3–45 letters and digits, starting with a letter (they name queues, tables and a container).
        if (HubName.Length is < 3 or > 45 || !char.IsAsciiLetter(HubName[0]) || !HubName.All(char.IsAsciiLetterOrDigit))
        {
            throw new InvalidOperationException($"The Durable task hub name '{HubName}' (host.json extensions.durableTask.hubName) must be 3 to 45 letters and digits, starting with a letter.");
        }

        if (PartitionCount is < 1 or > 16)
        {
            throw new InvalidOperationException($"extensions.durableTask.storageProvider.partitionCount must be 1 to 16, not {PartitionCount}.");
        }

        return this;
    }

    private static string? Find(JsonElement element, string dottedKey)
    {
        foreach (var part in dottedKey.Split('.'))
        {
            if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty(part, out element))
            {
                return null;
            }
        }

        return element.ValueKind switch
        {
            JsonValueKind.String => element.GetString(),
            JsonValueKind.Number => element.GetRawText(),
            _ => null,
        };
    }

    private static TimeSpan? Span(string? text) => text is null ? null : TimeSpan.Parse(text, CultureInfo.InvariantCulture);
}
