using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Serverless.Functions;
using Serverless.LocalHost.Functions;
using Serverless.LocalHost.Runtime;
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
        var configuration = _app.Services.GetRequiredService<IConfiguration>();
        var queues = _app.Services.GetRequiredService<FunctionIndex>().OfKind(LocalFunctionKind.Queue)
            .Select(f => HostJson.Resolve(f.Queue!.QueueName, configuration, f.Name))
            .SelectMany(q => new[] { q, q + "-poison" });

        var missing = queues.Where(q => !templates.Queues.Contains(q, StringComparer.Ordinal)).ToList();

        var withoutPoison = templates.Queues.Where(q => !q.EndsWith("-poison", StringComparison.Ordinal) && !templates.Queues.Contains(q + "-poison")).ToList();
        Assert.True(withoutPoison.Count == 0, "Every queue needs its '-poison' queue (main.bicep: flatten(map(queues, q => [q, '${q}-poison']))); without one: " + string.Join(", ", withoutPoison));
        Assert.True(missing.Count == 0, "Queues the functions read, missing from infra/main.bicep: " + string.Join(", ", missing));
    }

    /// <summary>
    /// The app's identity holds exactly the storage roles the code and the Functions host use, on its own account, and
    /// Key Vault Secrets User exactly when app settings are Key Vault references; nothing else anywhere.
    /// </summary>
    [Fact]
    public void AppIdentity_Roles_AreExactlyThoseTheCodeAndHostUse()
    {
        var templates = InfraTemplates.Load();
        var declared = _app.Services.GetServices<StorageResource>().Distinct().ToList();
        var queueTriggers = _app.Services.GetRequiredService<FunctionIndex>().OfKind(LocalFunctionKind.Queue).Any();
        var needed = new SortedSet<string>(StringComparer.Ordinal)
        {
            // The host's identity-based AzureWebJobsStorage (keys, timer locks, leases) needs Blob Data Owner; it also covers
            // the app's containers, blobs, leases and user-delegation keys (generateUserDelegationKey), so no second blob role.
            BuiltInRoles.BlobDataOwner,
        };
        if (queueTriggers || declared.Any(r => r.Kind == StorageResourceKind.Queue))
        {
            needed.Add(BuiltInRoles.QueueDataContributor);
        }

        if (declared.Any(r => r.Kind == StorageResourceKind.Table))
        {
            needed.Add(BuiltInRoles.TableDataContributor);
        }

        var app = templates.AppRoleAssignments.ToList();
        var onAccount = app.Where(a => a.ScopeType == "Microsoft.Storage/storageAccounts").Select(a => a.RoleDefinitionId).ToHashSet(StringComparer.Ordinal);
        var onVault = app.Where(a => a.ScopeType == "Microsoft.KeyVault/vaults").Select(a => a.RoleDefinitionId).ToList();
        var keyVaultReferences = templates.SiteSettings.Values.Any(v => (InfraTemplates.Text(v) ?? string.Empty).StartsWith("@Microsoft.KeyVault(", StringComparison.Ordinal));

        Assert.True(needed.SetEquals(onAccount), $"App identity's storage roles: needed {BuiltInRoles.Describe(needed)}, assigned {BuiltInRoles.Describe(onAccount)}.");
        Assert.Equal(keyVaultReferences ? [BuiltInRoles.KeyVaultSecretsUser] : [], onVault);
        Assert.All(app, a => Assert.False(a.Conditional, $"{a.RoleDefinitionId} is assigned only under a condition"));
        Assert.Equal(onAccount.Count + onVault.Count, app.Count);
        Assert.All(app.Where(a => a.ScopeType == "Microsoft.Storage/storageAccounts"), a => Assert.Contains(ModuleOutput(templates.StorageAccount.Deployment), a.ScopeName, StringComparison.Ordinal));
    }

    /// <summary>How the evaluated template names a module's output: reference(resourceId(…deployments', 'storage'), …).outputs.</summary>
    private static string ModuleOutput(string module) => $"'Microsoft.Resources/deployments', '{module}')";

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
