using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Configuration;
using Serverless.Functions;
using Serverless.LocalHost.Functions;
using Serverless.LocalHost.Runtime;
using Serverless.IntegrationTests.Infrastructure;

namespace Serverless.IntegrationTests.Runtime;

/// <summary>
/// The local host is never more lenient than the Functions host: what the real host refuses (a Durable setting its
/// extension rejects, a route it reserves, a binding expression it cannot resolve) stops the local host too. Each case here
/// was let through by the local host while the real host refused it (issue 28).
/// </summary>
public sealed class LocalHostStrictnessTests
{
    private static readonly string HostJsonPath = RepoFiles.Path("host.json");

    [Theory]
    [InlineData("storageProvider:controlQueueVisibilityTimeout", "00:00:30", "controlQueueVisibilityTimeout")]
    [InlineData("storageProvider:controlQueueVisibilityTimeout", "02:00:00", "controlQueueVisibilityTimeout")]
    [InlineData("storageProvider:partitionCount", "17", "partitionCount")]
    [InlineData("storageProvider:maxQueuePollingInterval", "00:00:00", "maxQueuePollingInterval")]
    public void DurableSettings_ValueTheExtensionRefuses_StopsTheLocalHostNamingIt(string key, string value, string named)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            [DurableHubSettings.OverridePrefix + key] = value,
        }).Build();

        var error = Assert.Throws<InvalidOperationException>(() => DurableHubSettings.Read(HostJsonPath, configuration));

        Assert.Contains(named, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DurableSettings_HubNameAsAppSettingExpression_ResolvesLikeTheExtension()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            [DurableHubSettings.OverridePrefix + "hubName"] = "%Durable:Hub%",
            ["Durable:Hub"] = "OtherHub7",
        }).Build();

        Assert.Equal("OtherHub7", DurableHubSettings.Read(HostJsonPath, configuration).HubName);
    }

    [Theory]
    [InlineData(nameof(ReservedRoutes.AdminRoute), "admin/videos")]
    [InlineData(nameof(ReservedRoutes.AdministrationRoute), "administration")]
    [InlineData(nameof(ReservedRoutes.RuntimeRoute), "runtime/status")]
    public void Routes_TheHostReserves_AreRefused(string method, string route)
    {
        var problems = FunctionIndex.RouteProblems([Describe(method)]).ToList();

        Assert.Contains(problems, p => p.Contains($"'{route}'", StringComparison.Ordinal) && p.Contains("built-in routes", StringComparison.Ordinal));
    }

    [Fact]
    public void Routes_SameRouteWithAMethodInCommon_Conflict_OtherMethodsDoNot()
    {
        var conflict = FunctionIndex.RouteProblems([Describe(nameof(ReservedRoutes.GetThing)), Describe(nameof(ReservedRoutes.GetOrPutThing))]).ToList();
        var fine = FunctionIndex.RouteProblems([Describe(nameof(ReservedRoutes.GetThing)), Describe(nameof(ReservedRoutes.PostThing)), Describe(nameof(ReservedRoutes.OperatorRoute))]).ToList();

        Assert.Single(conflict);
        Assert.Empty(fine);
    }

    [Fact]
    public void TheApp_DeclaresNoRouteTheHostReserves()
    {
        Assert.Empty(FunctionIndex.RouteProblems([.. new FunctionIndex().OfKind(LocalFunctionKind.Http)]));
    }

    [Fact]
    public void BindingExpression_ResolvesTheConfigurationKeyAsWritten_AndNothingElse()
    {
        // As app settings (environment variables) reach configuration: Pipeline__SweepSchedule is the key Pipeline:SweepSchedule.
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Pipeline:SweepSchedule"] = "0 */1 * * * *",
        }).Build();

        Assert.Equal("0 */1 * * * *", HostJson.Resolve("%Pipeline:SweepSchedule%", configuration, "SweepPipelines"));
        var error = Assert.Throws<InvalidOperationException>(() => HostJson.Resolve("%Pipeline__SweepSchedule%", configuration, "SweepPipelines"));
        Assert.Contains("does not resolve", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BindingSettings_Missing_StopTheAppNamingThem()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            [BindingSettings.SweepSchedule] = "0 */1 * * * *",
        }).Build();

        var error = Assert.Throws<InvalidOperationException>(() => BindingSettings.Validate(configuration));

        Assert.Contains("Pipeline__UploadQueue", error.Message, StringComparison.Ordinal);
        Assert.Contains("Recommendations__RetrainSchedule", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Pipeline__SweepSchedule", error.Message, StringComparison.Ordinal);
    }

    private static LocalFunction Describe(string method)
    {
        var info = typeof(ReservedRoutes).GetMethod(method)!;
        var problems = new List<string>();
        var function = FunctionIndex.Describe(method, info, problems);
        Assert.Empty(problems);
        return function!;
    }

    /// <summary>HTTP functions with the routes under test (never indexed by the app: they live in the test assembly).</summary>
    private static class ReservedRoutes
    {
        public static IResult AdminRoute([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "admin/videos")] HttpRequest req) => Results.Ok();

        public static IResult AdministrationRoute([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "administration")] HttpRequest req) => Results.Ok();

        public static IResult RuntimeRoute([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "/runtime/status")] HttpRequest req) => Results.Ok();

        public static IResult OperatorRoute([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "operator/videos")] HttpRequest req) => Results.Ok();

        public static IResult GetThing([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "things/{id}")] HttpRequest req, string id) => Results.Ok();

        public static IResult GetOrPutThing([HttpTrigger(AuthorizationLevel.Anonymous, "get", "put", Route = "Things/{id}/")] HttpRequest req, string id) => Results.Ok();

        public static IResult PostThing([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "things/{id}")] HttpRequest req, string id) => Results.Ok();
    }
}
