using System.Globalization;
using System.Text.Json;

using Microsoft.Extensions.Configuration;

namespace Serverless.Functions;

/// <summary>
/// The Durable task hub and Azure Storage provider settings, read where Durable Functions reads them: host.json's
/// <c>extensions.durableTask</c>, overridden by app settings <c>AzureFunctionsJobHost__extensions__durableTask__…</c>
/// (as the Functions host lets app settings override host.json), and checked as the Durable extension checks them when the
/// Functions host starts (<c>AzureStorageOptions.Validate</c>): a value the extension refuses stops the local host too, so
/// a host.json that would not start in Azure does not start here either.
/// </summary>
public sealed record DurableHubSettings(
    string HubName,
    int PartitionCount,
    TimeSpan ControlQueueVisibilityTimeout,
    TimeSpan WorkItemQueueVisibilityTimeout,
    TimeSpan MaxQueuePollingInterval,
    int MaxConcurrentActivityFunctions,
    int MaxConcurrentOrchestratorFunctions)
{
    /// <summary>Where app settings override host.json, as the Functions host reads them.</summary>
    public const string OverridePrefix = "AzureFunctionsJobHost:extensions:durableTask:";

    /// <summary>Durable Functions' defaults for what host.json leaves out (extension 3.x, one instance with two cores: 10 × cores).</summary>
    public static DurableHubSettings Defaults { get; } = new(
        "TestHubName", 4, TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(5), TimeSpan.FromSeconds(30), 10 * Environment.ProcessorCount, 10 * Environment.ProcessorCount);

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
        return settings.ResolveHubName(configuration).Validate();
    }

    private static DurableHubSettings Apply(DurableHubSettings settings, Func<string, string?> read) => settings with
    {
        HubName = read("hubName") ?? settings.HubName,
        PartitionCount = Int(read("storageProvider.partitionCount")) ?? settings.PartitionCount,
        ControlQueueVisibilityTimeout = Span(read("storageProvider.controlQueueVisibilityTimeout")) ?? settings.ControlQueueVisibilityTimeout,
        WorkItemQueueVisibilityTimeout = Span(read("storageProvider.workItemQueueVisibilityTimeout")) ?? settings.WorkItemQueueVisibilityTimeout,
        MaxQueuePollingInterval = Span(read("storageProvider.maxQueuePollingInterval")) ?? settings.MaxQueuePollingInterval,
        MaxConcurrentActivityFunctions = Int(read("maxConcurrentActivityFunctions")) ?? settings.MaxConcurrentActivityFunctions,
        MaxConcurrentOrchestratorFunctions = Int(read("maxConcurrentOrchestratorFunctions")) ?? settings.MaxConcurrentOrchestratorFunctions,
    };

    /// <summary>A hub name written as <c>%Setting%</c> is that app setting's value, as the extension resolves it (the whole string only).</summary>
    private DurableHubSettings ResolveHubName(IConfiguration configuration) =>
        HubName is ['%', .. var key, '%'] && configuration[key] is { Length: > 0 } value ? this with { HubName = value } : this;

    private DurableHubSettings Validate()
    {
        // Azure Storage task hub names: 3–45 letters and digits, starting with a letter (they name queues, tables and a container).
        if (HubName.Length is < 3 or > 45 || !char.IsAsciiLetter(HubName[0]) || !HubName.All(char.IsAsciiLetterOrDigit))
        {
            throw new InvalidOperationException($"The Durable task hub name '{HubName}' (host.json extensions.durableTask.hubName) must be 3 to 45 letters and digits, starting with a letter.");
        }

        // The same bounds as the Durable extension's AzureStorageOptions.Validate (the Functions host refuses to start otherwise).
        if (PartitionCount is < 1 or > 16)
        {
            throw new InvalidOperationException($"extensions.durableTask.storageProvider.partitionCount must be 1 to 16, not {PartitionCount}.");
        }

        if (ControlQueueVisibilityTimeout < TimeSpan.FromMinutes(1) || ControlQueueVisibilityTimeout > TimeSpan.FromMinutes(60))
        {
            throw new InvalidOperationException(
                $"extensions.durableTask.storageProvider.controlQueueVisibilityTimeout must be between 1 and 60 minutes (the Durable extension refuses {ControlQueueVisibilityTimeout:c} and the Functions host does not start).");
        }

        if (MaxQueuePollingInterval <= TimeSpan.Zero)
        {
            throw new InvalidOperationException("extensions.durableTask.storageProvider.maxQueuePollingInterval must be positive.");
        }

        if (WorkItemQueueVisibilityTimeout <= TimeSpan.Zero)
        {
            throw new InvalidOperationException("extensions.durableTask.storageProvider.workItemQueueVisibilityTimeout must be positive.");
        }

        if (MaxConcurrentActivityFunctions < 1 || MaxConcurrentOrchestratorFunctions < 1)
        {
            throw new InvalidOperationException("extensions.durableTask.maxConcurrentActivityFunctions and maxConcurrentOrchestratorFunctions must be at least 1.");
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

    private static int? Int(string? text) => text is null ? null : int.Parse(text, CultureInfo.InvariantCulture);

    private static TimeSpan? Span(string? text) => text is null ? null : TimeSpan.Parse(text, CultureInfo.InvariantCulture);
}
