using System.Text.Json;

namespace Serverless.IntegrationTests.Infra;

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

    /// <summary>Every <c>functions/&lt;Name&gt;/function.json</c>: (function name, file text).</summary>
    public static IReadOnlyList<(string Name, string Json)> FunctionJsonFiles() =>
        Directory.EnumerateDirectories(Path("functions"))
            .Select(dir => (Name: System.IO.Path.GetFileName(dir), File: System.IO.Path.Combine(dir, "function.json")))
            .Where(f => File.Exists(f.File))
            .OrderBy(f => f.Name, StringComparer.Ordinal)
            .Select(f => (f.Name, File.ReadAllText(f.File)))
            .ToList();
}
