using System.Diagnostics;
using System.Text.Json.Nodes;
using Serverless.IntegrationTests.Infrastructure;

namespace Serverless.IntegrationTests.Deployment;

/// <summary>
/// infra/main.bicep and its parameter files compiled to ARM JSON by the real Bicep compiler. <c>./dev.sh test</c>
/// compiles them before the tests (BICEP_ARM_JSON names main.json, the parameter files sit beside it as
/// main.&lt;env&gt;.parameters.json); when those are missing or older than a file under infra/, the tests compile
/// them again with the compiler dev.sh downloaded (BICEP_PATH, else .local/bicep/…/tools/bicep).
/// </summary>
public static class CompiledInfra
{
    private static readonly Lazy<string> OutputDirectory = new(Locate);
    private static readonly Lazy<string> MainText = new(() => File.ReadAllText(Path.Combine(OutputDirectory.Value, "main.json")));

    /// <summary>The compiled main.json as text.</summary>
    public static string TemplateText => MainText.Value;

    /// <summary>The compiled main.json (a fresh copy: callers may change it).</summary>
    public static JsonObject Template() => JsonNode.Parse(MainText.Value)!.AsObject();

    /// <summary>The environments: one per infra/main.&lt;env&gt;.bicepparam.</summary>
    public static IReadOnlyList<string> Environments() =>
        ParameterFiles().Select(f => Path.GetFileName(f)["main.".Length..^".bicepparam".Length]).ToList();

    /// <summary>The compiled parameter file of an environment (dev, prod).</summary>
    public static JsonObject Parameters(string environment) =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(OutputDirectory.Value, $"main.{environment}.parameters.json")))!.AsObject();

    private static string[] ParameterFiles() =>
        Directory.GetFiles(RepoFiles.Path("infra"), "main.*.bicepparam").Order(StringComparer.Ordinal).ToArray();

    private static string Locate()
    {
        var exported = Environment.GetEnvironmentVariable("BICEP_ARM_JSON");
        var directory = Path.GetDirectoryName(exported ?? RepoFiles.Path(".local", "bicep-out", "main.json"))!;
        return IsCurrent(directory) ? directory : Compile();
    }

    /// <summary>Every output is there and newer than every input (a template, a parameter file, a bicepconfig.json).</summary>
    private static bool IsCurrent(string directory)
    {
        var outputs = ParameterFiles().Select(f => Path.Combine(directory, Path.GetFileNameWithoutExtension(f) + ".parameters.json"))
            .Append(Path.Combine(directory, "main.json"))
            .ToList();
        if (!outputs.All(File.Exists))
        {
            return false;
        }

        var newestInput = Directory.EnumerateFiles(RepoFiles.Path("infra"), "*", SearchOption.AllDirectories)
            .Where(f => f.EndsWith(".bicep", StringComparison.Ordinal) || f.EndsWith(".bicepparam", StringComparison.Ordinal) || f.EndsWith("bicepconfig.json", StringComparison.Ordinal))
            .Max(File.GetLastWriteTimeUtc);
        return outputs.Min(File.GetLastWriteTimeUtc) >= newestInput;
    }

    private static string Compile()
    {
        var compiler = FindCompiler();
        var output = Directory.CreateTempSubdirectory("bicep-out-").FullName;
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Directory.Delete(output, recursive: true);
        Run(compiler, "build", RepoFiles.Path("infra", "main.bicep"), "--outfile", Path.Combine(output, "main.json"));
        foreach (var file in ParameterFiles())
        {
            Run(compiler, "build-params", file, "--bicep-file", RepoFiles.Path("infra", "main.bicep"), "--outfile", Path.Combine(output, Path.GetFileNameWithoutExtension(file) + ".parameters.json"));
        }

        return output;
    }

    private static string FindCompiler()
    {
        var exported = Environment.GetEnvironmentVariable("BICEP_PATH");
        if (!string.IsNullOrEmpty(exported) && File.Exists(exported))
        {
            return exported;
        }

        var installed = RepoFiles.Path(".local", "bicep", "azure.bicep.commandline.linux-x64");
        var found = Directory.Exists(installed)
            ? Directory.GetDirectories(installed)
                .Select(version => Path.Combine(version, "tools", "bicep"))
                .Where(File.Exists)
                .OrderByDescending(File.GetLastWriteTimeUtc)
                .FirstOrDefault()
            : null;
        return found ?? throw new InvalidOperationException(
            "The Bicep compiler is not installed, and infra/ has not been compiled: run ./dev.sh test once (it downloads the pinned compiler into .local/bicep/ and compiles infra/main.bicep), or set BICEP_PATH to a bicep binary.");
    }

    private static void Run(string compiler, params string[] arguments)
    {
        var start = new ProcessStartInfo(compiler)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = RepoFiles.Root,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{compiler} did not start.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"bicep {string.Join(' ', arguments)} did not finish within 2 minutes.");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"bicep {string.Join(' ', arguments)} failed ({process.ExitCode}):{Environment.NewLine}{stdout.Result}{stderr.Result}");
        }
    }
}
