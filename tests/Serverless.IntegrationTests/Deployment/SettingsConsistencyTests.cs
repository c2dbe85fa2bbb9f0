using Serverless.IntegrationTests.Infrastructure;
namespace Serverless.IntegrationTests.Deployment;

/// <summary>Every setting the code binds is in local.settings.sample.json and in the Bicep app settings.</summary>
public sealed class SettingsConsistencyTests
{
    [Fact]
    public void Discovery_OptionsClasses_FindsKnownSettings()
    {
        var names = AppSettingsDiscovery.All().Select(s => s.Name).ToList();

        // Guards the discovery itself: a few settings that exist today must be found (from three kinds of source).
        Assert.Contains("AzureWebJobsStorage", names);
        Assert.Contains("Storage__MaxRetries", names);
        Assert.Contains("Identity__OperatorKeys", names);
        Assert.Contains("LocalRuntime__Concurrency", names);
        Assert.DoesNotContain("Storage__ConnectionString", names);
        Assert.DoesNotContain("FUNCTIONS_CUSTOMHANDLER_PORT", names);
        Assert.DoesNotContain("LocalRuntime__Concurrency", AppSettingsDiscovery.Deployed().Select(s => s.Name));
    }


    [Fact]
    public void SampleSettings_EverySettingTheCodeBinds_IsListed()
    {
        var sample = RepoFiles.SampleSettings().Keys.ToList();

        var missing = AppSettingsDiscovery.All().Where(s => !s.IsSatisfiedBy(sample)).Select(s => $"{s.Name} ({s.Source})").ToList();

        Assert.True(missing.Count == 0, "local.settings.sample.json Values lacks: " + string.Join(", ", missing));
    }

    [Theory]
    [MemberData(nameof(Environments))]
    public void BicepAppSettings_EverySettingTheCodeBinds_IsSet(string environment)
    {
        var bicep = InfraTemplates.Load(environment).AllSettingNames;

        var missing = AppSettingsDiscovery.Deployed()
            .Where(s => !s.IsSatisfiedBy(bicep) && !(AppSettingsDiscovery.IdentityConnections.Contains(s.Name) && AppSettingsDiscovery.IsIdentityConnectionSet(s.Name, bicep)))
            .Select(s => $"{s.Name} ({s.Source})")
            .ToList();

        Assert.True(missing.Count == 0, $"The function app's app settings ({environment}: main.bicep appSettings, modules/appsettings.bicep platformSettings) lack: " + string.Join(", ", missing));
    }

    [Fact]
    public void BicepAppSettings_HostAndAppStorage_IsAnIdentityConnectionWithNoKey()
    {
        var templates = InfraTemplates.Load();
        var settings = templates.SiteSettings;
        string[] keyed = ["AzureWebJobsStorage", "WEBSITE_CONTENTAZUREFILECONNECTIONSTRING", "WEBSITE_CONTENTSHARE", "WEBSITE_RUN_FROM_PACKAGE"];

        // The account's own endpoints, as its cloud names them (no public-cloud suffix assumed: no __accountName), and no
        // value carries a key.
        foreach (var service in new[] { "blob", "queue", "table" })
        {
            var expression = ArmUnknown.ExpressionOf(settings[$"AzureWebJobsStorage__{service}ServiceUri"]);
            Assert.Contains("'storage'", expression, StringComparison.Ordinal);
            Assert.Contains($"outputs.{service}Endpoint.value", expression, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("AzureWebJobsStorage__accountName", settings.Keys);
        Assert.All(keyed, k => Assert.DoesNotContain(k, settings.Keys));
        Assert.Empty(settings.Where(s => (InfraTemplates.Text(s.Value) ?? string.Empty).Contains("AccountKey=", StringComparison.OrdinalIgnoreCase)).Select(s => s.Key));
        Assert.Equal("UseDevelopmentStorage=true", RepoFiles.SampleSettings()["AzureWebJobsStorage"]);
    }

    [Fact]
    public void BicepAppSettings_AppAndPlatformSettings_DoNotOverlap()
    {
        var templates = InfraTemplates.Load();

        var both = templates.AppSettings.Keys.Intersect(templates.PlatformSettings.Keys, StringComparer.OrdinalIgnoreCase).ToList();

        Assert.True(both.Count == 0, "Set in both main.bicep appSettings and modules/appsettings.bicep platformSettings: " + string.Join(", ", both));
    }

    [Fact]
    public void BicepAppSettings_RuntimeSettings_AreThoseOfTheIsolatedWorkerOnFunctionsV4()
    {
        var templates = InfraTemplates.Load();
        var runtime = templates.FunctionApp.Properties!["functionAppConfig"]!["runtime"];

        // On Flex Consumption the runtime is functionAppConfig.runtime, not the FUNCTIONS_WORKER_RUNTIME app setting, and
        // the platform sets FUNCTIONS_EXTENSION_VERSION itself (Flex runs only Functions 4.x): both settings are refused
        // (learn.microsoft.com/azure/azure-functions/functions-app-settings#flex-consumption-plan-deprecations).
        Assert.Equal("dotnet-isolated", InfraTemplates.Text(runtime?["name"]));
        Assert.Equal("10.0", InfraTemplates.Text(runtime?["version"]));
        Assert.Equal("FlexConsumption", InfraTemplates.Text(templates.Plan.Resource["sku"]?["tier"]));
        Assert.DoesNotContain("FUNCTIONS_WORKER_RUNTIME", templates.AllSettingNames);
        Assert.DoesNotContain("FUNCTIONS_EXTENSION_VERSION", templates.AllSettingNames);
        Assert.Equal("dotnet-isolated", RepoFiles.SampleSettings()["FUNCTIONS_WORKER_RUNTIME"]);
    }

    [Theory]
    [MemberData(nameof(Environments))]
    public void BicepAppSettings_LocalHostSettings_AreNotDeployed(string environment)
    {
        var bicep = InfraTemplates.Load(environment).AllSettingNames;

        Assert.DoesNotContain(bicep, name => name.StartsWith("LocalRuntime__", StringComparison.OrdinalIgnoreCase));
    }

    [Theory]
    [MemberData(nameof(Environments))]
    public void BicepAppSettings_DevelopmentSignInAndDemoPage_AreOff(string environment)
    {
        var settings = InfraTemplates.Load(environment).SiteSettings;

        Assert.Equal("false", InfraTemplates.Text(settings["Identity__AllowDevelopmentSignIn"]));
        Assert.Equal("false", InfraTemplates.Text(settings["Web__DemoPage"]));
    }

    [Theory]
    [MemberData(nameof(Environments))]
    public void BicepAppSettings_SecretLookingSettings_AreKeyVaultReferences(string environment)
    {
        var settings = InfraTemplates.Load(environment).SiteSettings;
        string[] secretWords = ["Secret", "Key", "Password", "Token"];

        var plain = settings
            .Where(s => secretWords.Any(w => s.Key.Split("__").Last().Contains(w, StringComparison.OrdinalIgnoreCase)))
            .Where(s => !(InfraTemplates.Text(s.Value) ?? string.Empty).StartsWith("@Microsoft.KeyVault(", StringComparison.Ordinal))
            .Where(s => !IsNonSecretValue(s.Value))
            .Select(s => s.Key)
            .ToList();

        Assert.True(plain.Count == 0, "Secrets belong in Key Vault (app setting '@Microsoft.KeyVault(VaultName=…;SecretName=…)'): " + string.Join(", ", plain));
    }

    public static TheoryData<string> Environments() => [.. CompiledInfra.Environments()];

    /// <summary>Numbers, booleans and durations (e.g. a key's lifetime) are not secrets.</summary>
    private static bool IsNonSecretValue(System.Text.Json.Nodes.JsonNode? value) =>
        InfraTemplates.Text(value) is { } text && !text.Contains('«', StringComparison.Ordinal)
        && (bool.TryParse(text, out _)
            || double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out _)
            || TimeSpan.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out _));
}
