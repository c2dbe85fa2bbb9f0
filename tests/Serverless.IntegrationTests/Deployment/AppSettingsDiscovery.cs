using System.Collections;
using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using Serverless.LocalHost.Functions;
using Serverless.Storage;

namespace Serverless.IntegrationTests.Deployment;

/// <summary>A setting the app reads, as an app setting name (<c>Section__Property</c>), and where it comes from.</summary>
/// <param name="IsPrefix">A collection or dictionary option: any setting under <c>Name__</c> configures it.</param>
public sealed record DiscoveredSetting(string Name, string Source, bool IsPrefix = false)
{
    public bool IsSatisfiedBy(IEnumerable<string> names) =>
        IsPrefix
            ? names.Any(n => n.StartsWith(Name + "__", StringComparison.OrdinalIgnoreCase) || n.Equals(Name, StringComparison.OrdinalIgnoreCase))
            : names.Contains(Name, StringComparer.OrdinalIgnoreCase);
}

/// <summary>
/// Finds every setting the code binds, without a list to maintain: each class in the app's <c>Serverless.*</c>
/// assemblies with a <c>const string SectionName</c> gives <c>Section__Property</c> for each settable property
/// (nested option objects recursively), plus the top-level settings read directly, plus the <c>%Setting%</c>
/// expressions of the functions' triggers.
/// </summary>
public static partial class AppSettingsDiscovery
{
    /// <summary>Read by the code directly rather than through an options section.</summary>
    public static readonly IReadOnlyList<string> TopLevelSettings = [StorageOptions.ConnectionSettingName];

    /// <summary>
    /// Connections that are a connection string locally (Azurite's) but identity-based in Azure, where the setting itself
    /// is absent: <c>Name__accountName</c>, or the three <c>Name__*ServiceUri</c> settings, name the storage account and the
    /// app's managed identity authenticates (learn.microsoft.com/azure/azure-functions/functions-reference#connecting-to-host-storage-with-an-identity).
    /// </summary>
    public static readonly IReadOnlyList<string> IdentityConnections = [StorageOptions.ConnectionSettingName];

    /// <summary>Whether <paramref name="names"/> give the identity-based form of <paramref name="connection"/>.</summary>
    public static bool IsIdentityConnectionSet(string connection, IReadOnlyCollection<string> names)
    {
        bool Has(string property) => names.Contains($"{connection}__{property}", StringComparer.OrdinalIgnoreCase);
        return Has("accountName") || (Has("blobServiceUri") && Has("queueServiceUri") && Has("tableServiceUri"));
    }

    /// <summary>The local host's assemblies and all they reference of ours (the function app and the areas among them).</summary>
    public static IReadOnlyList<Assembly> AppAssemblies() => AssembliesFrom(typeof(Program).Assembly);

    /// <summary>What Azure runs: the function app and the areas, without the local host.</summary>
    public static IReadOnlyList<Assembly> DeployedAssemblies() => AssembliesFrom(typeof(Serverless.Functions.ServerlessApp).Assembly);

    private static IReadOnlyList<Assembly> AssembliesFrom(Assembly root)
    {
        var seen = new Dictionary<string, Assembly>(StringComparer.Ordinal);
        var pending = new Queue<Assembly>([root]);
        while (pending.TryDequeue(out var assembly))
        {
            if (!seen.TryAdd(assembly.GetName().Name!, assembly))
            {
                continue;
            }

            foreach (var reference in assembly.GetReferencedAssemblies().Where(r => r.Name!.StartsWith("Serverless.", StringComparison.Ordinal)))
            {
                if (!seen.ContainsKey(reference.Name!))
                {
                    pending.Enqueue(Assembly.Load(reference));
                }
            }
        }

        return seen.Values.OrderBy(a => a.GetName().Name, StringComparer.Ordinal).ToList();
    }

    /// <summary>Every settings name the options classes of <paramref name="assemblies"/> bind, plus <see cref="TopLevelSettings"/>.</summary>
    public static IReadOnlyList<DiscoveredSetting> OptionsSettings(IReadOnlyList<Assembly> assemblies)
    {
        var result = new List<DiscoveredSetting>();
        foreach (var type in assemblies.SelectMany(a => a.GetTypes()).Where(t => t.IsClass && !t.IsAbstract))
        {
            if (type == typeof(StorageOptions))
            {
                // Bound by hand: section "Storage" except ConnectionString, which comes from AzureWebJobsStorage.
                AddProperties(type, "Storage", result, 0, exclude: nameof(StorageOptions.ConnectionString));
                continue;
            }

            if (SectionNameOf(type) is { } section)
            {
                AddProperties(type, section.Replace(":", "__", StringComparison.Ordinal), result, 0, exclude: null);
            }
        }

        result.AddRange(TopLevelSettings.Select(s => new DiscoveredSetting(s, "read directly")));
        return result.DistinctBy(s => s.Name.ToUpperInvariant()).OrderBy(s => s.Name, StringComparer.Ordinal).ToList();
    }

    /// <summary>
    /// The settings named by <c>%Section:Key%</c> in the functions' trigger attributes (queue names, schedules), as app
    /// setting names (<c>Section__Key</c>: the host's configuration key of that app setting is <c>Section:Key</c>).
    /// </summary>
    public static IReadOnlyList<DiscoveredSetting> TriggerSettings() =>
        new FunctionIndex().Functions
            .SelectMany(f => new[] { f.Queue?.QueueName, f.Timer?.Schedule }.OfType<string>()
                .SelectMany(expression => SettingExpression().Matches(expression)
                    .Select(m => new DiscoveredSetting(m.Groups[1].Value.Replace(":", "__", StringComparison.Ordinal), $"the trigger of {f.Name}"))))
            .DistinctBy(s => s.Name.ToUpperInvariant())
            .ToList();

    /// <summary>Every setting read locally: the function app's and the local host's.</summary>
    public static IReadOnlyList<DiscoveredSetting> All() =>
        OptionsSettings(AppAssemblies()).Concat(TriggerSettings())
            .DistinctBy(s => s.Name.ToUpperInvariant())
            .ToList();

    /// <summary>Every setting the deployed app reads (what the Bicep must set): the local host's own are not among them.</summary>
    public static IReadOnlyList<DiscoveredSetting> Deployed() =>
        OptionsSettings(DeployedAssemblies()).Concat(TriggerSettings())
            .DistinctBy(s => s.Name.ToUpperInvariant())
            .ToList();

    private static string? SectionNameOf(Type type) =>
        type.GetField("SectionName", BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static) is { IsLiteral: true } field
        && field.FieldType == typeof(string)
            ? (string?)field.GetRawConstantValue()
            : null;

    private static void AddProperties(Type type, string prefix, List<DiscoveredSetting> result, int depth, string? exclude)
    {
        if (depth > 5)
        {
            return;
        }

        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.Name == exclude || property.GetIndexParameters().Length > 0)
            {
                continue;
            }

            var key = property.GetCustomAttribute<ConfigurationKeyNameAttribute>()?.Name ?? property.Name;
            var name = $"{prefix}__{key}";
            var settable = property.SetMethod is { IsPublic: true };
            var propertyType = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            if (IsLeaf(propertyType))
            {
                if (settable)
                {
                    result.Add(new DiscoveredSetting(name, type.FullName!));
                }
            }
            else if (typeof(IEnumerable).IsAssignableFrom(propertyType))
            {
                // Only settable collections: a get-only one is usually computed from other settings.
                if (settable)
                {
                    result.Add(new DiscoveredSetting(name, type.FullName!, IsPrefix: true));
                }
            }
            else if (propertyType.IsClass && (settable || property.GetMethod is { IsPublic: true }))
            {
                // The binder fills nested option objects, settable or get-only.
                AddProperties(propertyType, name, result, depth + 1, exclude: null);
            }
        }
    }

    private static bool IsLeaf(Type type) =>
        type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(decimal) || type == typeof(TimeSpan)
        || type == typeof(DateTime) || type == typeof(DateTimeOffset) || type == typeof(Guid) || type == typeof(Uri)
        || type == typeof(DateOnly) || type == typeof(TimeOnly);

    [GeneratedRegex("%([^%]+)%")]
    private static partial Regex SettingExpression();
}
