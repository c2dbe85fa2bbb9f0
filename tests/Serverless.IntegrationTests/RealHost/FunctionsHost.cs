using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Serverless.IntegrationTests.Deployment;
using Serverless.IntegrationTests.Infrastructure;

namespace Serverless.IntegrationTests.RealHost;

/// <summary>
/// Where the Azure Functions host comes from: <c>FUNCTIONS_HOST_DIR</c> (a folder with <c>run-host.sh</c>, as
/// <c>../shared/functions-host</c> is), else Azure Functions Core Tools' <c>func</c> on the PATH, else
/// <c>../shared/functions-host</c> beside the repository (the host built from its public source).
/// </summary>
public sealed record FunctionsHostLocation(string Description, string? RunHostScript, string? Func)
{
    public const string HowToGetOne =
        "No Azure Functions host found: set FUNCTIONS_HOST_DIR to a folder with run-host.sh (such as ../shared/functions-host), " +
        "or install Azure Functions Core Tools (func) on the PATH.";

    public static FunctionsHostLocation? Find()
    {
        if (Environment.GetEnvironmentVariable("FUNCTIONS_HOST_DIR") is { Length: > 0 } dir)
        {
            var script = Path.Combine(dir, "run-host.sh");
            return File.Exists(script)
                ? new FunctionsHostLocation($"FUNCTIONS_HOST_DIR ({dir})", script, null)
                : throw new InvalidOperationException($"FUNCTIONS_HOST_DIR={dir} has no run-host.sh.");
        }

        var func = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => Path.Combine(p, "func")).FirstOrDefault(File.Exists);
        if (func is not null)
        {
            return new FunctionsHostLocation($"Core Tools ({func})", null, func);
        }

        var shared = Path.GetFullPath(Path.Combine(RepoFiles.Root, "..", "shared", "functions-host", "run-host.sh"));
        return File.Exists(shared) ? new FunctionsHostLocation($"../shared/functions-host ({shared})", shared, null) : null;
    }

    /// <summary>The start command for an app folder on a port.</summary>
    public ProcessStartInfo StartInfo(string appFolder, int port)
    {
        var psi = RunHostScript is not null
            ? new ProcessStartInfo("bash") { ArgumentList = { RunHostScript, appFolder, port.ToString(System.Globalization.CultureInfo.InvariantCulture) } }
            : new ProcessStartInfo(Func!) { ArgumentList = { "host", "start", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture) }, WorkingDirectory = appFolder };
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        psi.UseShellExecute = false;

        // What Azure (and Core Tools) set for the host; run-host.sh sets the same when they are missing.
        psi.Environment["WEBSITE_HOSTNAME"] = $"127.0.0.1:{port}";
        psi.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        return psi;
    }
}

/// <summary>
/// The deployment package operators deploy (<c>infra/publish.sh</c>: a self-contained linux-x64 publish with ffmpeg under
/// tools/ and its zip), built once per test run. The real-host suite runs it, and <see cref="DeploymentPackageTests"/>
/// checks its shape.
/// </summary>
public static class DeploymentPackage
{
    private static readonly Lazy<Task<(string Folder, string Zip)>> Built = new(BuildAsync);

    public static Task<(string Folder, string Zip)> GetAsync() => Built.Value;

    private static async Task<(string Folder, string Zip)> BuildAsync()
    {
        var work = Directory.CreateTempSubdirectory("package-").FullName;
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                Directory.Delete(work, recursive: true);
            }
            catch (IOException)
            {
            }
        };
        var folder = Path.Combine(work, "package");
        var zip = Path.Combine(work, "package.zip");
        var (exitCode, output) = await Run(RepoFiles.Path("infra", "publish.sh"), ["-o", folder, "--zip", zip], new Dictionary<string, string>
        {
            // ffmpeg/ffprobe from this machine's install (the script's bring-your-own path): no download in tests.
            ["FFMPEG_DIR"] = FfmpegDirectory(),
        });
        return exitCode == 0 ? (folder, zip) : throw new InvalidOperationException($"infra/publish.sh failed ({exitCode}):\n{output}");
    }

    /// <summary>The folder holding this machine's ffmpeg and ffprobe (they are installed on every dev and CI machine).</summary>
    public static string FfmpegDirectory()
    {
        var path = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':', StringSplitOptions.RemoveEmptyEntries);
        return path.FirstOrDefault(dir => File.Exists(Path.Combine(dir, "ffmpeg")) && File.Exists(Path.Combine(dir, "ffprobe")))
            ?? throw new InvalidOperationException("ffmpeg and ffprobe are not on PATH (apt-get install ffmpeg).");
    }

    public static async Task<(int ExitCode, string Output)> Run(string file, string[] arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(file)
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

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{file} did not start.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(15));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} did not finish within 15 minutes.");
        }

        return (process.ExitCode, await stdout + await stderr);
    }
}

/// <summary>
/// The Functions host running an app folder, with the app's settings as environment variables (as app settings are in
/// Azure), on a free loopback port. <see cref="KillAsync"/> is a crash of the host and its worker (SIGKILL to both).
/// </summary>
public sealed class FunctionsHostProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ProcessOutput _output;

    private FunctionsHostProcess(Process process, int port)
    {
        _process = process;
        _output = ProcessOutput.Read(process);
        BaseAddress = new Uri($"http://127.0.0.1:{port}");
    }

    public Uri BaseAddress { get; }

    /// <summary>What the host printed (its log, the worker's included).</summary>
    public string Output => _output.Text;

    public static async Task<FunctionsHostProcess> StartAsync(FunctionsHostLocation location, string appFolder, IReadOnlyDictionary<string, string> settings)
    {
        var port = FreePort();
        var psi = location.StartInfo(appFolder, port);
        psi.Environment.Remove("CONTAINER_NAME");
        foreach (var (key, value) in settings)
        {
            psi.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        var process = Process.Start(psi) ?? throw new InvalidOperationException("The Functions host did not start.");
        var host = new FunctionsHostProcess(process, port);

        // Ready when the worker answers an HTTP function (the host answers 503 or 404 until the worker has indexed).
        using var http = new HttpClient { BaseAddress = host.BaseAddress, Timeout = TimeSpan.FromSeconds(10) };
        var deadline = DateTime.UtcNow.AddSeconds(180);
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"The Functions host exited with {process.ExitCode}:\n{Tail(host.Output)}");
            }

            try
            {
                using var response = await http.GetAsync("/api/health");
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return host;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
            }

            if (DateTime.UtcNow > deadline)
            {
                await host.DisposeAsync();
                throw new TimeoutException($"The Functions host did not answer /api/health within 180 s:\n{Tail(host.Output)}");
            }

            await Task.Delay(250);
        }
    }

    public HttpClient CreateClient() => new() { BaseAddress = BaseAddress };

    /// <summary>SIGKILL to the host and its worker (and what they started): no shutdown, as a crashed instance.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process.Dispose();
    }

    public static string Tail(string text, int length = 6000) => text.Length <= length ? text : text[^length..];

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>
/// Event Grid's part beside the Functions host on Azurite: the local host's uploads watcher alone
/// (<c>Serverless.LocalHost --event-grid</c>), raising BlobCreated into the app's upload queue.
/// </summary>
public sealed class EventGridProcess : IAsyncDisposable
{
    private readonly Process _process;

    private EventGridProcess(Process process) => _process = process;

    public static EventGridProcess Start(IReadOnlyDictionary<string, string> settings)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { Path.Combine(AppContext.BaseDirectory, "Serverless.LocalHost.dll"), "--event-grid" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        psi.Environment["LOCAL_SETTINGS_PATH"] = "none";
        psi.Environment["LocalRuntime__UploadWatchIntervalSeconds"] = "0.5";
        foreach (var (key, value) in settings)
        {
            psi.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        var process = Process.Start(psi) ?? throw new InvalidOperationException("The uploads watcher did not start.");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new EventGridProcess(process);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }
}
