using System.Text.Json;
using Serverless.IntegrationTests.Infrastructure;

namespace Serverless.IntegrationTests.Deployment;

/// <summary>host.json is what the Functions v4 host needs to run this app on the isolated worker with Durable Functions.</summary>
public sealed class HostJsonTests
{
    private static readonly JsonElement Host = JsonDocument.Parse(RepoFiles.ReadText("host.json")).RootElement;

    [Fact]
    public void HostJson_Version_Is2()
    {
        Assert.Equal("2.0", Host.GetProperty("version").GetString());
    }

    [Fact]
    public void HostJson_IsolatedWorker_HasNoCustomHandlerAndNoBundle()
    {
        // The worker SDK builds the host-side extensions the functions use (extensions.json, .azurefunctions/); a bundle
        // would be ignored at best, and a customHandler section would make the host start the app as a custom handler.
        Assert.False(Host.TryGetProperty("customHandler", out _));
        Assert.False(Host.TryGetProperty("extensionBundle", out _));
    }

    [Fact]
    public void HostJson_DurableTask_NamesItsHubAndAzureStorageSettings()
    {
        var durable = Host.GetProperty("extensions").GetProperty("durableTask");

        Assert.False(string.IsNullOrWhiteSpace(durable.GetProperty("hubName").GetString()));
        var provider = durable.GetProperty("storageProvider");
        Assert.InRange(provider.GetProperty("partitionCount").GetInt32(), 1, 16);
        Assert.True(provider.TryGetProperty("controlQueueVisibilityTimeout", out _));
        Assert.True(provider.TryGetProperty("workItemQueueVisibilityTimeout", out _));
    }

    [Fact]
    public void HostJson_RoutePrefix_IsApi()
    {
        Assert.Equal("api", Host.GetProperty("extensions").GetProperty("http").GetProperty("routePrefix").GetString());
    }

    [Fact]
    public void HostJson_FunctionTimeout_FitsTheFlexConsumptionScaleInGrace()
    {
        // Flex Consumption enforces no maximum, but an execution gets 60 minutes of grace when its instance is scaled in
        // (learn.microsoft.com/azure/azure-functions/functions-scale#timeout); Consumption would cap at 10.
        var timeout = TimeSpan.Parse(Host.GetProperty("functionTimeout").GetString()!, System.Globalization.CultureInfo.InvariantCulture);

        Assert.InRange(timeout, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(60));
        Assert.Equal("FlexConsumption", InfraTemplates.Text(InfraTemplates.Load().Plan.Resource["sku"]?["tier"]));
    }

    [Fact]
    public void HostJson_Queues_HaveAPositiveMaxDequeueCount()
    {
        var queues = Host.GetProperty("extensions").GetProperty("queues");

        Assert.InRange(queues.GetProperty("maxDequeueCount").GetInt32(), 1, 100);
        Assert.Equal("base64", queues.GetProperty("messageEncoding").GetString());
    }
}
