using Azure.Core;
using Azure.Core.Pipeline;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Serverless.Storage;

namespace Serverless.IntegrationTests.Infrastructure;

/// <summary>How a test reaches storage: the two kinds of connection the app supports.</summary>
public enum StorageMode
{
    /// <summary>A connection string with the account key (plain-HTTP Azurite); service SAS signed with the key.</summary>
    SharedKey,

    /// <summary>An identity-based connection (bearer tokens over HTTPS, <c>--oauth basic</c> Azurite); user-delegation SAS.</summary>
    Identity,
}

/// <summary>
/// The app's storage registrations (<c>AddStorage</c>) in a small started host, connected in one of the two modes:
/// the same code the function app runs, without the rest of the app.
/// </summary>
public sealed class StorageHost : IAsyncDisposable
{
    private readonly IHost _host;

    private StorageHost(IHost host) => _host = host;

    public IServiceProvider Services => _host.Services;

    public IBlobStore Blobs => Services.GetRequiredService<IBlobStore>();

    public IQueueStore Queues => Services.GetRequiredService<IQueueStore>();

    public ITableStore Tables => Services.GetRequiredService<ITableStore>();

    public IBlobSasSigner Signer => Services.GetRequiredService<IBlobSasSigner>();

    public static async Task<StorageHost> StartAsync(
        AzuriteProcess azurite,
        StorageMode mode,
        IReadOnlyDictionary<string, string?>? settings = null,
        TimeProvider? time = null,
        TokenCredential? credential = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        var values = new Dictionary<string, string?>(mode == StorageMode.SharedKey
            ? new Dictionary<string, string?> { ["AzureWebJobsStorage"] = azurite.ConnectionString }
            : azurite.IdentitySettings);
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            values[key] = value;
        }

        builder.Configuration.AddInMemoryCollection(values);
        Configure(builder.Services, azurite, mode, credential);
        if (time is not null)
        {
            builder.Services.AddSingleton(time);
        }

        builder.AddStorage();
        var host = builder.Build();
        await host.StartAsync();
        return new StorageHost(host);
    }

    /// <summary>What an identity-based connection to a secure Azurite needs in the container: the test token and a transport that trusts the test certificate.</summary>
    public static void Configure(IServiceCollection services, AzuriteProcess azurite, StorageMode mode, TokenCredential? credential = null)
    {
        if (mode == StorageMode.Identity)
        {
            services.AddSingleton(credential ?? new AzuriteTokenCredential());
        }

        if (azurite.Secure)
        {
            services.AddSingleton<HttpPipelineTransport>(new HttpClientTransport(azurite.CreateHttpHandler()));
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
    }
}

/// <summary>One secure Azurite (HTTPS, OAuth) for the run, beside the plain one of <see cref="AzuriteFixture"/>.</summary>
public sealed class SecureAzuriteFixture : IAsyncLifetime
{
    private static readonly Lazy<Task<AzuriteProcess>> Shared = new(async () =>
    {
        var process = new AzuriteProcess { Secure = true };
        await process.InitializeAsync();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => process.KillAtExit();
        return process;
    });

    public AzuriteProcess Process { get; private set; } = null!;

    public async Task InitializeAsync() => Process = await Shared.Value;

    public Task DisposeAsync() => Task.CompletedTask;
}
