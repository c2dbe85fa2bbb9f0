using System.Text.Json;

namespace Serverless.IntegrationTests.Infrastructure;

/// <summary>The repository's own files as the tests read them (source of truth, not build output).</summary>
public static class RepoFiles
{
    private static readonly Lazy<string> RootPath = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "Serverless.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Serverless.sln not found above " + AppContext.BaseDirectory);
    });

    public static string Root => RootPath.Value;

    public static string Path(params string[] parts) => System.IO.Path.Combine([Root, .. parts]);

    public static string ReadText(params string[] parts) => File.ReadAllText(Path(parts));

    /// <summary><c>local.settings.sample.json</c> <c>Values</c> (names as written, compared case-insensitively as configuration does).</summary>
    public static IReadOnlyDictionary<string, string?> SampleSettings()
    {
        using var document = JsonDocument.Parse(ReadText("local.settings.sample.json"));
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var property in document.RootElement.GetProperty("Values").EnumerateObject())
        {
            values[property.Name] = property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString() : property.Value.GetRawText();
        }

        return values;
    }

    /// <summary>
    /// Every function of the built app as the worker SDK describes it to the Functions host (<c>functions.metadata</c> of
    /// the function app's build output, the configuration these tests were built in): (function name, its entry as JSON).
    /// </summary>
    public static IReadOnlyList<(string Name, string Json)> FunctionMetadata()
    {
        var configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(System.IO.Path.DirectorySeparatorChar)).Parent!.Name;
        var file = Path("functions", "bin", configuration, "net10.0", "functions.metadata");
        using var document = JsonDocument.Parse(File.ReadAllText(file));
        return document.RootElement.EnumerateArray()
            .Select(f => (Name: f.GetProperty("name").GetString()!, Json: f.GetRawText()))
            .OrderBy(f => f.Name, StringComparer.Ordinal)
            .ToList();
    }
}
