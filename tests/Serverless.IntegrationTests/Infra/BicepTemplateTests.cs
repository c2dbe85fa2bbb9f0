using System.Text.RegularExpressions;

namespace Serverless.IntegrationTests.Infra;

/// <summary>The Bicep hangs together (no compiler here: these read the text) and the reader that the other tests use works.</summary>
public sealed partial class BicepTemplateTests
{
    private static readonly string InfraDir = RepoFiles.Path("infra");

    [Theory]
    [InlineData("main.dev.bicepparam", "dev")]
    [InlineData("main.prod.bicepparam", "prod")]
    public void ParameterFile_UsesMainAndSetsOnlyItsParameters(string file, string environment)
    {
        var text = RepoFiles.ReadText("infra", file);
        var declared = BicepReader.ParameterNames(RepoFiles.ReadText("infra", "main.bicep"));

        var unknown = BicepReader.ParameterNames(text).Where(p => !declared.Contains(p)).ToList();

        Assert.Contains("using './main.bicep'", text, StringComparison.Ordinal);
        Assert.Matches($"(?m)^param environmentName = '{environment}'$", text);
        Assert.True(unknown.Count == 0, $"{file} sets parameters main.bicep does not declare: {string.Join(", ", unknown)}");
    }

    [Fact]
    public void Modules_EveryReferencedFile_ExistsAndEveryParameterPassedIsDeclared()
    {
        var problems = new List<string>();
        foreach (var file in Directory.EnumerateFiles(InfraDir, "*.bicep", SearchOption.AllDirectories))
        {
            var text = File.ReadAllText(file);
            foreach (Match module in ModuleDeclaration().Matches(text))
            {
                var target = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(file)!, module.Groups["path"].Value));
                if (!File.Exists(target))
                {
                    problems.Add($"{Path.GetFileName(file)}: module '{module.Groups["path"].Value}' does not exist");
                    continue;
                }

                var declared = BicepReader.ParameterNames(File.ReadAllText(target));
                var body = BicepReader.Parse(text[(module.Index + module.Length - 1)..]) as BicepObject;
                var passed = body?.Properties.GetValueOrDefault("params") as BicepObject;
                problems.AddRange((passed?.Properties.Keys ?? []).Where(p => !declared.Contains(p))
                    .Select(p => $"{Path.GetFileName(file)}: module '{module.Groups["symbol"].Value}' passes '{p}', which {Path.GetFileName(target)} does not declare"));
            }
        }

        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }

    [Fact]
    public void Resources_UseGaApiVersions()
    {
        var preview = Directory.EnumerateFiles(InfraDir, "*.bicep", SearchOption.AllDirectories)
            .SelectMany(f => ResourceType().Matches(File.ReadAllText(f)).Select(m => m.Groups["type"].Value))
            .Where(t => t.Contains("-preview", StringComparison.OrdinalIgnoreCase))
            .ToList();

        Assert.True(preview.Count == 0, "Preview API versions: " + string.Join(", ", preview));
    }

    [Fact]
    public void StorageAccount_IsPrivateAndTls12()
    {
        var storage = RepoFiles.ReadText("infra", "modules", "storage.bicep");

        Assert.Contains("minimumTlsVersion: 'TLS1_2'", storage, StringComparison.Ordinal);
        Assert.Contains("allowBlobPublicAccess: false", storage, StringComparison.Ordinal);
        Assert.Contains("supportsHttpsTrafficOnly: true", storage, StringComparison.Ordinal);
        Assert.Contains("publicAccess: 'None'", storage, StringComparison.Ordinal);
    }

    [Fact]
    public void Lists_ContainerQueueAndTableNames_AreValidStorageNames()
    {
        var templates = InfraTemplates.Load();

        Assert.All(templates.Containers, c => Assert.Matches("^(?!.*--)[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$", c));
        Assert.All(templates.Queues, q => Assert.True(FunctionJsonRules.IsValidQueueName(q), q));
        Assert.All(templates.Tables, t => Assert.Matches("^[A-Za-z][A-Za-z0-9]{2,62}$", t));
        Assert.Equal(templates.Containers.Count, templates.Containers.Distinct().Count());
        Assert.Equal(templates.Queues.Count, templates.Queues.Distinct().Count());
    }

    [Fact]
    public void Outputs_FunctionAppUrlAndStorageAccountName()
    {
        var main = RepoFiles.ReadText("infra", "main.bicep");

        Assert.Matches("(?m)^output functionAppUrl string = ", main);
        Assert.Matches("(?m)^output storageAccountName string = ", main);
    }

    [Fact]
    public void Reader_ObjectWithCommentsInterpolationAndExpressions_ReadsKeysAndLiterals()
    {
        const string bicep = """
            var other = 1
            var settings = {
              // a comment { with a brace
              Plain__Value: '30'
              'Quoted.Key': 'x' // trailing
              Secret__Value: '@Microsoft.KeyVault(VaultName=${names.vault};SecretName=S)'
              Env: name == 'prod' ? 'Production' : 'Staging'
              Nested: {
                inner: [ 'a', 'b' ]
              }
              Call: union(a, {
                b: 'c'
              })
            }
            """;

        var value = Assert.IsType<BicepObject>(BicepReader.Variable(bicep, "settings"));

        Assert.Equal(["Plain__Value", "Quoted.Key", "Secret__Value", "Env", "Nested", "Call"], value.Properties.Keys);
        Assert.Equal(new BicepString("30"), value.Properties["Plain__Value"]);
        Assert.True(((BicepString)value.Properties["Secret__Value"]).IsInterpolated);
        Assert.Equal(new BicepExpression("name == 'prod' ? 'Production' : 'Staging'"), value.Properties["Env"]);
        Assert.Equal(2, ((BicepArray)((BicepObject)value.Properties["Nested"]).Properties["inner"]).Items.Count);
        Assert.IsType<BicepExpression>(value.Properties["Call"]);
    }

    [Fact]
    public void Reader_ArrayOfStringsWithComments_ReadsItems()
    {
        const string bicep = """
            var containers = [
              'uploads' // originals
              /* block */ 'media'
            ]
            """;

        var value = Assert.IsType<BicepArray>(BicepReader.Variable(bicep, "containers"));

        Assert.Equal([new BicepString("uploads"), new BicepString("media")], value.Items);
    }

    [GeneratedRegex(@"(?m)^module\s+(?<symbol>\w+)\s+'(?<path>[^']+)'\s*=\s*\{")]
    private static partial Regex ModuleDeclaration();

    [GeneratedRegex(@"(?m)^\s*resource\s+\w+\s+'(?<type>[^']+)'")]
    private static partial Regex ResourceType();
}
