using Serverless.IntegrationTests.Infrastructure;

namespace Serverless.IntegrationTests.Identity;

/// <summary>
/// local.settings.sample.json publishes working development secrets; outside Development the app must refuse every one of
/// them, as it refuses the published signing keys, and it must not take WeChat pushes whose body no signature covers.
/// </summary>
public sealed class PublishedSecretsTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>
{
    [Fact]
    public async Task Start_OutsideDevelopment_PublishedSampleSecretsOrPlainPushes_RefusesToStartNamingEach()
    {
        var settings = new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["LocalRuntime:Enabled"] = "false",
            ["Identity:AllowDevelopmentSignIn"] = "false",
            ["Identity:OperatorKeys"] = "local-operator-key",
            ["WeChat:AppId"] = "wxapp",
            ["WeChat:AppSecret"] = "secret",
            ["Review:Enabled"] = "true",
            ["Review:PushToken"] = "local-push-token",
            ["Review:EncodingAesKey"] = string.Empty,
            ["Playback:SigningKey"] = FunctionsAppFactory.PlaybackSigningKey,
            ["Playback:PreviousSigningKey"] = DevelopmentKeys.PlaybackSigningKey,
        };

        InvalidOperationException? error = null;
        try
        {
            await using var started = await AppProcess.StartAsync(azurite.ConnectionString, settings);
        }
        catch (InvalidOperationException refused)
        {
            error = refused;
        }

        Assert.NotNull(error);
        Assert.Contains("Identity__OperatorKeys", error.Message, StringComparison.Ordinal);
        Assert.Contains("Review__PushToken", error.Message, StringComparison.Ordinal);
        Assert.Contains("Playback__PreviousSigningKey", error.Message, StringComparison.Ordinal);
        Assert.Contains("Review__EncodingAesKey", error.Message, StringComparison.Ordinal);
    }
}
