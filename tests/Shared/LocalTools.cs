namespace Serverless.Testing;

/// <summary>
/// Where the tools the tests and benchmarks start are, as <c>./dev.sh</c> installs them: an explicit environment variable,
/// else the repository's <c>.local/</c>, else the PATH. Shared (linked) by the integration tests and the benchmarks, so a
/// benchmark runs exactly as written on a machine <c>./dev.sh test</c> prepared.
/// </summary>
internal static class LocalTools
{
    private static readonly Lazy<string?> Root = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Serverless.sln")))
            {
                return dir.FullName;
            }
        }

        return null;
    });

    /// <summary><c>AZURITE_PATH</c>, else the one <c>./dev.sh</c> installs into <c>.local/</c>, else <c>azurite</c> on the PATH; null when none.</summary>
    public static string? Azurite =>
        Environment.GetEnvironmentVariable("AZURITE_PATH") is { Length: > 0 } path ? path
        : Root.Value is { } root && File.Exists(Path.Combine(root, ".local", "azurite", "node_modules", ".bin", "azurite"))
            ? Path.Combine(root, ".local", "azurite", "node_modules", ".bin", "azurite")
            : OnPath("azurite");

    /// <summary>The full path of <paramref name="name"/> on the PATH, or null.</summary>
    public static string? OnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, name))
            .FirstOrDefault(File.Exists);

    /// <summary>The one line a benchmark prints, and exits with 1, when a tool it needs is missing; null when all are there.</summary>
    public static string? Missing(params string[] tools)
    {
        foreach (var tool in tools)
        {
            var found = tool == "azurite" ? Azurite : OnPath(tool);
            if (found is null || !File.Exists(found))
            {
                return tool == "azurite"
                    ? $"Azurite was not found ({found ?? "not in AZURITE_PATH, .local/azurite or the PATH"}): run ./dev.sh test once (it installs Azurite into .local/), or set AZURITE_PATH."
                    : $"{tool} was not found on the PATH: run ./dev.sh test once (it installs it from Debian).";
            }
        }

        return null;
    }
}
