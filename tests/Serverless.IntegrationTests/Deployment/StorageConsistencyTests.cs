using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Serverless.Functions;
using Serverless.LocalHost.Functions;
using Serverless.LocalHost.Runtime;
using Serverless.IntegrationTests.Infrastructure;
using Serverless.Storage;

namespace Serverless.IntegrationTests.Deployment;

/// <summary>
/// Starts the real app with exactly the settings of local.settings.sample.json (storage pointed at Azurite) and checks
/// that every container, queue and table it declares, every queue its functions read, and every BlobCreated route is
/// declared in the Bicep. Starting also proves the sample is complete (options validate on start) and that the local
/// host can dispatch every function of the app (its index refuses to start otherwise).
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
    /// The app's identity holds exactly the storage roles the code and the Functions host use, and no more: its blob data
    /// role only on the containers it uses (the code's, the host's and the Durable task hub's, never the deployment
    /// package's), the delegation-key role on its account (every SAS is a user-delegation SAS), queue and table data on its
    /// account, and Key Vault Secrets User exactly when app settings are Key Vault references; nothing else anywhere.
    /// </summary>
    [Fact]
    public void AppIdentity_Roles_AreExactlyThoseTheCodeAndHostUse()
    {
        var templates = InfraTemplates.Load();
        var declared = _app.Services.GetServices<StorageResource>().Distinct().ToList();
        var queueTriggers = _app.Services.GetRequiredService<FunctionIndex>().OfKind(LocalFunctionKind.Queue).Any();
        var needed = new SortedSet<string>(StringComparer.Ordinal)
        {
            // User-delegation keys (blobServices/generateUserDelegationKey) sign every SAS; it grants no data access.
            BuiltInRoles.BlobDelegator,
        };
        if (queueTriggers || declared.Any(r => r.Kind == StorageResourceKind.Queue))
        {
            needed.Add(BuiltInRoles.QueueDataContributor);
        }

        if (declared.Any(r => r.Kind == StorageResourceKind.Table))
        {
            needed.Add(BuiltInRoles.TableDataContributor);
        }

        // The host's identity-based AzureWebJobsStorage (keys, timer locks, leases) needs Blob Data Owner on its containers;
        // the app's own and the Durable task hub's (leases, large messages, the app lease) get the same, each on its own.
        var hub = JsonDocument.Parse(RepoFiles.ReadText("host.json")).RootElement.GetProperty("extensions").GetProperty("durableTask").GetProperty("hubName").GetString()!.ToLowerInvariant();
        var containers = declared.Where(r => r.Kind == StorageResourceKind.Container).Select(r => r.Name)
            .Concat(["azure-webjobs-hosts", "azure-webjobs-secrets", hub + "-leases", hub + "-largemessages", hub + "-applease"])
            .ToHashSet(StringComparer.Ordinal);

        var app = templates.AppRoleAssignments.ToList();
        var onAccount = app.Where(a => a.ScopeType == "Microsoft.Storage/storageAccounts").Select(a => a.RoleDefinitionId).ToHashSet(StringComparer.Ordinal);
        var onContainers = app.Where(a => a.ScopeType == "Microsoft.Storage/storageAccounts/blobServices/containers").ToList();
        var onVault = app.Where(a => a.ScopeType == "Microsoft.KeyVault/vaults").Select(a => a.RoleDefinitionId).ToList();
        var keyVaultReferences = templates.SiteSettings.Values.Any(v => (InfraTemplates.Text(v) ?? string.Empty).StartsWith("@Microsoft.KeyVault(", StringComparison.Ordinal));

        Assert.True(needed.SetEquals(onAccount), $"App identity's storage roles on its account: needed {BuiltInRoles.Describe(needed)}, assigned {BuiltInRoles.Describe(onAccount)}.");
        Assert.All(onContainers, a => Assert.Equal(BuiltInRoles.BlobDataOwner, a.RoleDefinitionId));
        Assert.Equal(containers.Order(StringComparer.Ordinal), onContainers.Select(a => a.ScopeName).Order(StringComparer.Ordinal));
        Assert.All(containers, c => Assert.Contains(c, templates.Containers));
        Assert.Equal(keyVaultReferences ? [BuiltInRoles.KeyVaultSecretsUser] : [], onVault);
        Assert.All(app, a => Assert.False(a.Conditional, $"{a.RoleDefinitionId} is assigned only under a condition"));
        Assert.Equal(onAccount.Count + onContainers.Count + onVault.Count, app.Count);
        Assert.All(app.Where(a => a.ScopeType.StartsWith("Microsoft.Storage/", StringComparison.Ordinal)), a => Assert.Contains(ModuleOutput(templates.StorageAccount.Deployment), a.Scope, StringComparison.Ordinal));
    }

    /// <summary>
    /// The deployment package's container is the deployment identity's alone: the identity Flex Consumption reads the package
    /// with (functionAppConfig.deployment) is a user-assigned one, with blob data on that container only, and no role of the
    /// app's own identity reaches it.
    /// </summary>
    [Fact]
    public void DeploymentPackage_ContainerReadWithItsOwnIdentity_TheAppsIdentityHasNoRoleOnIt()
    {
        var templates = InfraTemplates.Load();
        var storage = templates.FunctionApp.Properties!["functionAppConfig"]!["deployment"]!["storage"]!;
        var url = InfraTemplates.Text(storage["value"])!; // «the blob endpoint»deployments
        var container = url[(url.LastIndexOf('»') + 1)..].Trim('/');
        var authentication = storage["authentication"]!;
        var onPackage = templates.RoleAssignments.Where(a => a.ScopeType == "Microsoft.Storage/storageAccounts/blobServices/containers" && a.ScopeName == container).ToList();

        Assert.Equal("deployments", container);
        Assert.Equal("UserAssignedIdentity", InfraTemplates.Text(authentication["type"]));
        Assert.Contains("Microsoft.ManagedIdentity/userAssignedIdentities", ArmExpression.Render(authentication["userAssignedIdentityResourceId"]!), StringComparison.Ordinal);
        var assignment = Assert.Single(onPackage);
        Assert.Equal(BuiltInRoles.BlobDataContributor, assignment.RoleDefinitionId);
        Assert.DoesNotContain(assignment, templates.AppRoleAssignments);
        Assert.DoesNotContain(templates.AppRoleAssignments, a => a.ScopeType == "Microsoft.Storage/storageAccounts" && a.RoleDefinitionId is BuiltInRoles.BlobDataOwner or BuiltInRoles.BlobDataContributor);
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
