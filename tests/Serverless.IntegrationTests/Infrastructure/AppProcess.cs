using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Serverless.IntegrationTests.Infrastructure;

/// <summary>
/// The function app as a separate OS process (the local host, Serverless.LocalHost.dll, running the built function app), so tests can kill -9 it and
/// run several instances against one storage account, as production would.
/// </summary>
public sealed class AppProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ProcessOutput _output;

    private AppProcess(Process process, int port)
    {
        _process = process;
        _output = ProcessOutput.Read(process);
        Port = port;
        BaseAddress = new Uri($"http://127.0.0.1:{port}");
    }

    public int Port { get; }

    public Uri BaseAddress { get; }

    /// <summary>The OS process id (to sample its memory or find its ffmpeg children).</summary>
    public int ProcessId => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>Resident set size now and its peak (VmRSS, VmHWM from /proc), in bytes; null once the process is gone.</summary>
    public (long Rss, long Peak)? ReadMemory()
    {
        try
        {
            long rss = 0, peak = 0;
            foreach (var line in File.ReadLines($"/proc/{_process.Id}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    rss = ParseKiB(line);
                }
                else if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                {
                    peak = ParseKiB(line);
                }
            }

            return (rss, peak);
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>What the app printed (for failure messages).</summary>
    public string Output => _output.Text;

    public static async Task<AppProcess> StartAsync(string storageConnectionString, IReadOnlyDictionary<string, string>? settings = null)
    {
        var port = FreePort();
        var dll = Path.Combine(AppContext.BaseDirectory, "Serverless.LocalHost.dll");
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        psi.ArgumentList.Add(dll);
        psi.ArgumentList.Add("--urls");
        psi.ArgumentList.Add($"http://127.0.0.1:{port}");
        psi.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        psi.Environment["AzureWebJobsStorage"] = storageConnectionString;
        foreach (var (key, value) in FunctionsAppFactory.DefaultSettings)
        {
            psi.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        psi.Environment["Playback__SigningKey"] = FunctionsAppFactory.PlaybackSigningKey;
        psi.Environment["LocalRuntime__UploadWatchIntervalSeconds"] = "0.5";
        psi.Environment["Logging__LogLevel__Default"] = "Warning";
        psi.Environment["LOCAL_SETTINGS_PATH"] = "none";
        psi.Environment.Remove("FUNCTIONS_CUSTOMHANDLER_PORT");
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            psi.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        var process = Process.Start(psi) ?? throw new InvalidOperationException("The app did not start.");
        var app = new AppProcess(process, port);

        using var http = new HttpClient { BaseAddress = app.BaseAddress };
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            if (process.HasExited)
            {
                // The exit is seen before the last lines of its output are read; wait for the end of both streams.
                await process.WaitForExitAsync();
                var refused = new InvalidOperationException($"The app exited with {process.ExitCode}:\n{app.Output}");
                process.Dispose();
                throw refused;
            }

            try
            {
                if ((await http.GetAsync("/api/health")).StatusCode == HttpStatusCode.OK)
                {
                    return app;
                }
            }
            catch (HttpRequestException)
            {
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"The app did not answer within 60 s:\n{app.Output}");
            }

            await Task.Delay(200);
        }
    }

    public HttpClient CreateClient() => new() { BaseAddress = BaseAddress };

    /// <summary>SIGKILL, no shutdown: what a crash or an OOM kill does. Child processes (ffmpeg) are left running, as they would be.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: false);
            await _process.WaitForExitAsync();
        }
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

    private static long ParseKiB(string line) =>
        long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
