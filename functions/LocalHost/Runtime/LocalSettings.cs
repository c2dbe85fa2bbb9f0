using System.Text.Json;

namespace Serverless.LocalHost.Runtime;

/// <summary>
/// Loads <c>local.settings.json</c> the way Core Tools does when no Functions host is present: its <c>Values</c>
/// become configuration (keys with <c>__</c> also as <c>:</c> sections). In Azure the settings are environment variables.
/// </summary>
internal static class LocalSettings
{
    public const string FileName = "local.settings.json";

    public static string? Find(string contentRoot)
    {
        var explicitPath = Environment.GetEnvironmentVariable("LOCAL_SETTINGS_PATH");
        if (explicitPath == "none")
        {
            return null;
        }

        if (!string.IsNullOrEmpty(explicitPath))
        {
            return File.Exists(explicitPath) ? explicitPath : throw new FileNotFoundException("LOCAL_SETTINGS_PATH names a missing file.", explicitPath);
        }

        for (var dir = new DirectoryInfo(contentRoot); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, FileName);
            if (File.Exists(candidate))
            {
                return candidate;
            }

            if (File.Exists(Path.Combine(dir.FullName, "Serverless.sln")))
            {
                break;
            }
        }

        return null;
    }

    public static IReadOnlyDictionary<string, string?> Read(string path)
    {
        using var stream = File.OpenRead(path);
        using var document = JsonDocument.Parse(stream, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        if (document.RootElement.TryGetProperty("Values", out var section) && section.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in section.EnumerateObject())
            {
                var value = property.Value.ValueKind switch
                {
                    JsonValueKind.String => property.Value.GetString(),
                    JsonValueKind.Null => null,
                    _ => property.Value.GetRawText(),
                };
                values[property.Name.Replace("__", ":", StringComparison.Ordinal)] = value;
            }
        }

        return values;
    }
}
