using Microsoft.Extensions.DependencyInjection;
using Serverless.Functions;
using Serverless.Functions.Runtime;
using Serverless.IntegrationTests.Infrastructure;
using Serverless.Storage;

namespace Serverless.IntegrationTests.Infra;

/// <summary>
/// Starts the real app with exactly the settings of local.settings.sample.json (storage pointed at Azurite) and checks
/// that every container, queue and table it declares, every queue its functions read, and every BlobCreated route is
/// declared in the Bicep. Starting also proves the sample is complete (options validate on start) and that every
/// function.json has a handler (the catalog refuses to start otherwise).
/// </summary>
public sealed class StorageConsistencyTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>, IAsyncLifetime
{
    private FunctionsAppFactory _app = null!;

    public Task InitializeAsync()
    {
        var settings = RepoFiles.SampleSettings()
            .ToDictionary(s => s.Key.Replace("__", ":", StringComparison.Ordinal), s => s.Value, StringComparer.OrdinalIgnoreCase);
        settings[StorageOptions.ConnectionSettingName] = azurite.ConnectionString;
        settings["LocalRuntime:Enabled"] = "false";
        _app = new FunctionsAppFactory(azurite.ConnectionString, settings);
        _ = _app.Server;
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public void StartUp_WithSampleSettings_CatalogMatchesFunctionJsonFiles()
    {
        var catalog = _app.Services.GetRequiredService<FunctionCatalog>();

        Assert.Equal(RepoFiles.FunctionJsonFiles().Select(f => f.Name), catalog.Functions.Select(f => f.Name));
    }

    [Fact]
    public void DeclaredStorageResources_AreAllInBicep()
    {
        var templates = InfraTemplates.Load();
        var declared = _app.Services.GetServices<StorageResource>().Distinct().ToList();

        var missing = declared.Where(r => !(r.Kind switch
        {
            StorageResourceKind.Container => templates.Containers,
            StorageResourceKind.Queue => templates.Queues,
            _ => templates.Tables,
        }).Contains(r.Name, StringComparer.Ordinal)).Select(r => $"{r.Kind} '{r.Name}'").ToList();

        Assert.NotEmpty(declared);
        Assert.True(missing.Count == 0, "Declared by the code (AddStorageResources) but not in infra/main.bicep: " + string.Join(", ", missing));
    }

    [Fact]
    public void QueueTriggers_QueueAndPoisonQueue_AreInBicep()
    {
        var templates = InfraTemplates.Load();
        var queues = _app.Services.GetRequiredService<FunctionCatalog>().Functions
            .Where(f => f.Kind == FunctionKind.Queue)
            .SelectMany(f => new[] { f.QueueName!, f.QueueName + "-poison" });

        var missing = queues.Where(q => !templates.Queues.Contains(q, StringComparer.Ordinal)).ToList();

        Assert.True(templates.PoisonQueuesDerived, "main.bicep should give every queue its '-poison' queue: flatten(map(queues, q => [q, '${q}-poison'])).");
        Assert.True(missing.Count == 0, "Queues the functions read, missing from infra/main.bicep: " + string.Join(", ", missing));
    }

    [Fact]
    public void BlobCreatedSubscriptions_AreRoutedByEventGridInBicep()
    {
        var templates = InfraTemplates.Load();
        var subscriptions = _app.Services.GetServices<BlobCreatedSubscription>().Distinct().ToList();

        var missing = subscriptions.Where(s => !templates.BlobCreatedRoutes.Contains((s.Container, s.Queue))).Select(s => $"{s.Container} -> {s.Queue}").ToList();

        Assert.True(missing.Count == 0, "BlobCreated routes in code, missing from main.bicep blobCreatedRoutes: " + string.Join(", ", missing));
        foreach (var (container, queue) in templates.BlobCreatedRoutes)
        {
            Assert.Contains(container, templates.Containers);
            Assert.Contains(queue, templates.Queues);
        }
    }
}
