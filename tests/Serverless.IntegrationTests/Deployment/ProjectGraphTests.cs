using System.Xml.Linq;
using Serverless.IntegrationTests.Infrastructure;

namespace Serverless.IntegrationTests.Deployment;

/// <summary>
/// The areas' project references, read from the project files: the video catalog sits below the areas that read it, and
/// only the pipeline (and the function app and its local host) reaches the Durable Task packages.
/// </summary>
public sealed class ProjectGraphTests
{
    private static readonly IReadOnlyDictionary<string, Project> Projects = Load();

    [Theory]
    [InlineData("Serverless.Pipeline")]
    [InlineData("Serverless.Playback")]
    [InlineData("Serverless.Recommendations")]
    [InlineData("Serverless.Rendering")]
    [InlineData("Serverless.Templates")]
    public void Videos_IsBelow_TheAreasThatReadTheCatalog(string area)
    {
        Assert.Contains("Serverless.Videos", Closure(area));
        Assert.DoesNotContain(area, Closure("Serverless.Videos"));
    }

    [Theory]
    [InlineData("Serverless.Playback")]
    [InlineData("Serverless.Recommendations")]
    [InlineData("Serverless.Rendering")]
    [InlineData("Serverless.Templates")]
    [InlineData("Serverless.Videos")]
    public void ReadersOfTheCatalog_DoNotReachThePipeline(string area)
    {
        Assert.DoesNotContain("Serverless.Pipeline", Closure(area));
        Assert.DoesNotContain("Serverless.Review", Closure(area));
    }

    [Fact]
    public void DurableTask_IsReachedByThePipelineAndTheHostsAlone()
    {
        var reaching = Projects.Keys
            .Where(p => Closure(p).Append(p).Any(q => Projects[q].Packages.Any(k => k.StartsWith("Microsoft.DurableTask", StringComparison.Ordinal) || k.Contains("DurableTask", StringComparison.Ordinal))))
            .Where(p => p.StartsWith("Serverless.", StringComparison.Ordinal) && Projects[p].Folder.StartsWith("shared", StringComparison.Ordinal))
            .ToList();

        Assert.Equal(["Serverless.Pipeline"], reaching);
    }

    [Fact]
    public void WeChat_IsOneArea_TheOthersReachItThroughIt()
    {
        var wechatFiles = Directory.EnumerateFiles(RepoFiles.Path("shared"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Where(f => File.ReadAllText(f).Contains("api.weixin.qq.com", StringComparison.Ordinal) || Path.GetFileName(f).StartsWith("WeChat", StringComparison.Ordinal))
            .Select(f => Path.GetRelativePath(RepoFiles.Path("shared"), f).Split(Path.DirectorySeparatorChar)[0])
            .Distinct()
            .ToList();

        Assert.Equal(["Serverless.WeChat"], wechatFiles);
    }

    private static IReadOnlySet<string> Closure(string project)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>(Projects[project].References);
        while (pending.TryPop(out var next))
        {
            if (seen.Add(next))
            {
                foreach (var reference in Projects[next].References)
                {
                    pending.Push(reference);
                }
            }
        }

        return seen;
    }

    private static Dictionary<string, Project> Load()
    {
        var projects = new Dictionary<string, Project>(StringComparer.Ordinal);
        foreach (var file in Directory.EnumerateFiles(RepoFiles.Root, "*.csproj", SearchOption.AllDirectories)
                     .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}node_modules{Path.DirectorySeparatorChar}", StringComparison.Ordinal)))
        {
            var xml = XDocument.Load(file);
            var references = xml.Descendants("ProjectReference").Select(r => Path.GetFileNameWithoutExtension(r.Attribute("Include")!.Value.Replace('\\', '/'))).ToList();
            var packages = xml.Descendants("PackageReference").Select(r => r.Attribute("Include")!.Value).ToList();
            projects[Path.GetFileNameWithoutExtension(file)] = new Project(Path.GetRelativePath(RepoFiles.Root, file), references, packages);
        }

        return projects;
    }

    private sealed record Project(string Folder, IReadOnlyList<string> References, IReadOnlyList<string> Packages);
}
