using System.Text.Json;
using System.Xml.Linq;

namespace Serverless.IntegrationTests.Infra;

/// <summary>host.json is what the Functions v4 host needs to run this app as a custom handler.</summary>
public sealed class HostJsonTests
{
    private static readonly JsonElement Host = JsonDocument.Parse(RepoFiles.ReadText("host.json")).RootElement;

    [Fact]
    public void HostJson_Version_Is2()
    {
        Assert.Equal("2.0", Host.GetProperty("version").GetString());
    }

    [Fact]
    public void HostJson_CustomHandler_StartsThePublishedExecutableAndProxiesHttp()
    {
        var handler = Host.GetProperty("customHandler");
        var project = XDocument.Load(RepoFiles.Path("functions", "Serverless.Functions.csproj"));
        var assemblyName = project.Descendants("AssemblyName").Single().Value;

        Assert.Equal(assemblyName, handler.GetProperty("description").GetProperty("defaultExecutablePath").GetString());
        Assert.True(handler.GetProperty("enableProxyingHttpRequest").GetBoolean());
    }

    [Fact]
    public void HostJson_ExtensionBundle_IsV4Range()
    {
        var bundle = Host.GetProperty("extensionBundle");

        Assert.Equal("Microsoft.Azure.Functions.ExtensionBundle", bundle.GetProperty("id").GetString());
        Assert.Equal("[4.*, 5.0.0)", bundle.GetProperty("version").GetString());
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
