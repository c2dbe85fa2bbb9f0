using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Serverless.IntegrationTests.Infrastructure;

namespace Serverless.IntegrationTests.Deployment;

/// <summary>
/// The templates as the Bicep compiler built them (<see cref="CompiledInfra"/>), evaluated per environment: they hang
/// together, they deploy nothing keyed, and the evaluator the other Infra tests read them with works.
/// </summary>
public sealed partial class BicepTemplateTests
{
    /// <summary>
    /// The cloud operated by 21Vianet (where an ICP-filed mini-program backend is hosted) names its services differently
    /// (core.chinacloudapi.cn, chinacloudsites.cn, vault.azure.cn, login.chinacloudapi.cn): no template names a public-cloud
    /// host; endpoints come from the resources themselves or environment().
    /// </summary>
    [Fact]
    public void Templates_NameNoPublicCloudHost()
    {
        var publicCloud = new Regex(@"core\.windows\.net|azurewebsites\.net|vault\.azure\.net|login\.microsoftonline\.com|management\.azure\.com|azureedge\.net|azurefd\.net|applicationinsights\.azure\.com");
        var found = Directory.EnumerateFiles(RepoFiles.Path("infra"), "*.bicep*", SearchOption.AllDirectories)
            .SelectMany(file => File.ReadLines(file).Select((line, i) => (File: System.IO.Path.GetFileName(file), Line: i + 1, Text: line.Trim())))
            .Where(l => !l.Text.StartsWith("//", StringComparison.Ordinal) && !l.Text.StartsWith("@description", StringComparison.Ordinal))
            .Where(l => publicCloud.IsMatch(l.Text.Split(" //")[0]))
            .Select(l => $"{l.File}:{l.Line}: {l.Text}")
            .ToList();

        Assert.True(found.Count == 0, "Public-cloud hosts in the templates:\n" + string.Join("\n", found));
    }

    [Theory]
    [InlineData("dev")]
    [InlineData("prod")]
    public void ParameterFile_CompiledForMain_SetsOnlyDeclaredParameters(string environment)
    {
        var declared = CompiledInfra.Template()["parameters"]!.AsObject();
        var set = CompiledInfra.Parameters(environment)["parameters"]!.AsObject();

        var unknown = set.Select(p => p.Key).Where(p => !declared.ContainsKey(p)).ToList();
        var missing = declared.Where(p => p.Value!["defaultValue"] is null && !set.ContainsKey(p.Key)).Select(p => p.Key).ToList();

        Assert.Contains($"main.{environment}.bicepparam", CompiledInfra.Environments().Select(e => $"main.{e}.bicepparam"));
        Assert.Equal(environment, InfraTemplates.Text(set["environmentName"]?["value"]));
        Assert.True(unknown.Count == 0, $"main.{environment}.bicepparam sets parameters main.bicep does not declare: {string.Join(", ", unknown)}");
        Assert.True(missing.Count == 0, $"main.{environment}.bicepparam leaves required parameters unset: {string.Join(", ", missing)}");
    }

    [Fact]
    public void Modules_EveryParameterPassed_IsDeclaredAndEveryRequiredOneIsPassed()
    {
        var deployment = InfraTemplates.Load().Deployment;
        var problems = new List<string>();
        foreach (var module in deployment.OfType("Microsoft.Resources/deployments"))
        {
            var properties = module.Declaration["properties"]!;
            var declared = properties["template"]!["parameters"]?.AsObject() ?? [];
            var passed = properties["parameters"]?.AsObject() ?? [];
            problems.AddRange(passed.Where(p => !declared.ContainsKey(p.Key)).Select(p => $"module '{module.Name}' is passed '{p.Key}', which it does not declare"));
            problems.AddRange(declared.Where(p => p.Value!["defaultValue"] is null && !passed.ContainsKey(p.Key)).Select(p => $"module '{module.Name}' needs '{p.Key}'"));
        }

        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }

    [Fact]
    public void Resources_UseGaApiVersions()
    {
        var preview = InfraTemplates.Load().Deployment.Resources.Select(r => $"{r.Type}@{r.Resource["apiVersion"]}")
            .Concat(PreviewApiVersion().Matches(CompiledInfra.TemplateText).Select(m => m.Value))
            .Where(t => t.Contains("-preview", StringComparison.OrdinalIgnoreCase))
            .Distinct()
            .ToList();

        Assert.True(preview.Count == 0, "Preview API versions: " + string.Join(", ", preview));
    }

    [Theory]
    [InlineData("dev")]
    [InlineData("prod")]
    public void StorageAccount_IsPrivateAndTls12(string environment)
    {
        var templates = InfraTemplates.Load(environment);
        var account = templates.StorageAccount.Properties!;

        Assert.Equal("TLS1_2", InfraTemplates.Text(account["minimumTlsVersion"]));
        Assert.False(account["allowBlobPublicAccess"]!.GetValue<bool>());
        Assert.True(account["supportsHttpsTrafficOnly"]!.GetValue<bool>());
        Assert.All(templates.Deployment.OfType("Microsoft.Storage/storageAccounts/blobServices/containers"), c => Assert.Equal("None", InfraTemplates.Text(c.Properties?["publicAccess"])));
    }

    [Fact]
    public void StorageAccount_SharedKey_IsOffInEveryEnvironmentAndNotAParameter()
    {
        var declaration = InfraTemplates.Load().StorageAccount.Declaration["properties"]!;
        var parameters = CompiledInfra.Template()["parameters"]!.AsObject().Select(p => p.Key).ToList();

        // A literal false in the template, not an expression a parameter could turn back on.
        Assert.Equal("false", declaration["allowSharedKeyAccess"]!.ToJsonString());
        Assert.Equal("true", declaration["defaultToOAuthAuthentication"]!.ToJsonString());
        Assert.DoesNotContain(parameters, p => p.Contains("SharedKey", StringComparison.OrdinalIgnoreCase) || p.Contains("KeyIndex", StringComparison.OrdinalIgnoreCase));
        Assert.All(CompiledInfra.Environments(), e => Assert.False(InfraTemplates.Load(e).StorageAccount.Properties!["allowSharedKeyAccess"]!.GetValue<bool>()));
    }

    [Fact]
    public void CompiledTemplate_AccountKeysAndKeySas_AppearNowhere()
    {
        string[] keyed = ["listKeys", "listAccountSas", "listServiceSas", "AccountKey=", "SharedAccessSignature="];

        var found = keyed.Where(k => CompiledInfra.TemplateText.Contains(k, StringComparison.OrdinalIgnoreCase)).ToList();

        Assert.True(found.Count == 0, "The compiled template uses storage keys: " + string.Join(", ", found));
    }

    [Fact]
    public void StorageAccount_HasNoFileShare()
    {
        var shares = InfraTemplates.Load().Deployment.Resources
            .Where(r => r.Type.StartsWith("Microsoft.Storage/storageAccounts/fileServices", StringComparison.OrdinalIgnoreCase))
            .Select(r => r.Name)
            .ToList();

        // Azure Files is reached only with the account key (a content share would need one).
        Assert.True(shares.Count == 0, "File services or shares: " + string.Join(", ", shares));
    }

    [Theory]
    [InlineData("dev")]
    [InlineData("prod")]
    public void FunctionApp_OnFlexConsumption_RunsFromABlobContainerReadWithTheDeploymentIdentity(string environment)
    {
        var templates = InfraTemplates.Load(environment);
        var site = templates.FunctionApp;
        var storage = site.Properties!["functionAppConfig"]!["deployment"]!["storage"]!;
        var url = InfraTemplates.Text(storage["value"])!; // «the account's blob endpoint, https://….blob.…/»container
        var container = url[(url.LastIndexOfAny(['/', '»']) + 1)..];
        var scale = site.Properties!["functionAppConfig"]!["scaleAndConcurrency"]!;

        Assert.Equal("FC1", InfraTemplates.Text(templates.Plan.Resource["sku"]?["name"]));
        // The app's own identity (system-assigned) and the deployment's (user-assigned, the package container's alone).
        Assert.Equal("SystemAssigned, UserAssigned", InfraTemplates.Text(site.Resource["identity"]?["type"]));
        Assert.Equal("blobContainer", InfraTemplates.Text(storage["type"]));
        Assert.Equal("UserAssignedIdentity", InfraTemplates.Text(storage["authentication"]?["type"]));
        Assert.Contains("Microsoft.ManagedIdentity/userAssignedIdentities", ArmExpression.Render(storage["authentication"]!["userAssignedIdentityResourceId"]!), StringComparison.Ordinal);
        var attached = Assert.Single(site.Resource["identity"]!["userAssignedIdentities"]!.AsObject());
        Assert.Contains("Microsoft.ManagedIdentity/userAssignedIdentities", attached.Key, StringComparison.Ordinal);
        Assert.Contains(".primaryEndpoints.blob»", url, StringComparison.Ordinal);
        Assert.Contains(container, templates.Containers);
        Assert.Contains(scale["instanceMemoryMB"]!.GetValue<int>(), new[] { 2048, 4096 });
        Assert.True(site.Properties!["httpsOnly"]!.GetValue<bool>());
    }

    [Fact]
    public void FunctionApp_BasicPublishingCredentials_AreOff()
    {
        var policies = InfraTemplates.Load().Deployment.OfType("Microsoft.Web/sites/basicPublishingCredentialsPolicies").ToList();

        // Deployments authenticate with Microsoft Entra ID, not the site's publishing user name and password.
        Assert.Contains(policies, p => p.LastName == "scm");
        Assert.All(policies, p => Assert.False(p.Properties!["allow"]!.GetValue<bool>(), $"{p.Name} allows basic authentication"));
    }

    [Fact]
    public void EventGrid_Delivery_UsesTheTopicIdentityAllowedOnlyToSendToEachDestinationQueue()
    {
        var templates = InfraTemplates.Load();
        var topic = templates.Deployment.OfType("Microsoft.EventGrid/systemTopics").Single();
        var subscriptions = templates.Deployment.OfType("Microsoft.EventGrid/systemTopics/eventSubscriptions").ToList();
        var topicRoles = templates.RoleAssignments.Where(a => a.Principal.Contains("Microsoft.EventGrid/systemTopics", StringComparison.Ordinal)).ToList();

        Assert.Equal("SystemAssigned", InfraTemplates.Text(topic.Resource["identity"]?["type"]));
        Assert.NotEmpty(subscriptions);
        Assert.All(subscriptions, s =>
        {
            Assert.Null(s.Properties!["destination"]); // delivery with a key (no identity) would be here
            Assert.Equal("SystemAssigned", InfraTemplates.Text(s.Properties!["deliveryWithResourceIdentity"]?["identity"]?["type"]));
            Assert.Equal("StorageQueue", InfraTemplates.Text(s.Properties!["deliveryWithResourceIdentity"]?["destination"]?["endpointType"]));
            Assert.Equal(["Microsoft.Storage.BlobCreated"], s.Properties!["filter"]!["includedEventTypes"]!.AsArray().Select(t => t!.GetValue<string>()));
        });
        Assert.Equal(templates.BlobCreatedRoutes.Select(r => r.Queue).Order(StringComparer.Ordinal), topicRoles.Select(a => a.ScopeName).Order(StringComparer.Ordinal));
        Assert.All(topicRoles, a =>
        {
            Assert.Equal(BuiltInRoles.QueueDataMessageSender, a.RoleDefinitionId);
            Assert.Equal("Microsoft.Storage/storageAccounts/queueServices/queues", a.ScopeType);
        });
    }

    [Fact]
    public void Lists_ContainerQueueAndTableNames_AreValidStorageNames()
    {
        var templates = InfraTemplates.Load();

        Assert.All(templates.Containers, c => Assert.Matches("^(?!.*--)[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$", c));
        Assert.All(templates.Queues, q => Assert.True(FunctionBindingRules.IsValidQueueName(q), q));
        Assert.All(templates.Tables, t => Assert.Matches("^[A-Za-z][A-Za-z0-9]{2,62}$", t));
        Assert.Equal(templates.Containers.Count, templates.Containers.Distinct().Count());
        Assert.Equal(templates.Queues.Count, templates.Queues.Distinct().Count());
    }

    [Fact]
    public void Outputs_FunctionAppUrlAndStorageAccountName()
    {
        var outputs = CompiledInfra.Template()["outputs"]!.AsObject();

        Assert.Contains("functionAppUrl", outputs.Select(o => o.Key));
        Assert.Contains("storageAccountName", outputs.Select(o => o.Key));
    }

    [Fact]
    public void Evaluate_FlattenMapLambdaAndFormat_ComputesTheValue()
    {
        var value = ArmExpression.EvaluateString(
            "[flatten(map(createArray('a', 'b'), lambda('q', createArray(lambdaVariables('q'), format('{0}-poison', lambdaVariables('q'))))))]",
            new TestScope());

        Assert.Equal("""["a","a-poison","b","b-poison"]""", value!.ToJsonString());
    }

    [Fact]
    public void Evaluate_DeploymentTimeValue_StaysUnknownAndIsMarkedInStrings()
    {
        var scope = new TestScope();

        var unknown = ArmExpression.EvaluateString("[reference('storage').outputs.name.value]", scope);
        var partial = ArmExpression.EvaluateString("[format('kv-{0}', uniqueString(resourceGroup().id))]", scope);

        Assert.Equal("reference('storage').outputs.name.value", ArmUnknown.ExpressionOf(unknown));
        Assert.Equal("kv-«uniqueString(resourceGroup().id)»", InfraTemplates.Text(partial));
    }

    [Fact]
    public void Evaluate_EscapedBracketQuotesAndUnion_AreLiteralsAndMergedObjects()
    {
        var scope = new TestScope();

        Assert.Equal("[not an expression]", InfraTemplates.Text(ArmExpression.EvaluateString("[[not an expression]", scope)));
        Assert.Equal("it's", InfraTemplates.Text(ArmExpression.EvaluateString("['it''s']", scope)));
        Assert.Equal("""{"a":"1","b":"3"}""", ArmExpression.EvaluateString("[union(createObject('a', '1', 'b', '2'), createObject('b', '3'))]", scope)!.ToJsonString());
        Assert.Equal(
            "/subscriptions/«subscription»/providers/Microsoft.Authorization/roleDefinitions/r1",
            InfraTemplates.Text(ArmExpression.EvaluateString("[subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'r1')]", scope)));
    }

    [Fact]
    public void Expand_CopyLoopConditionAndModule_YieldEachResourceWithItsOwnValues()
    {
        var template = JsonNode.Parse("""
            {
              "parameters": { "names": { "type": "array" }, "skip": { "type": "bool", "defaultValue": false } },
              "variables": { "prefix": "x" },
              "resources": [
                { "type": "T/items", "apiVersion": "1", "name": "[format('{0}-{1}', variables('prefix'), parameters('names')[copyIndex()])]",
                  "copy": { "name": "items", "count": "[length(parameters('names'))]" } },
                { "type": "T/skipped", "apiVersion": "1", "name": "s", "condition": "[parameters('skip')]" },
                { "type": "Microsoft.Resources/deployments", "apiVersion": "1", "name": "inner",
                  "properties": { "expressionEvaluationOptions": { "scope": "inner" }, "mode": "Incremental",
                    "parameters": { "n": { "value": "[concat(variables('prefix'), 'y')]" } },
                    "template": { "parameters": { "n": { "type": "string" } },
                      "resources": [ { "type": "T/nested", "apiVersion": "1", "name": "[parameters('n')]" } ] } } }
              ]
            }
            """)!.AsObject();
        var parameters = JsonNode.Parse("""{ "names": { "value": ["a", "b"] }, "skip": { "value": false } }""")!.AsObject();

        var deployment = new ArmDeployment(template, parameters);

        Assert.Equal(["x-a", "x-b"], deployment.OfType("T/items").Select(r => r.Name));
        Assert.Empty(deployment.OfType("T/skipped"));
        Assert.Equal(("inner", "xy"), deployment.OfType("T/nested").Select(r => (r.Deployment, r.Name)).Single());
    }

    [GeneratedRegex(@"\d{4}-\d{2}-\d{2}-preview", RegexOptions.IgnoreCase)]
    private static partial Regex PreviewApiVersion();

    private sealed class TestScope : IArmScope
    {
        public int? CopyIndex => null;

        public JsonNode? Parameter(string name) => throw new KeyNotFoundException(name);

        public JsonNode? Variable(string name) => throw new KeyNotFoundException(name);
    }
}
