using System.IO.Compression;
using System.Text.Json;

using Serverless.IntegrationTests.RealHost;
using Serverless.IntegrationTests.Infrastructure;

namespace Serverless.IntegrationTests.Deployment;

/// <summary>
/// The package infra/publish.sh builds (once per test run, <see cref="DeploymentPackage"/>: the one the real-host suite
/// runs) has the shape the Functions host runs for an isolated-worker app: host.json, functions.metadata (the functions of
/// this build), worker.config.json and the worker executable it names (executable, also inside the zip), extensions.json
/// and .azurefunctions/, and ffmpeg/ffprobe under tools/. ffmpeg/ffprobe come from this machine's install through
/// FFMPEG_DIR (the script's bring-your-own path), so the test needs no download; the npm fallback is the same copy step
/// from another folder.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class DeploymentPackageTests
{
    [Fact]
    public async Task PublishScript_WithFfmpegDir_ProducesHostReadyPackageAndZip()
    {
        var (package, zip) = await DeploymentPackage.GetAsync();

        Assert.Equal(RepoFiles.ReadText("host.json"), File.ReadAllText(Path.Combine(package, "host.json")));
        var packaged = JsonDocument.Parse(File.ReadAllText(Path.Combine(package, "functions.metadata"))).RootElement.EnumerateArray()
            .Select(f => f.GetProperty("name").GetString()!).Order(StringComparer.Ordinal);
        Assert.Equal(RepoFiles.FunctionMetadata().Select(f => f.Name), packaged);
        Assert.True(File.Exists(Path.Combine(package, "extensions.json")), "extensions.json is missing from the package");
        Assert.True(Directory.Exists(Path.Combine(package, ".azurefunctions")), ".azurefunctions/ is missing from the package");

        using var worker = JsonDocument.Parse(File.ReadAllText(Path.Combine(package, "worker.config.json")));
        var description = worker.RootElement.GetProperty("description");
        Assert.Equal("dotnet-isolated", description.GetProperty("language").GetString());
        var exe = description.GetProperty("defaultExecutablePath").GetString()!.Replace("{WorkerRoot}", string.Empty, StringComparison.Ordinal);
        string[] executables = [exe, "tools/ffmpeg", "tools/ffprobe"];
        foreach (var file in executables)
        {
            Assert.True(File.Exists(Path.Combine(package, file)), $"{file} is missing from the package");
            Assert.True(File.GetUnixFileMode(Path.Combine(package, file)).HasFlag(UnixFileMode.UserExecute), $"{file} is not executable");
        }

        Assert.False(File.Exists(Path.Combine(package, "local.settings.json")));
        var (ffmpegExit, ffmpegOutput) = await DeploymentPackage.Run(Path.Combine(package, "tools", "ffmpeg"), ["-hide_banner", "-version"]);
        Assert.True(ffmpegExit == 0, ffmpegOutput);

        using var archive = ZipFile.OpenRead(zip);
        Assert.NotNull(archive.GetEntry("host.json"));
        Assert.NotNull(archive.GetEntry("functions.metadata"));
        foreach (var file in executables)
        {
            var entry = archive.GetEntry(file) ?? throw new Xunit.Sdk.XunitException($"{file} is missing from the zip");
            var mode = (entry.ExternalAttributes >> 16) & 0b001_001_001;
            Assert.True(mode != 0, $"{file} lost its executable bit in the zip");
        }
    }
}
