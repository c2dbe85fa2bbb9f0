using DurableTask.AzureStorage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Serverless.Functions;
using Serverless.LocalHost.Durable;
using Serverless.IntegrationTests.Infrastructure;

namespace Serverless.IntegrationTests.Runtime;

/// <summary>The local runtime's Durable provider settings are host.json's (what Durable Functions reads in Azure), field by field.</summary>
public sealed class DurableHubSettingsTests
{
    private static readonly string HostJson = RepoFiles.Path("host.json");

    [Fact]
    public void Read_RepositoryHostJson_TakesEverySettingFromItsDurableTaskSection()
    {
        var settings = DurableHubSettings.Read(HostJson, new ConfigurationBuilder().Build());

        using var document = System.Text.Json.JsonDocument.Parse(File.ReadAllText(HostJson));
        var durable = document.RootElement.GetProperty("extensions").GetProperty("durableTask");
        var provider = durable.GetProperty("storageProvider");
        Assert.Equal(durable.GetProperty("hubName").GetString(), settings.HubName);
        Assert.Equal(provider.GetProperty("partitionCount").GetInt32(), settings.PartitionCount);
        Assert.Equal(Span(provider, "controlQueueVisibilityTimeout"), settings.ControlQueueVisibilityTimeout);
        Assert.Equal(Span(provider, "workItemQueueVisibilityTimeout"), settings.WorkItemQueueVisibilityTimeout);
        Assert.Equal(Span(provider, "maxQueuePollingInterval"), settings.MaxQueuePollingInterval);
    }

    [Fact]
    public void CreateSettings_FromHostJson_ReachTheProviderAndGiveEachProcessItsOwnWorkerId()
    {
        var hub = DurableHubSettings.Read(HostJson, new ConfigurationBuilder().Build());
        var storage = new StorageAccountClientProvider("UseDevelopmentStorage=true");

        var a = DurableTaskRuntime.CreateSettings(hub, storage, NullLoggerFactory.Instance);
        var b = DurableTaskRuntime.CreateSettings(hub, storage, NullLoggerFactory.Instance);

        Assert.Equal(
            (hub.HubName, hub.PartitionCount, hub.ControlQueueVisibilityTimeout, hub.WorkItemQueueVisibilityTimeout, hub.MaxQueuePollingInterval, true),
            (a.TaskHubName, a.PartitionCount, a.ControlQueueVisibilityTimeout, a.WorkItemQueueVisibilityTimeout, a.MaxQueuePollingInterval, a.ThrowExceptionOnInvalidDedupeStatus));
        Assert.NotEqual(a.WorkerId, b.WorkerId);
    }

    [Fact]
    public void Read_AppSettingOverride_WinsOverHostJsonAsUnderTheFunctionsHost()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["AzureFunctionsJobHost:extensions:durableTask:hubName"] = "OtherHub",
            ["AzureFunctionsJobHost:extensions:durableTask:storageProvider:workItemQueueVisibilityTimeout"] = "00:00:10",
        }).Build();

        var settings = DurableHubSettings.Read(HostJson, configuration);

        Assert.Equal(("OtherHub", TimeSpan.FromSeconds(10)), (settings.HubName, settings.WorkItemQueueVisibilityTimeout));
    }

    [Theory]
    [InlineData("ab")]
    [InlineData("9lives")]
    [InlineData("has-dash")]
    public void Read_BadHubName_FailsNamingTheSetting(string name)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["AzureFunctionsJobHost:extensions:durableTask:hubName"] = name,
        }).Build();

        var error = Assert.Throws<InvalidOperationException>(() => DurableHubSettings.Read(HostJson, configuration));
        Assert.Contains("hubName", error.Message, StringComparison.Ordinal);
    }

    private static TimeSpan Span(System.Text.Json.JsonElement element, string name) =>
        TimeSpan.Parse(element.GetProperty(name).GetString()!, System.Globalization.CultureInfo.InvariantCulture);
}
