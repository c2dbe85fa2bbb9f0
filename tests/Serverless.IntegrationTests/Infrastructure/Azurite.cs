using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Serverless.IntegrationTests.Infrastructure;

/// <summary>
/// A real Azurite process on free loopback ports with its data in a temp folder (kept across a stop and restart). Besides
/// the well-known <c>devstoreaccount1</c> it serves <see cref="ExtraAccounts"/> more storage accounts (Azurite's
/// <c>AZURITE_ACCOUNTS</c>), each as separate as two accounts in Azure: <see cref="NewAccount"/> hands out the next one, so
/// many test apps share one emulator process without seeing each other's containers, queues, tables or task hubs.
/// </summary>
public sealed class AzuriteProcess : IAsyncLifetime
{
    public const string AccountName = "devstoreaccount1";
    public const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    /// <summary>The key of every extra account (a test value, base64 of 64 bytes).</summary>
    public const string ExtraAccountKey = "dGVzdC1henVyaXRlLWFjY291bnQta2V5LTAxMjM0NTY3ODlhYmNkZWYwMTIzNDU2Nzg5YWJjZGVmMDEyMzQ1Njc=";

    private Process? _process;
    private int? _childId;
    private string? _location;
    private int _accountsHandedOut;

    /// <summary>How many accounts besides <c>devstoreaccount1</c> the emulator serves (<c>t001</c>, <c>t002</c>, …).</summary>
    public int ExtraAccounts { get; init; }

    /// <summary>The next unused extra account (thread-safe).</summary>
    public AzuriteAccount NewAccount()
    {
        var number = Interlocked.Increment(ref _accountsHandedOut);
        if (number > ExtraAccounts)
        {
            throw new InvalidOperationException($"This Azurite serves {ExtraAccounts} extra accounts and all are handed out; raise ExtraAccounts.");
        }

        return new AzuriteAccount(this, ExtraAccountName(number), ExtraAccountKey);
    }

    private static string ExtraAccountName(int number) => "t" + number.ToString("D3", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Keep data in memory only (<c>--inMemoryPersistence</c>): no periodic snapshots of a growing database to disk. Not for stop/restart.</summary>
    public bool InMemory { get; init; }

    /// <summary>
    /// HTTPS with a self-signed certificate made for this run, and OAuth (<c>--oauth basic</c>): the emulator then accepts
    /// bearer tokens and issues user-delegation keys, as a keyless production account does.
    /// </summary>
    public bool Secure { get; init; }

    /// <summary>The certificate a <see cref="Secure"/> emulator presents (trusted by <see cref="CreateHttpHandler"/> only).</summary>
    public X509Certificate2? Certificate { get; private set; }

    private string Scheme => Secure ? "https" : "http";

    public Uri BlobServiceUri => new($"{Scheme}://127.0.0.1:{BlobPort}/{AccountName}");

    public Uri QueueServiceUri => new($"{Scheme}://127.0.0.1:{QueuePort}/{AccountName}");

    public Uri TableServiceUri => new($"{Scheme}://127.0.0.1:{TablePort}/{AccountName}");

    /// <summary>The settings of an identity-based connection to this emulator (no key), as app settings would give them.</summary>
    public IReadOnlyDictionary<string, string?> IdentitySettings => new Dictionary<string, string?>
    {
        ["AzureWebJobsStorage"] = null,
        ["AzureWebJobsStorage:accountName"] = AccountName,
        ["AzureWebJobsStorage:blobServiceUri"] = BlobServiceUri.AbsoluteUri,
        ["AzureWebJobsStorage:queueServiceUri"] = QueueServiceUri.AbsoluteUri,
        ["AzureWebJobsStorage:tableServiceUri"] = TableServiceUri.AbsoluteUri,
    };

    /// <summary>An HTTP handler that trusts this emulator's test certificate (and nothing else a public CA did not sign).</summary>
    public HttpMessageHandler CreateHttpHandler()
    {
        var expected = Certificate;
        return new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                    errors == SslPolicyErrors.None || (expected is not null && certificate is not null && certificate.GetCertHashString() == expected.Thumbprint),
            },
        };
    }

    /// <summary>The emulator's process id while it runs.</summary>
    public int? ProcessId => _process is { HasExited: false } && _childId is { } id ? id : null;

    public int BlobPort { get; private set; }

    public int QueuePort { get; private set; }

    public int TablePort { get; private set; }

    public string ConnectionString => new AzuriteAccount(this, AccountName, AccountKey).ConnectionString;

    internal string Endpoint(int port, string account) => $"{Scheme}://127.0.0.1:{port}/{account}";

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

    /// <summary>
    /// For the end of the test run (<see cref="AppDomain.ProcessExit"/>): kills the emulator at once and removes its data.
    /// A graceful stop can outlast the little time the runtime gives exit handlers and leave the emulator running.
    /// </summary>
    public void KillAtExit()
    {
        try
        {
            if (_process is { HasExited: false })
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(5000);
            }

            if (_location is not null && Directory.Exists(_location))
            {
                Directory.Delete(_location, recursive: true);
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or IOException or UnauthorizedAccessException or System.ComponentModel.Win32Exception)
        {
            // Best effort at exit.
        }
    }

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
        var exe = Executable;
        var psi = new ProcessStartInfo(exe)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (ExtraAccounts > 0)
        {
            psi.Environment["AZURITE_ACCOUNTS"] = string.Join(';', Enumerable.Range(1, ExtraAccounts)
                .Select(n => $"{ExtraAccountName(n)}:{ExtraAccountKey}")
                .Prepend($"{AccountName}:{AccountKey}"));
        }

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

        if (Secure)
        {
            var (cert, key) = CreateCertificate(_location);
            foreach (var arg in new[] { "--oauth", "basic", "--cert", cert, "--key", key })
            {
                psi.ArgumentList.Add(arg);
            }
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

        // Bound to this test process: it ends with the run even if the run ends without its exit handlers.
        _process = Process.Start(ParentBound.Wrap(psi)) ?? throw new InvalidOperationException("Azurite did not start.");
        _process.OutputDataReceived += (_, e) =>
        {
            if (ParentBound.TryParseChild(e.Data, out var child))
            {
                _childId = child;
            }
        };
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

    /// <summary>A self-signed certificate for 127.0.0.1 (PEM files in the emulator's temp folder), made once per emulator.</summary>
    private (string Cert, string Key) CreateCertificate(string folder)
    {
        var certPath = Path.Combine(folder, "test-cert.pem");
        var keyPath = Path.Combine(folder, "test-key.pem");
        if (Certificate is null)
        {
            using var rsa = RSA.Create(2048);
            var request = new CertificateRequest("CN=127.0.0.1", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            var san = new SubjectAlternativeNameBuilder();
            san.AddIpAddress(IPAddress.Loopback);
            san.AddDnsName("localhost");
            request.CertificateExtensions.Add(san.Build());
            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
            using var created = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(7));
            File.WriteAllText(certPath, created.ExportCertificatePem());
            File.WriteAllText(keyPath, rsa.ExportPkcs8PrivateKeyPem());
            Certificate = X509CertificateLoader.LoadCertificate(created.RawData);
        }

        return (certPath, keyPath);
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

    /// <summary><c>AZURITE_PATH</c>, else the one <c>./dev.sh</c> installs into <c>.local/</c>, else <c>azurite</c> on the PATH.</summary>
    public static string Executable => Serverless.Testing.LocalTools.Azurite ?? "azurite";

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>One storage account of an <see cref="AzuriteProcess"/>: its connection string and service endpoints.</summary>
public sealed record AzuriteAccount(AzuriteProcess Process, string Name, string Key)
{
    public Uri BlobServiceUri => new(Process.Endpoint(Process.BlobPort, Name));

    public Uri QueueServiceUri => new(Process.Endpoint(Process.QueuePort, Name));

    public Uri TableServiceUri => new(Process.Endpoint(Process.TablePort, Name));

    public string ConnectionString =>
        $"DefaultEndpointsProtocol={BlobServiceUri.Scheme};AccountName={Name};AccountKey={Key};" +
        $"BlobEndpoint={BlobServiceUri};QueueEndpoint={QueueServiceUri};TableEndpoint={TableServiceUri};";
}

/// <summary>
/// A storage account of its own on the Azurite shared by the whole test run (one process, started once, killed at exit).
/// Test classes take it as an <see cref="IClassFixture{TFixture}"/> (or a collection fixture) and run in parallel, each in
/// its own account, as separate as two storage accounts in Azure. Tests that stop storage start their own
/// <see cref="AzuriteProcess"/>.
/// </summary>
public sealed class AzuriteFixture : IAsyncLifetime
{
    /// <summary>Accounts the shared emulator serves: one per fixture and per test that asks for one, with room to spare.</summary>
    private const int Accounts = 400;

    private static readonly Lazy<Task<AzuriteProcess>> Shared = new(async () =>
    {
        var process = new AzuriteProcess { ExtraAccounts = Accounts };
        await process.InitializeAsync();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => process.KillAtExit();
        return process;
    });

    public AzuriteProcess Process { get; private set; } = null!;

    /// <summary>This fixture's own account.</summary>
    public AzuriteAccount Account { get; private set; } = null!;

    public string ConnectionString => Account.ConnectionString;

    /// <summary>A fresh account on the shared emulator, for a test (or an app) that needs storage nobody else uses.</summary>
    public static async Task<AzuriteAccount> NewAccountAsync() => (await Shared.Value).NewAccount();

    public async Task InitializeAsync()
    {
        Process = await Shared.Value;
        Account = Process.NewAccount();
    }

    public Task DisposeAsync() => Task.CompletedTask;
}
