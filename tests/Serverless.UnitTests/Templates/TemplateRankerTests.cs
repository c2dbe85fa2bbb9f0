using Serverless.Templates;
using Serverless.Templates.Protocol;
using Serverless.Templates.Recommendations;

namespace Serverless.UnitTests.Templates;

public sealed class TemplateRankerTests
{
    private static readonly DateTimeOffset Now = new(2025, 8, 7, 12, 0, 0, TimeSpan.Zero);
    private static readonly TemplateRecommendationOptions Options = new();

    private static TemplateCandidate Candidate(string id, string? family = null, string category = "digital", double? cap = null, int min = 1, int max = 9, double ageDays = 30, params string[] tags) =>
        new(new MotionTemplate
        {
            Id = id,
            Name = id,
            Family = family,
            Category = category,
            Tags = tags,
            ExposureCap = cap,
            MinImageCount = min,
            MaxImageCount = max,
            Loop = true,
            Nodes = [TestTemplates.Node(NodeType.Image, "i", 1), TestTemplates.Node(NodeType.Transition, "t", 1)],
        }, Now.AddDays(-ageDays));

    private static RecommendationRequest Request(int images = 3, string? category = null, int count = 10, params string[] tags) => new(images, category, tags, count);

    private static IReadOnlyList<RankedTemplate> Rank(IEnumerable<TemplateCandidate> candidates, RecommendationRequest request, Dictionary<string, int>? seen = null, TemplateActivityStats? stats = null, DateTimeOffset? now = null) =>
        TemplateRanker.Rank(candidates, request, seen ?? [], stats ?? TemplateActivityStats.Empty, now ?? Now, Options);

    [Fact]
    public void Rank_FiltersByImageCountAndCategory()
    {
        var ranked = Rank([Candidate("a"), Candidate("b", max: 2), Candidate("c", category: "fashion"), Candidate("d", category: "other", tags: "digital")], Request(images: 3, category: "digital"));

        Assert.Equal(["a", "d"], ranked.Select(r => r.Id).Order());
    }

    [Theory]
    [InlineData(1, new[] { "loop", "three" })]
    [InlineData(3, new[] { "loop", "three" })]
    [InlineData(4, new[] { "loop" })]
    [InlineData(20, new[] { "loop" })]
    [InlineData(TemplateLimits.MaxImageCount, new[] { "loop" })]
    public void Rank_TemplatesWithoutImageCounts_FilterByTheirEffectiveRange(int images, string[] expected)
    {
        var image = TestTemplates.Node(NodeType.Image, "i", 1);
        var transition = TestTemplates.Node(NodeType.Transition, "t", 1);
        var loop = TestTemplates.Template([image, transition], loop: true, id: "loop");
        var three = TestTemplates.Template([image, transition, image, transition, image], loop: false, id: "three");

        var ranked = Rank([new(loop, Now), new(three, Now)], Request(images: images));

        Assert.Equal(expected, ranked.Select(r => r.Id).Order());
    }

    [Fact]
    public void Rank_TagMatchAndFreshness_OrderTheScore()
    {
        var ranked = Rank([Candidate("old", ageDays: 60, tags: "cute"), Candidate("new", ageDays: 0, tags: "cute"), Candidate("untagged", ageDays: 0)], Request(tags: "cute"));

        Assert.Equal(["new", "old", "untagged"], ranked.Select(r => r.Id));
    }

    [Fact]
    public void Rank_RecentPerformance_RaisesTheScore()
    {
        var stats = new TemplateActivityStats(new Dictionary<string, int> { ["a"] = 50, ["b"] = 50 }, new Dictionary<string, int> { ["b"] = 30 }, 100);

        var ranked = Rank([Candidate("a", cap: 1), Candidate("b", cap: 1)], Request(), stats: stats);

        Assert.Equal(["b", "a"], ranked.Select(r => r.Id));
    }

    [Fact]
    public void Rank_Fatigue_DemotesThenExcludes()
    {
        var candidates = new[] { Candidate("a", ageDays: 0), Candidate("b", ageDays: 1) };
        Assert.Equal("a", Rank(candidates, Request())[0].Id);

        var demoted = Rank(candidates, Request(), seen: new() { ["a"] = Options.FatigueDemoteAfter });
        Assert.Equal(["b", "a"], demoted.Select(r => r.Id));
        Assert.Equal(Options.FatigueDemotion, demoted[1].Fatigue);

        var excluded = Rank(candidates, Request(), seen: new() { ["a"] = Options.FatigueExcludeAfter });
        Assert.Equal(["b"], excluded.Select(r => r.Id));
    }

    [Fact]
    public void Rank_ExposureCap_ExcludesTemplateOverItsShare()
    {
        var stats = new TemplateActivityStats(new Dictionary<string, int> { ["a"] = 30, ["b"] = 70, ["c"] = 100 }, new Dictionary<string, int>(), 200);

        var ranked = Rank([Candidate("a"), Candidate("b", cap: 0.5), Candidate("c", cap: 0.5)], Request(), stats: stats);

        // a: 15 % < default 20 %; b: 35 % < its 50 %; c: 50 % reached its cap.
        Assert.Equal(["a", "b"], ranked.Select(r => r.Id).Order());
    }

    [Fact]
    public void Rank_ExposureCap_WaitsForEnoughImpressions()
    {
        var stats = new TemplateActivityStats(new Dictionary<string, int> { ["a"] = 10 }, new Dictionary<string, int>(), 10);

        Assert.Single(Rank([Candidate("a")], Request(), stats: stats));
    }

    [Fact]
    public void Rank_SameFamily_IsScattered()
    {
        var ranked = Rank([Candidate("a1", "a", ageDays: 0), Candidate("a2", "a", ageDays: 1), Candidate("a3", "a", ageDays: 2), Candidate("b1", "b", ageDays: 10), Candidate("c1", "c", ageDays: 20)], Request());

        Assert.Equal(["a1", "b1", "a2", "c1", "a3"], ranked.Select(r => r.Id));
    }

    /// <summary>Random libraries, users and activity: no two neighbours share a family, fatigue and caps always hold.</summary>
    [Fact]
    public void Rank_RandomLibraries_HoldScatterFatigueAndCaps()
    {
        var random = new Random(42);
        for (var run = 0; run < 500; run++)
        {
            var candidates = Enumerable.Range(0, random.Next(1, 40))
                .Select(i => Candidate($"t{i}", $"f{random.Next(5)}", cap: random.Next(3) == 0 ? 0.1 : null, max: random.Next(1, 12), ageDays: random.Next(60)))
                .ToList();
            var seen = candidates.Where(_ => random.Next(2) == 0).ToDictionary(c => c.Template.Id, _ => random.Next(0, 8));
            var impressions = candidates.ToDictionary(c => c.Template.Id, _ => random.Next(0, 60));
            var stats = new TemplateActivityStats(impressions, candidates.ToDictionary(c => c.Template.Id, _ => random.Next(0, 10)), impressions.Values.Sum());
            var request = Request(images: random.Next(1, 10), count: random.Next(1, 20));

            var ranked = Rank(candidates, request, seen, stats);

            Assert.True(ranked.Count <= request.Count);
            for (var i = 1; i < ranked.Count; i++)
            {
                Assert.NotEqual(ranked[i - 1].Family, ranked[i].Family);
            }

            foreach (var item in ranked)
            {
                var template = candidates.Single(c => c.Template.Id == item.Id).Template;
                Assert.InRange(request.ImageCount, template.EffectiveMinImageCount, template.EffectiveMaxImageCount);
                Assert.True(seen.GetValueOrDefault(item.Id) < Options.FatigueExcludeAfter);
                if (stats.TotalImpressions >= Options.ExposureMinImpressions)
                {
                    Assert.True((double)impressions[item.Id] / stats.TotalImpressions < (template.ExposureCap ?? Options.DefaultExposureCap));
                }
            }
        }
    }
}
