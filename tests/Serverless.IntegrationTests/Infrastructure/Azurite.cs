using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Serverless.IntegrationTests.Infrastructure;

/// <summary>A real Azurite process on free loopback ports with its data in a temp folder (kept across a stop and restart).</summary>
public sealed class AzuriteProcess : IAsyncLifetime
{
    public const string AccountName = "devstoreaccount1";
    public const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private Process? _process;
    private string? _location;

    /// <summary>Keep data in memory only (<c>--inMemoryPersistence</c>): no periodic snapshots of a growing database to disk. Not for stop/restart.</summary>
    public bool InMemory { get; init; }

    /// <summary>The emulator's process id while it runs.</summary>
    public int? ProcessId => _process is { HasExited: false } p ? p.Id : null;

    public int BlobPort { get; private set; }

    public int QueuePort { get; private set; }

    public int TablePort { get; private set; }

    public string ConnectionString =>
        $"DefaultEndpointsProtocol=http;AccountName={AccountName};AccountKey={AccountKey};" +
        $"BlobEndpoint=http://127.0.0.1:{BlobPort}/{AccountName};" +
        $"QueueEndpoint=http://127.0.0.1:{QueuePort}/{AccountName};" +
        $"TableEndpoint=http://127.0.0.1:{TablePort}/{AccountName};";

    public async Task InitializeAsync()
    {
        await StartAsync(FreePort(), FreePort(), FreePort());
    }

    /// <summary>
    /// Stops Azurite (as an outage would) without losing the ports; <see cref="RestartAsync"/> brings it back with its data.
    /// SIGTERM first: Azurite saves its metadata every 5 s and on shutdown, so a kill -9 would also lose the last
    /// seconds of acknowledged writes, which no real storage outage does.
    /// </summary>
    public async Task StopAsync()
    {
        if (_process is { HasExited: false })
        {
            using (var term = Process.Start(new ProcessStartInfo("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]) { UseShellExecute = false }))
            {
                await (term?.WaitForExitAsync() ?? Task.CompletedTask);
            }

            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            try
            {
                await _process.WaitForExitAsync(grace.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }
    }

    public Task RestartAsync() => StartAsync(BlobPort, QueuePort, TablePort);

    public async Task DisposeAsync()
    {
        await StopAsync();
        _process?.Dispose();
        if (_location is not null && Directory.Exists(_location))
        {
            Directory.Delete(_location, recursive: true);
        }
    }

    private async Task StartAsync(int blob, int queue, int table)
    {
        BlobPort = blob;
        QueuePort = queue;
        TablePort = table;
        _location ??= Directory.CreateTempSubdirectory("azurite-").FullName;
        var exe = Environment.GetEnvironmentVariable("AZURITE_PATH") ?? "azurite";
        var psi = new ProcessStartInfo(exe)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[]
        {
            "--silent", "--skipApiVersionCheck", "--disableTelemetry", "--loose",
            "--blobHost", "127.0.0.1", "--blobPort", blob.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--queueHost", "127.0.0.1", "--queuePort", queue.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--tableHost", "127.0.0.1", "--tablePort", table.ToString(System.Globalization.CultureInfo.InvariantCulture),
        })
        {
            psi.ArgumentList.Add(arg);
        }

        if (InMemory)
        {
            psi.ArgumentList.Add("--inMemoryPersistence");
        }
        else
        {
            psi.ArgumentList.Add("--location");
            psi.ArgumentList.Add(_location);
        }

        _process = Process.Start(psi) ?? throw new InvalidOperationException("Azurite did not start.");
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        var deadline = DateTime.UtcNow.AddSeconds(90);
        foreach (var port in new[] { blob, queue, table })
        {
            while (!await IsListening(port))
            {
                if (_process.HasExited)
                {
                    throw new InvalidOperationException($"Azurite exited with code {_process.ExitCode}. Is it installed (npm install -g azurite)?");
                }

                if (DateTime.UtcNow > deadline)
                {
                    throw new TimeoutException($"Azurite did not listen on port {port} within 90 s.");
                }

                await Task.Delay(100);
            }
        }
    }

    private static async Task<bool> IsListening(int port)
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

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>
/// The Azurite shared by the whole test run (started once, killed at exit). Test classes take it as an
/// <see cref="IClassFixture{TFixture}"/> and run in parallel; each uses its own ids or names so they do not
/// collide. Tests that stop storage start their own <see cref="AzuriteProcess"/>.
/// </summary>
public sealed class AzuriteFixture : IAsyncLifetime
{
    private static readonly Lazy<Task<AzuriteProcess>> Shared = new(async () =>
    {
        var process = new AzuriteProcess();
        await process.InitializeAsync();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => process.DisposeAsync().GetAwaiter().GetResult();
        return process;
    });

    public AzuriteProcess Process { get; private set; } = null!;

    public string ConnectionString => Process.ConnectionString;

    public async Task InitializeAsync() => Process = await Shared.Value;

    public Task DisposeAsync() => Task.CompletedTask;
}
