namespace Serverless.IntegrationTests.Infra;

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
    }

    [Fact]
    public void SampleSettings_EverySettingTheCodeBinds_IsListed()
    {
        var sample = RepoFiles.SampleSettings().Keys.ToList();

        var missing = AppSettingsDiscovery.All().Where(s => !s.IsSatisfiedBy(sample)).Select(s => $"{s.Name} ({s.Source})").ToList();

        Assert.True(missing.Count == 0, "local.settings.sample.json Values lacks: " + string.Join(", ", missing));
    }

    [Fact]
    public void BicepAppSettings_EverySettingTheCodeBinds_IsSet()
    {
        var bicep = InfraTemplates.Load().AllSettingNames;

        var missing = AppSettingsDiscovery.All().Where(s => !s.IsSatisfiedBy(bicep)).Select(s => $"{s.Name} ({s.Source})").ToList();

        Assert.True(missing.Count == 0, "infra/main.bicep appSettings (or modules/appsettings.bicep platformSettings) lacks: " + string.Join(", ", missing));
    }

    [Fact]
    public void BicepAppSettings_AppAndPlatformSettings_DoNotOverlap()
    {
        var templates = InfraTemplates.Load();

        var both = templates.AppSettings.Keys.Intersect(templates.PlatformSettings.Keys, StringComparer.OrdinalIgnoreCase).ToList();

        Assert.True(both.Count == 0, "Set in both main.bicep appSettings and modules/appsettings.bicep platformSettings: " + string.Join(", ", both));
    }

    [Fact]
    public void BicepAppSettings_RuntimeSettings_AreThoseOfACustomHandlerOnFunctionsV4()
    {
        var platform = InfraTemplates.Load().PlatformSettings;

        Assert.Equal(new BicepString("custom"), platform["FUNCTIONS_WORKER_RUNTIME"]);
        Assert.Equal(new BicepString("~4"), platform["FUNCTIONS_EXTENSION_VERSION"]);
        Assert.Equal("custom", RepoFiles.SampleSettings()["FUNCTIONS_WORKER_RUNTIME"]);
    }

    [Fact]
    public void BicepAppSettings_DevelopmentSignInAndLocalRuntime_AreOff()
    {
        var app = InfraTemplates.Load().AppSettings;

        Assert.Equal(new BicepString("false"), app["Identity__AllowDevelopmentSignIn"]);
        Assert.Equal(new BicepString("false"), app["LocalRuntime__Enabled"]);
    }

    [Fact]
    public void BicepAppSettings_SecretLookingSettings_AreKeyVaultReferences()
    {
        var app = InfraTemplates.Load().AppSettings;
        string[] secretWords = ["Secret", "Key", "Password", "Token"];

        var plain = app
            .Where(s => secretWords.Any(w => s.Key.Split("__").Last().Contains(w, StringComparison.OrdinalIgnoreCase)))
            .Where(s => s.Value is not BicepString text || !text.Text.StartsWith("@Microsoft.KeyVault(", StringComparison.Ordinal))
            .Where(s => !IsNonSecretValue(s.Value))
            .Select(s => s.Key)
            .ToList();

        Assert.True(plain.Count == 0, "Secrets belong in Key Vault (app setting '@Microsoft.KeyVault(VaultName=…;SecretName=…)'): " + string.Join(", ", plain));
    }

    /// <summary>Numbers, booleans and durations (e.g. a key's lifetime) are not secrets.</summary>
    private static bool IsNonSecretValue(BicepValue value) =>
        value is BicepString { IsInterpolated: false } s
        && (bool.TryParse(s.Text, out _)
            || double.TryParse(s.Text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out _)
            || TimeSpan.TryParse(s.Text, System.Globalization.CultureInfo.InvariantCulture, out _));
}
