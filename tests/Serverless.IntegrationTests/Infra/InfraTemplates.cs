using System.Text.RegularExpressions;

namespace Serverless.IntegrationTests.Infra;

/// <summary>What <c>infra/main.bicep</c> and its modules declare, read from the Bicep text.</summary>
public sealed partial class InfraTemplates
{
    private InfraTemplates(string main, string appSettingsModule)
    {
        Main = main;
        Containers = StringList(main, "containers");
        var queues = StringList(main, "queues");
        PoisonQueuesDerived = PoisonDerivation().IsMatch(main);
        Queues = PoisonQueuesDerived ? [.. queues, .. queues.Select(q => q + "-poison")] : queues;
        Tables = StringList(main, "tables");
        BlobCreatedRoutes = Require<BicepArray>(main, "blobCreatedRoutes").Items
            .Cast<BicepObject>()
            .Select(o => (Container: Literal(o, "container"), Queue: Literal(o, "queue")))
            .ToList();
        AppSettings = Require<BicepObject>(main, "appSettings").Properties;
        PlatformSettings = Require<BicepObject>(appSettingsModule, "platformSettings").Properties;
    }

    public string Main { get; }

    public IReadOnlyList<string> Containers { get; }

    /// <summary>The queues main.bicep lists, each with its <c>-poison</c> queue when main.bicep derives them.</summary>
    public IReadOnlyList<string> Queues { get; }

    public bool PoisonQueuesDerived { get; }

    public IReadOnlyList<string> Tables { get; }

    public IReadOnlyList<(string Container, string Queue)> BlobCreatedRoutes { get; }

    /// <summary>The app's own settings (main.bicep <c>appSettings</c>).</summary>
    public IReadOnlyDictionary<string, BicepValue> AppSettings { get; }

    /// <summary>Host and platform settings (modules/appsettings.bicep <c>platformSettings</c>).</summary>
    public IReadOnlyDictionary<string, BicepValue> PlatformSettings { get; }

    /// <summary>Every app setting name the function app gets.</summary>
    public IReadOnlySet<string> AllSettingNames =>
        AppSettings.Keys.Concat(PlatformSettings.Keys).ToHashSet(StringComparer.OrdinalIgnoreCase);

    public static InfraTemplates Load() =>
        new(RepoFiles.ReadText("infra", "main.bicep"), RepoFiles.ReadText("infra", "modules", "appsettings.bicep"));

    private static T Require<T>(string bicep, string variable)
        where T : BicepValue =>
        BicepReader.Variable(bicep, variable) as T
        ?? throw new InvalidOperationException($"The Bicep has no 'var {variable}' {typeof(T).Name.Replace("Bicep", string.Empty, StringComparison.Ordinal).ToLowerInvariant()} literal.");

    private static List<string> StringList(string bicep, string variable) =>
        Require<BicepArray>(bicep, variable).Items
            .Select(i => i is BicepString { IsInterpolated: false } s ? s.Text : throw new InvalidOperationException($"var {variable}: every item must be a plain string literal, found {i}."))
            .ToList();

    private static string Literal(BicepObject o, string property) =>
        o.Properties.TryGetValue(property, out var value) && value is BicepString { IsInterpolated: false } s
            ? s.Text
            : throw new InvalidOperationException($"blobCreatedRoutes: every route needs a literal '{property}'.");

    /// <summary><c>flatten(map(queues, q => [q, '${q}-poison']))</c>.</summary>
    [GeneratedRegex(@"flatten\(\s*map\(\s*queues\s*,\s*(\w+)\s*=>\s*\[\s*\1\s*,\s*'\$\{\1\}-poison'\s*\]\s*\)\s*\)")]
    private static partial Regex PoisonDerivation();
}
