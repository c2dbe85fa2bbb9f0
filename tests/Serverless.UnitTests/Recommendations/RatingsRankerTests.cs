using Serverless.Recommendations.Evaluation;
using Serverless.Recommendations.Feedback;
using Serverless.Recommendations.Ranking;
using Serverless.Recommendations.Serving;
using Serverless.Recommendations.Training;

namespace Serverless.UnitTests.Recommendations;

public sealed class RatingsRankerTests
{
    private const string Tiny = """
        u1	i1	5	1000
        u2	i1	3	500
        u1	i2	4	2000
        u2	i2	1	3000
        u2	i3	4.5	2500
        """;

    [Fact]
    public void ReadTimed_MovieLensLayouts_KeepsEveryLinesTimestamp()
    {
        var tab = RatingsFile.ReadTimed(new StringReader("1\t10\t4\t874724710\n"));
        var dat = RatingsFile.ReadTimed(new StringReader("1::10::4::874724710\n"));
        var csv = RatingsFile.ReadTimed(new StringReader("userId,movieId,rating,timestamp\n1,10,4.5,874724710\n"));

        var expected = new TimedRating("1", "10", 4, DateTimeOffset.FromUnixTimeSeconds(874_724_710));
        Assert.Equal([expected], tab);
        Assert.Equal([expected], dat);
        Assert.Equal([expected with { Rating = 4.5f }], csv);
        Assert.Throws<FormatException>(() => RatingsFile.ReadTimed(new StringReader("1\t10\t4\n")));
        Assert.Throws<FormatException>(() => RatingsFile.ReadTimed(new StringReader("1\t10\t4\tyesterday\n")));
    }

    [Fact]
    public void Map_TinyFile_ImpressionAndPlayPerRatingCompletionFrom4LikeAt5UploadAtFirstRating()
    {
        var mapped = RatingsAsEvents.Map(RatingsFile.ReadTimed(new StringReader(Tiny)), 60);

        static DateTimeOffset At(long seconds) => DateTimeOffset.FromUnixTimeSeconds(seconds);
        Assert.Equal(
            [
                new MappedEvent("u1", "i1", EventType.Impression, null, At(1000)),
                new MappedEvent("u1", "i1", EventType.Play, null, At(1000)),
                new MappedEvent("u1", "i1", EventType.Complete, 60, At(1000)),
                new MappedEvent("u1", "i1", EventType.Like, null, At(1000)),
                new MappedEvent("u2", "i1", EventType.Impression, null, At(500)),
                new MappedEvent("u2", "i1", EventType.Play, null, At(500)),
                new MappedEvent("u1", "i2", EventType.Impression, null, At(2000)),
                new MappedEvent("u1", "i2", EventType.Play, null, At(2000)),
                new MappedEvent("u1", "i2", EventType.Complete, 60, At(2000)),
                new MappedEvent("u2", "i2", EventType.Impression, null, At(3000)),
                new MappedEvent("u2", "i2", EventType.Play, null, At(3000)),
                new MappedEvent("u2", "i3", EventType.Impression, null, At(2500)),
                new MappedEvent("u2", "i3", EventType.Play, null, At(2500)),
                new MappedEvent("u2", "i3", EventType.Complete, 60, At(2500)),
            ],
            mapped.Events);

        // Upload = first rating (i1's is the second line), one author per item, one duration.
        Assert.Equal(
            [("i1", "item:i1", At(500)), ("i2", "item:i2", At(2000)), ("i3", "item:i3", At(2500))],
            mapped.Catalog.Select(v => (v.VideoId, v.OwnerId, v.CreatedAt)));
        Assert.All(mapped.Catalog, v => Assert.Equal(60, v.DurationSeconds));
        Assert.Equal((At(500), At(3000)), (mapped.From, mapped.To));
    }

    [Fact]
    public void Map_ThroughTheEventLog_NoEventBeforeAnUploadAndGradesFollowTheRating()
    {
        var mapped = RatingsAsEvents.Map(RatingsFile.ReadTimed(new StringReader(Tiny)), 60);
        var builder = new VideoEventLogBuilder(mapped.Catalog, 60);
        foreach (var e in mapped.Events)
        {
            builder.Add(e.User, e.Item, e.Type, e.WatchedSeconds, e.At);
        }

        var log = builder.Build();

        for (var k = 0; k < log.Count; k++)
        {
            Assert.True(log.Ticks[k] >= log.CreatedTicks[log.Items[k]]);
        }

        Assert.Equal(3, log.AuthorIds.Length);
        var grades = RankingLabels.Grades(log, long.MinValue, long.MaxValue);
        byte Grade(string user, string item) => grades[RankingLabels.Key(Array.IndexOf(log.UserIds, user), Array.IndexOf(log.ItemIds, item))];
        Assert.Equal(RankingLabels.Engaged, Grade("u1", "i1")); // 5: liked
        Assert.Equal(RankingLabels.Completed, Grade("u1", "i2")); // 4
        Assert.Equal(RankingLabels.Completed, Grade("u2", "i3")); // 4.5
        Assert.Equal(RankingLabels.Played, Grade("u2", "i1")); // 3
        Assert.Equal(RankingLabels.Played, Grade("u2", "i2")); // 1: still watched

        // Before i2's first rating, i2 is no candidate: the generator only offers what was "uploaded" by the cut.
        var state = new FeatureState(log);
        var cut = DateTimeOffset.FromUnixTimeSeconds(1500).UtcTicks;
        state.AdvanceTo(cut);
        var models = RankerStage.FitCut(log, cut, ["popularity"], RatingsRankerProtocol.Feedback(), new TrainingOptions(), default)!;
        var generator = new CandidateGenerator(log, state, models, new RankerOptions { CandidateModels = "popularity" });
        var scratch = generator.CreateScratch();
        var n = generator.Generate(Array.IndexOf(log.UserIds, "u2"), scratch);
        Assert.Empty(scratch.Items[..n].Select(i => log.ItemIds[i])); // i1 rated, i2 and i3 not yet uploaded
    }

    [Fact]
    public void Cuts_ExplicitOrFromTheOptionsHours()
    {
        var now = new DateTimeOffset(2025, 6, 1, 0, 0, 0, TimeSpan.Zero);
        RankerInput Input(RankerCuts? cuts) => new(
            new VideoEventLogBuilder([], 60).Build(), [], new FeedbackOptions(), new TrainingOptions(), new RankerOptions { EvaluationHours = 24, LabelHours = 12 },
            new ServingOptions(), now, new RatingDataset([], [], Serverless.Recommendations.Algorithms.RatingMatrix.FromTriples(0, 0, [], [], [])), [], null, "t", cuts);

        Assert.Equal((now.AddHours(-36).UtcTicks, now.AddHours(-24).UtcTicks), RankerStage.Cuts(Input(null)));
        Assert.Equal((now.AddDays(-20).UtcTicks, now.AddDays(-10).UtcTicks), RankerStage.Cuts(Input(new RankerCuts(now.AddDays(-20), now.AddDays(-10)))));
        Assert.Throws<ArgumentException>(() => RankerStage.Cuts(Input(new RankerCuts(now.AddDays(-10), now.AddDays(-20)))));
        Assert.Throws<ArgumentException>(() => RankerStage.Cuts(Input(new RankerCuts(now.AddDays(-10), now))));
    }

    [Fact]
    public void Run_SmallGeneratedFile_EveryMethodEvaluatedAtCutsScaledToTheSpan()
    {
        var ratings = Generated(users: 160, items: 120, perUser: 30, days: 100, seed: 3);
        var ranker = new RankerOptions { Trees = 10, MinExamplesPerLeaf = 5, CandidatesPerModel = 30, PopularCandidates = 10, FreshCandidates = 10 };

        var result = RatingsRankerProtocol.Run(ratings, 0.1, 0.2, ranker, new TrainingOptions { AlsIterations = 3 }, default);

        var span = result.Now.UtcTicks - result.Mapped.From.UtcTicks;
        Assert.Equal(result.Mapped.To.AddSeconds(1), result.Now);
        Assert.Equal(result.Now.UtcTicks - (long)(0.1 * span), result.CutB.UtcTicks);
        Assert.Equal(result.CutB.UtcTicks - (long)(0.2 * span), result.CutA.UtcTicks);
        var report = result.Report;
        Assert.True(report.TrainingUsers >= 10, report.Reason);
        Assert.Equal(
            ["implicit-als", "item-knn", "cf+rules:implicit-als", "cf+rules:item-knn", RankerStage.Methods.Ranker, RankerStage.Methods.RankerComposed],
            report.Evaluation.Select(m => m.Method));
        Assert.InRange(report.EvaluationUsers, 1, result.EvaluationPeriod.WithHistory);
        Assert.All(report.Evaluation, m =>
        {
            Assert.InRange(m.NdcgAt20, 0, 1);
            Assert.InRange(m.RecallAt20, 0, 1);
            Assert.InRange(m.PrecisionAt20, 0, 1);
        });
        Assert.True(report.Evaluation.Max(m => m.NdcgAt20) > 0);

        // Nothing in the data says who authored what or how often a video was shown before being rated: no gain may come from it.
        foreach (var silent in new[] { "user-author.affinity", "pair.shown", "pair.hours-since-shown" })
        {
            Assert.Equal(0, report.Importance!.Single(g => g.Feature == silent).Share);
        }
    }

    /// <summary>Two tastes, ratings high on one's own, users arriving over the first 60 % of the span, then returning.</summary>
    private static List<TimedRating> Generated(int users, int items, int perUser, int days, int seed)
    {
        var random = new Random(seed);
        var ratings = new List<TimedRating>();
        const long start = 900_000_000;
        for (var u = 0; u < users; u++)
        {
            var arrival = start + (long)(random.NextDouble() * 0.6 * days * 86_400);
            var picked = new HashSet<int>();
            while (picked.Count < perUser)
            {
                var own = random.NextDouble() < 0.8;
                var item = ((u % 2 == 0) == own ? 0 : items / 2) + (int)(Math.Pow(random.NextDouble(), 2) * (items / 2));
                if (!picked.Add(item))
                {
                    continue;
                }

                var first = picked.Count <= perUser / 2;
                var at = first ? arrival + (picked.Count * 60) : arrival + (long)(random.NextDouble() * ((start + (days * 86_400L)) - arrival));
                ratings.Add(new TimedRating("u" + u, "i" + item, own ? 4 + random.Next(2) : 1 + random.Next(3), DateTimeOffset.FromUnixTimeSeconds(at)));
            }
        }

        return ratings;
    }
}
