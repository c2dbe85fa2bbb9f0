using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;

namespace Serverless.Playback.Benchmarks;

/// <summary>A private Azurite on free loopback ports, killed on dispose.</summary>
internal sealed class AzuriteHost : IAsyncDisposable
{
    private const string Account = "devstoreaccount1";
    private const string Key = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private readonly Process _process;
    private readonly X509Certificate2? _certificate;

    private AzuriteHost(Process process, int blob, int queue, int table, X509Certificate2? certificate)
    {
        _process = process;
        _certificate = certificate;
        var scheme = certificate is null ? "http" : "https";
        BlobServiceUri = $"{scheme}://127.0.0.1:{blob}/{Account}";
        QueueServiceUri = $"{scheme}://127.0.0.1:{queue}/{Account}";
        TableServiceUri = $"{scheme}://127.0.0.1:{table}/{Account}";
        ConnectionString = $"DefaultEndpointsProtocol={scheme};AccountName={Account};AccountKey={Key};" +
            $"BlobEndpoint={BlobServiceUri};QueueEndpoint={QueueServiceUri};TableEndpoint={TableServiceUri};";
    }

    public string ConnectionString { get; }

    public string BlobServiceUri { get; }

    public string QueueServiceUri { get; }

    public string TableServiceUri { get; }

    /// <summary>An HTTP handler that trusts this emulator's test certificate (secure mode).</summary>
    public HttpMessageHandler CreateHttpHandler() => TestCertificate.Trusting(_certificate);

    /// <param name="secure">HTTPS with a certificate made here, and <c>--oauth basic</c> (bearer tokens, user-delegation keys).</param>
    public static async Task<AzuriteHost> StartAsync(string location, bool secure = false)
    {
        int[] ports = [Net.FreePort(), Net.FreePort(), Net.FreePort()];
        var psi = new ProcessStartInfo(Serverless.Testing.LocalTools.Azurite ?? "azurite")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[]
        {
            "--silent", "--skipApiVersionCheck", "--disableTelemetry", "--loose", "--location", location,
            "--blobHost", "127.0.0.1", "--blobPort", Net.Text(ports[0]),
            "--queueHost", "127.0.0.1", "--queuePort", Net.Text(ports[1]),
            "--tableHost", "127.0.0.1", "--tablePort", Net.Text(ports[2]),
        })
        {
            psi.ArgumentList.Add(arg);
        }

        X509Certificate2? certificate = null;
        if (secure)
        {
            Directory.CreateDirectory(location);
            var cert = Path.Combine(location, "test-cert.pem");
            var key = Path.Combine(location, "test-key.pem");
            certificate = TestCertificate.Write(cert, key);
            foreach (var arg in new[] { "--oauth", "basic", "--cert", cert, "--key", key })
            {
                psi.ArgumentList.Add(arg);
            }
        }

        var process = Process.Start(psi) ?? throw new InvalidOperationException("Azurite did not start (npm install -g azurite).");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var host = new AzuriteHost(process, ports[0], ports[1], ports[2], certificate);
        foreach (var port in ports)
        {
            await Net.WaitUntilAsync(() => Net.IsListeningAsync(port), TimeSpan.FromSeconds(30), $"Azurite on port {port}");
        }

        return host;
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

/// <summary>The built function app in the local host (Serverless.LocalHost.dll beside this program) as its own process on loopback.</summary>
internal sealed class AppHost : IAsyncDisposable
{
    private static readonly string SigningKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    private readonly Process _process;

    private AppHost(Process process, Uri baseAddress)
    {
        _process = process;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    public static async Task<AppHost> StartAsync(string storage, string work, bool localRuntime)
    {
        var port = Net.FreePort();
        var psi = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Serverless.LocalHost.dll"));
        var environment = new Dictionary<string, string>
        {
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{Net.Text(port)}",
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["AzureWebJobsStorage"] = storage,
            ["LocalRuntime__Enabled"] = localRuntime ? "true" : "false",
            ["LocalRuntime__UploadWatchIntervalSeconds"] = "0.5",
            ["Identity__AllowDevelopmentSignIn"] = "true",
            ["Identity__OperatorKeys"] = "benchmark-operator-key",
            ["Identity__SigningKeys"] = "bench:" + SigningKey,
            ["Identity__UserIdKey"] = SigningKey,
            ["Playback__SigningKey"] = SigningKey,
            ["Media__WorkDirectory"] = Path.Combine(work, "media-work"),
            ["Pipeline__RetryBaseDelaySeconds"] = "0.5",
            ["Review__Enabled"] = "false", // no WeChat here: uploads are published unchecked
            ["Media__Preset"] = "ultrafast",
            ["Logging__LogLevel__Default"] = "Warning",
        };
        foreach (var (key, value) in environment)
        {
            psi.Environment[key] = value;
        }

        var process = Process.Start(psi) ?? throw new InvalidOperationException("The function app did not start.");
        process.OutputDataReceived += (_, e) => Echo(e.Data);
        process.ErrorDataReceived += (_, e) => Echo(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var host = new AppHost(process, new Uri($"http://127.0.0.1:{Net.Text(port)}"));
        using var http = new HttpClient { BaseAddress = host.BaseAddress };
        await Net.WaitUntilAsync(
            async () =>
            {
                if (process.HasExited)
                {
                    throw new InvalidOperationException($"The function app exited with code {process.ExitCode}.");
                }

                try
                {
                    return (await http.GetAsync("/api/health")).IsSuccessStatusCode;
                }
                catch (HttpRequestException)
                {
                    return false;
                }
            },
            TimeSpan.FromSeconds(60),
            "the function app");
        return host;
    }

    /// <summary>Publishes a clip of <see cref="BenchmarkOptions.ClipSeconds"/> through the real upload API and pipeline; returns its id once Ready.</summary>
    public static async Task<string> SeedAsync(string storage, string work, BenchmarkOptions options)
    {
        var clip = Path.Combine(work, "clip.mp4");
        var seconds = Net.Text(options.ClipSeconds);
        await RunAsync("ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", $"testsrc2=size=720x1280:rate=25:duration={seconds}",
            "-f", "lavfi", "-i", $"sine=frequency=440:duration={seconds}", "-shortest", "-c:a", "aac",
            "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", clip);
        await using var app = await StartAsync(storage, work, localRuntime: true);
        using var http = new HttpClient { BaseAddress = app.BaseAddress };
        await Net.SignInAsync(http);
        var created = await http.PostAsJsonAsync("/api/uploads", new { fileName = "clip.mp4", contentType = "video/mp4", sizeBytes = new FileInfo(clip).Length });
        created.EnsureSuccessStatusCode();
        var videoId = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("videoId").GetString()!;
        using (var form = new MultipartFormDataContent())
        {
            var file = new StreamContent(File.OpenRead(clip));
            file.Headers.ContentType = new MediaTypeHeaderValue("video/mp4");
            form.Add(file, "file", "clip.mp4");
            (await http.PostAsync($"/api/uploads/{videoId}/file", form)).EnsureSuccessStatusCode();
        }

        Console.WriteLine($"Uploaded a {seconds} s clip as {videoId}; waiting for the pipeline…");
        await Net.WaitUntilAsync(
            async () =>
            {
                var status = (await http.GetFromJsonAsync<JsonElement>($"/api/videos/{videoId}")).GetProperty("status").GetString();
                return status == "Failed" ? throw new InvalidOperationException("The pipeline failed the benchmark clip.") : status == "Ready";
            },
            TimeSpan.FromMinutes(10),
            "the pipeline");
        return videoId;
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

    private static void Echo(string? line)
    {
        if (!string.IsNullOrEmpty(line))
        {
            Console.Error.WriteLine("  [app] " + line);
        }
    }

    private static async Task RunAsync(string tool, params string[] args)
    {
        var psi = new ProcessStartInfo(tool) { RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            psi.ArgumentList.Add(arg);
        }

        using var process = Process.Start(psi)!;
        var stderr = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{tool} failed ({process.ExitCode}): {stderr}");
        }
    }
}

internal static class Net
{
    /// <summary>Signs in as the development user <c>benchmark</c> (<c>POST /api/auth/login</c>, code <c>dev:benchmark</c>) and sends its bearer token from then on.</summary>
    public static async Task SignInAsync(HttpClient http)
    {
        using var login = await http.PostAsJsonAsync("/api/auth/login", new { code = "dev:benchmark" });
        login.EnsureSuccessStatusCode();
        var token = (await login.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("token").GetString();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
    }

    public static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static async Task<bool> IsListeningAsync(int port)
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    public static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            if (clock.Elapsed > timeout)
            {
                throw new TimeoutException($"Timed out after {timeout.TotalSeconds:F0} s waiting for {what}.");
            }

            await Task.Delay(200);
        }
    }
}
