using Serverless.IntegrationTests.Infrastructure;
namespace Serverless.IntegrationTests.Deployment;

/// <summary>Every function in the built functions.metadata is one the Functions v4 host accepts, and uses storage the Bicep declares.</summary>
public sealed class FunctionMetadataTests
{
    private static readonly IReadOnlyDictionary<string, string?> Settings = RepoFiles.SampleSettings();

    [Fact]
    public void FunctionMetadata_EveryFunction_PassesTheHostRules()
    {
        var problems = RepoFiles.FunctionMetadata().SelectMany(f => FunctionBindingRules.Check(f.Name, f.Json, Settings).Problems).ToList();

        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }

    [Fact]
    public void FunctionMetadata_QueuesContainersTables_AreDeclaredInBicep()
    {
        var templates = InfraTemplates.Load();
        var problems = new List<string>();
        foreach (var (name, json) in RepoFiles.FunctionMetadata())
        {
            var usage = FunctionBindingRules.Check(name, json, Settings).Usage;
            foreach (var queue in usage.TriggerQueues)
            {
                Require(templates.Queues, queue, $"{name}: trigger queue", problems);
                Require(templates.Queues, queue + "-poison", $"{name}: poison queue", problems);
            }

            usage.Queues.ToList().ForEach(q => Require(templates.Queues, q, $"{name}: output queue", problems));
            usage.Containers.ToList().ForEach(c => Require(templates.Containers, c, $"{name}: container", problems));
            usage.Tables.ToList().ForEach(t => Require(templates.Tables, t, $"{name}: table", problems));
            foreach (var connection in usage.Connections.Where(c => !templates.AllSettingNames.Any(s => s.Equals(c, StringComparison.OrdinalIgnoreCase) || s.StartsWith(c + "__", StringComparison.OrdinalIgnoreCase))))
            {
                problems.Add($"{name}: connection '{connection}' is not an app setting in the Bicep");
            }
        }

        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }

    [Fact]
    public void Check_ValidQueueHttpAndTimerFunctions_HaveNoProblems()
    {
        var settings = new Dictionary<string, string?> { ["Jobs__Schedule"] = "0 */5 * * * *", ["Jobs__Queue"] = "work-items" };

        Assert.Empty(FunctionBindingRules.Check("Q", """{"bindings":[{"type":"queueTrigger","direction":"in","name":"msg","queueName":"%Jobs:Queue%"}]}""", settings).Problems);
        Assert.Empty(FunctionBindingRules.Check("T", """{"bindings":[{"type":"timerTrigger","direction":"in","name":"timer","schedule":"%Jobs:Schedule%"}]}""", settings).Problems);
        Assert.Empty(FunctionBindingRules.Check("H", """
            {"bindings":[{"type":"httpTrigger","direction":"in","name":"req","authLevel":"anonymous","route":"videos/{id}","methods":["get"]},
                         {"type":"http","direction":"out","name":"res"}]}
            """, settings).Problems);
    }

    [Fact]
    public void Check_QueueTrigger_ResolvesSettingAndReportsItsQueue()
    {
        var settings = new Dictionary<string, string?> { ["Jobs__Queue"] = "work-items" };

        var usage = FunctionBindingRules.Check("Q", """{"bindings":[{"type":"queueTrigger","direction":"in","name":"msg","queueName":"%Jobs:Queue%"}]}""", settings).Usage;

        Assert.Equal(["work-items"], usage.TriggerQueues);
    }

    [Theory]
    [InlineData("""{"bindings":[{"type":"serviceBusTriggerX","direction":"in","name":"m"}]}""", "type is not one")]
    [InlineData("""{"bindings":[]}""", "exactly one trigger")]
    [InlineData("""{"bindings":[{"type":"queueTrigger","direction":"in","name":"m","queueName":"Bad_Queue"}]}""", "not a valid queue name")]
    [InlineData("""{"bindings":[{"type":"queueTrigger","direction":"in","name":"m","queueName":"%Missing:Queue%"}]}""", "Missing:Queue")]
    [InlineData("""{"bindings":[{"type":"timerTrigger","direction":"in","name":"t","schedule":"%Jobs__Schedule%"}]}""", "never resolves under the Functions host")]
    [InlineData("""{"bindings":[{"type":"queueTrigger","direction":"out","name":"m","queueName":"jobs"}]}""", "direction 'out'")]
    [InlineData("""{"bindings":[{"type":"timerTrigger","direction":"in","name":"t","schedule":"*/5 * * * *"}]}""", "6-field")]
    [InlineData("""{"bindings":[{"type":"timerTrigger","direction":"in","name":"t","schedule":"0 0 25 * * *"}]}""", "not a valid NCRONTAB")]
    [InlineData("""{"bindings":[{"type":"httpTrigger","direction":"in","name":"req","authLevel":"anonymous","route":"api/videos","methods":["get"]},{"type":"http","direction":"out","name":"res"}]}""", "must not start with")]
    [InlineData("""{"bindings":[{"type":"httpTrigger","direction":"in","name":"req","authLevel":"anonymous","route":"videos","methods":["get"]}]}""", "one 'http' output binding")]
    [InlineData("""{"bindings":[{"type":"httpTrigger","direction":"in","name":"req","authLevel":"anonymous","route":"admin/videos","methods":["get"]},{"type":"http","direction":"out","name":"res"}]}""", "built-in routes")]
    [InlineData("""{"bindings":[{"type":"httpTrigger","direction":"in","name":"req","authLevel":"anonymous","route":"runtimeinfo","methods":["get"]},{"type":"http","direction":"out","name":"res"}]}""", "built-in routes")]
    [InlineData("""{"bindings":[{"type":"httpTrigger","direction":"in","name":"req","authLevel":"user","route":"videos","methods":["get"]},{"type":"http","direction":"out","name":"res"}]}""", "authLevel 'user'")]
    [InlineData("""{"bindings":[{"type":"httpTrigger","direction":"in","name":"req","authLevel":"anonymous","route":"videos","methods":["fetch"]},{"type":"http","direction":"out","name":"res"}]}""", "not an HTTP method")]
    [InlineData("""{"bindings":[{"type":"queueTrigger","direction":"in","name":"m","queueName":"jobs"},{"type":"timerTrigger","direction":"in","name":"t","schedule":"0 0 * * * *"}]}""", "exactly one trigger")]
    [InlineData("""{"bindings":[{"type":"queueTrigger","direction":"in","name":"m","queueName":"a123456789a123456789a123456789a123456789a123456789a123456789"}]}""", "too long for its '-poison'")]
    [InlineData("not json", "not valid JSON")]
    public void Check_InvalidBindings_ReportTheProblem(string json, string expected)
    {
        var problems = FunctionBindingRules.Check("F", json, new Dictionary<string, string?>()).Problems;

        Assert.Contains(problems, p => p.Contains(expected, StringComparison.Ordinal));
    }

    private static void Require(IReadOnlyList<string> declared, string name, string what, List<string> problems)
    {
        if (!declared.Contains(name, StringComparer.Ordinal))
        {
            problems.Add($"{what} '{name}' is not declared in infra/main.bicep");
        }
    }
}
