using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.ML;
using Microsoft.ML.Data;
using Serverless.Recommendations.Algorithms;
using Serverless.Recommendations.Catalog;
using Serverless.Recommendations.Events;
using Serverless.Recommendations.Feedback;
using Serverless.Recommendations.Ranking;
using Serverless.Recommendations.Serving;

namespace Serverless.UnitTests.Recommendations;

public sealed class RankerTests
{
    private static readonly DateTimeOffset T = new(2025, 6, 1, 0, 0, 0, TimeSpan.Zero);

    private static readonly CatalogVideo[] Catalog =
    [
        new("v1", "a1", T.AddDays(-10), 30),
        new("v2", "a1", T.AddDays(-1), 30),
        new("v3", "a2", T.AddHours(5), 30), // uploaded after the cut
    ];

    private static readonly (string User, string Video, EventType Type, double? Watched, DateTimeOffset At)[] Before =
    [
        ("u1", "v1", EventType.Impression, null, T.AddHours(-3)),
        ("u1", "v1", EventType.Play, null, T.AddHours(-3).AddSeconds(1)),
        ("u1", "v1", EventType.Complete, 30, T.AddHours(-3).AddSeconds(31)),
        ("u2", "v1", EventType.Impression, null, T.AddHours(-2)),
        ("u2", "v1", EventType.Play, null, T.AddHours(-2).AddSeconds(1)),
        ("u1", "v2", EventType.Impression, null, T.AddHours(-1)),
    ];

    private static readonly (string User, string Video, EventType Type, double? Watched, DateTimeOffset At)[] After =
    [
        ("u1", "v1", EventType.Impression, null, T), // exactly at the cut: after it
        ("u3", "v1", EventType.Play, null, T.AddHours(2)),
        ("u1", "v2", EventType.Like, null, T.AddMinutes(30)),
        ("u1", "v2", EventType.Impression, null, T.AddHours(1)),
        ("u3", "v3", EventType.Play, null, T.AddHours(6)),
    ];

    [Fact]
    public void FeatureState_AtCut_SeesNoEventAtOrAfterIt()
    {
        var full = Log(Before.Concat(After));
        var past = Log(Before);
        var withFuture = new FeatureState(full);
        var pastOnly = new FeatureState(past);

        withFuture.AdvanceTo(T.UtcTicks);
        pastOnly.AdvanceTo(T.UtcTicks);

        foreach (var (user, video) in new[] { ("u1", "v1"), ("u1", "v2"), ("u2", "v1"), ("u2", "v2") })
        {
            var a = new float[RankingFeatures.DynamicNames.Length];
            var b = new float[RankingFeatures.DynamicNames.Length];
            withFuture.Write(Array.IndexOf(full.UserIds, user), Array.IndexOf(full.ItemIds, video), a);
            pastOnly.Write(Array.IndexOf(past.UserIds, user), Array.IndexOf(past.ItemIds, video), b);
            Assert.Equal(b, a);
        }

        var f = new float[RankingFeatures.DynamicNames.Length];
        withFuture.Write(Array.IndexOf(full.UserIds, "u1"), Array.IndexOf(full.ItemIds, "v1"), f);
        Assert.Equal(1, f[Feature("pair.shown")]);
        Assert.Equal(MathF.Log(3), f[Feature("video.plays")], 5);
        Assert.Equal(240, f[Feature("video.age-hours")]);
        Assert.Throws<InvalidOperationException>(() => withFuture.AdvanceTo(T.AddHours(-1).UtcTicks));
    }

    [Fact]
    public void CandidateGenerator_AtCut_NoWatchedVideoNorUploadAfterTheCut()
    {
        var log = Log(Before.Concat(After));
        var state = new FeatureState(log);
        state.AdvanceTo(T.UtcTicks);
        var data = new Serverless.Recommendations.Evaluation.RatingDataset(["u1", "u2"], ["v1"], AlgorithmTests.Matrix(2, 1, (0, 0, 3), (1, 0, 1)));
        var cut = new CutModels(data, [new PopularityAlgorithm().Fit(data.Matrix, default)]);
        var generator = new CandidateGenerator(log, state, cut, new RankerOptions());
        var scratch = generator.CreateScratch();

        var n = generator.Generate(Array.IndexOf(log.UserIds, "u1"), scratch);

        var ids = scratch.Items[..n].Select(i => log.ItemIds[i]).ToList();
        Assert.Equal(["v2"], ids); // v1 watched, v3 not uploaded yet
        Assert.Equal(CandidateSource.Fresh, scratch.Sources[0]);
        Assert.Equal(RankingFeatures.Count(1), generator.FeatureCount);
        Assert.Equal(RankingFeatures.MissingScore, scratch.Row(0)[0]);
        Assert.Equal(RankingFeatures.RankCap, scratch.Row(0)[1]);
    }

    [Fact]
    public void Grades_GradedByWhatTheUserDidInThePeriod()
    {
        var log = Log(
        [
            ("u", "shown", EventType.Impression, null, T.AddMinutes(1)),
            ("u", "played", EventType.Play, null, T.AddMinutes(2)),
            ("u", "played", EventType.Progress, 10, T.AddMinutes(3)),
            ("u", "finished", EventType.Progress, 58, T.AddMinutes(4)), // 58 of 60 s (the default duration): past 90%
            ("u", "completed", EventType.Complete, 30, T.AddMinutes(5)),
            ("u", "liked", EventType.Like, null, T.AddMinutes(6)),
            ("u", "unliked", EventType.Play, null, T.AddMinutes(6)),
            ("u", "unliked", EventType.Like, null, T.AddMinutes(7)),
            ("u", "unliked", EventType.Unlike, null, T.AddMinutes(8)),
            ("u", "shared", EventType.Share, null, T.AddMinutes(9)),
            ("u", "later", EventType.Complete, 30, T.AddHours(2)),
            ("u", "earlier", EventType.Complete, 30, T.AddMinutes(-1)),
        ]);

        var grades = RankingLabels.Grades(log, T.UtcTicks, T.AddHours(1).UtcTicks);

        byte Grade(string video) => grades[RankingLabels.Key(0, Array.IndexOf(log.ItemIds, video))];
        Assert.Equal(RankingLabels.Shown, Grade("shown"));
        Assert.Equal(RankingLabels.Played, Grade("played"));
        Assert.Equal(RankingLabels.Completed, Grade("finished"));
        Assert.Equal(RankingLabels.Completed, Grade("completed"));
        Assert.Equal(RankingLabels.Engaged, Grade("liked"));
        Assert.Equal(RankingLabels.Played, Grade("unliked"));
        Assert.Equal(RankingLabels.Engaged, Grade("shared"));
        Assert.Equal(7, grades.Count); // "later" and "earlier" are outside the period
    }

    [Fact]
    public void TreeEnsemble_ExportedFromLightGbm_ScoresLikeMlNet()
    {
        var random = new Random(7);
        var rows = new List<RankerRow>();
        for (uint g = 0; g < 60; g++)
        {
            for (var k = 0; k < 12; k++)
            {
                var x = new[] { (float)random.NextDouble(), (float)random.NextDouble() * 10, random.Next(3) };
                var relevance = (x[0] > 0.6 ? 2 : 0) + (x[1] < 3 ? 1 : 0);
                rows.Add(new RankerRow { Group = g, Label = Math.Min(3, relevance), Features = x });
            }
        }

        var options = new RankerOptions { Trees = 20, Leaves = 7, MinExamplesPerLeaf = 5, Threads = 1 };
        var model = LightGbmRanker.Fit(rows, 3, options, seed: 1);
        var ensemble = LightGbmRanker.Export(model.LastTransformer.Model.TrainedTreeEnsemble, ["a", "b", "c"], [], "t");

        var ml = new MLContext(1);
        var schema = SchemaDefinition.Create(typeof(RankerRow));
        schema[nameof(RankerRow.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, 3);
        var scored = model.Transform(ml.Data.LoadFromEnumerable(rows, schema));
        var expected = scored.GetColumn<float>("Score").ToArray();
        Assert.True(ensemble.TreeCount > 1);
        for (var r = 0; r < rows.Count; r++)
        {
            Assert.Equal(expected[r], ensemble.Score(rows[r].Features), 4);
        }
    }

    [Fact]
    public void PrepareNativeRuntime_BeforeLightGbmLoads_OpenMpWaitsPassively()
    {
        LightGbmRanker.PrepareNativeRuntime();

        // What libgomp reads when it loads (an OMP_WAIT_POLICY set by the caller is kept).
        var expected = Environment.GetEnvironmentVariable("OMP_WAIT_POLICY");
        Assert.Equal(OperatingSystem.IsLinux() ? expected : null, LightGbmRanker.NativeEnvironment("OMP_WAIT_POLICY"));
        Assert.False(string.IsNullOrEmpty(expected));
    }

    [Fact]
    public void TreeEnsemble_HandBuilt_WalksSplitsAndRejectsMalformedTrees()
    {
        // Tree 0: x0 <= 0.5 ? 1 : (x1 <= 2 ? 2 : 3); tree 1: a single leaf 0.25; bias 0.5.
        var ensemble = Tree(left: [-1, -2], right: [1, -3]);

        Assert.Equal(1.75f, ensemble.Score([0.5f, 9]));
        Assert.Equal(2.75f, ensemble.Score([0.6f, 2]));
        Assert.Equal(3.75f, ensemble.Score([0.6f, 2.1f]));

        var loop = Tree(left: [-1, 0], right: [1, -3]); // node 1 points back to the root
        Assert.Throws<InvalidDataException>(() => RoundTrip(loop));
        Assert.Equal(3.75f, RoundTrip(ensemble).Score([1, 3]));
    }

    [Fact]
    public void Snapshot_WithRankedFeed_RoundTripsAndOlderFormatStillReads()
    {
        var snapshot = Snapshot(WithRanker: true);
        using var stream = new MemoryStream();
        snapshot.Write(stream);
        stream.Position = 0;

        var read = RecommenderSnapshot.Read(stream);

        Assert.NotNull(read.Ranked);
        Assert.Equal(snapshot.Ranked!.ItemIds, read.Ranked.ItemIds);
        Assert.Equal(snapshot.Ranked.Items, read.Ranked.Items);
        Assert.Equal(snapshot.Ranked.Scores, read.Ranked.Scores);
        Assert.Equal(snapshot.Ranked.Sources, read.Ranked.Sources);
        Assert.Equal(snapshot.Ranked.Ranker.Version, read.Ranked.Ranker.Version);
        Assert.Equal(snapshot.Ranked.Ranker.Score([0.7f, 1]), read.Ranked.Ranker.Score([0.7f, 1]));

        // Format 1 (before the ranker): the same bytes without the trailing "has ranker" flag.
        using var v1 = new MemoryStream();
        Snapshot(WithRanker: false).Write(v1);
        var bytes = v1.ToArray()[..^1];
        BitConverter.GetBytes(1).CopyTo(bytes, 4);
        Assert.Null(RecommenderSnapshot.Read(new MemoryStream(bytes)).Ranked);
    }

    [Fact]
    public async Task Recommend_NoRankerOrNoList_FallsBackToCfOrder_ElseRankedListFirst()
    {
        var plain = await FeedAsync(Snapshot(WithRanker: false), "u0");
        var ranked = await FeedAsync(Snapshot(WithRanker: true), "u0");
        var noList = await FeedAsync(Snapshot(WithRanker: true), "u1");

        // CF (popularity) order: i5 > i4 > … ; u0 already watched i0, u1 watched i1.
        Assert.Equal(["i5", "i4", "i3", "i2", "i1"], plain.Select(i => i.VideoId));
        Assert.All(plain, i => Assert.Equal("cf", i.Reason));
        Assert.Equal(["i2", "i3", "i5", "i4", "i1"], ranked.Select(i => i.VideoId));
        Assert.Equal(["fresh", "popular", "cf", "cf", "cf"], ranked.Select(i => i.Reason));
        Assert.Equal(["i5", "i4", "i3", "i2", "i0"], noList.Select(i => i.VideoId));
    }

    [Fact]
    public void Decide_NotWorseRule_NewServingOrCfOrder()
    {
        var fresh = Tree([-1, -2], [1, -3], "new");
        var serving = Tree([-1, -2], [1, -3], "serving");
        MethodMetrics M(string method, double ndcg) => new(method, 100, ndcg, 0, 0);
        string[] cf = ["implicit-als", "item-knn"];

        var newWins = RankerStage.Decide([M("implicit-als", 0.10), M("item-knn", 0.08), M("ranker", 0.12), M("serving-ranker", 0.12)], cf, fresh, serving);
        var servingWins = RankerStage.Decide([M("implicit-als", 0.10), M("item-knn", 0.08), M("ranker", 0.11), M("serving-ranker", 0.13)], cf, fresh, serving);
        var neither = RankerStage.Decide([M("implicit-als", 0.10), M("item-knn", 0.14), M("ranker", 0.12), M("serving-ranker", 0.13)], cf, fresh, serving);
        var first = RankerStage.Decide([M("implicit-als", 0.10), M("item-knn", 0.08), M("ranker", 0.10)], cf, fresh, null);

        Assert.Equal((RankerDecisions.New, "new"), (newWins.Decision, newWins.Chosen?.Version));
        Assert.Equal((RankerDecisions.Current, "serving"), (servingWins.Decision, servingWins.Chosen?.Version));
        Assert.Equal((RankerDecisions.None, null), (neither.Decision, neither.Chosen?.Version));
        Assert.Equal(RankerDecisions.New, first.Decision);
    }

    private static int Feature(string name) => Array.IndexOf(RankingFeatures.DynamicNames, name);

    private static VideoEventLog Log(IEnumerable<(string User, string Video, EventType Type, double? Watched, DateTimeOffset At)> events)
    {
        var builder = new VideoEventLogBuilder(Catalog, 60);
        foreach (var e in events)
        {
            builder.Add(e.User, e.Video, e.Type, e.Watched, e.At);
        }

        return builder.Build();
    }

    private static TreeEnsemble Tree(int[] left, int[] right, string version = "t") =>
        new(version, ["x0", "x1"], [], 0.5f, [0, 2], [0, 3], [0, 1], [0.5f, 2], left, right, [1, 2, 3, 0.25f]);

    private static TreeEnsemble RoundTrip(TreeEnsemble ensemble)
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            ensemble.Write(writer);
        }

        stream.Position = 0;
        using var reader = new BinaryReader(stream);
        return TreeEnsemble.Read(reader);
    }

    /// <summary>Users u0, u1; videos i0..i5 by distinct authors; CF = popularity i5 &gt; i4 &gt; … &gt; i0; u0 has a ranked list.</summary>
    private static RecommenderSnapshot Snapshot(bool WithRanker)
    {
        var train = AlgorithmTests.Matrix(2, 6, (0, 0, 1), (1, 1, 1));
        var popularity = new float[] { 1, 2, 3, 4, 5, 6 };
        var model = new PopularityModel(0, new float[2], new float[6], popularity);
        var users = new[] { "u0", "u1" };
        var items = Enumerable.Range(0, 6).Select(i => "i" + i).ToArray();
        var similar = NeighbourGraph.Build(train.Transposed(), new KnnOptions(SimilarityKind.Cosine, 2, 2, 0, Implicit: true), default);
        RankedFeed? ranked = WithRanker
            ? new RankedFeed(Tree([-1, -2], [1, -3], "r1"), ["i2", "i3", "gone", "i5"], [0, 4, 4], [0, 1, 2, 3], [0.9f, 0.8f, 0.7f, 0.6f], [(byte)CandidateSource.Fresh, (byte)CandidateSource.Popular, 0, 0])
            : null;
        return new RecommenderSnapshot("v", T, users, items, train, model, popularity, similar, ranked);
    }

    private static async Task<IReadOnlyList<RecommendedItem>> FeedAsync(RecommenderSnapshot snapshot, string user)
    {
        var services = new ServiceCollection();
        var holder = new ModelHolder();
        holder.Swap(snapshot);
        services.AddSingleton(holder);
        services.AddLogging();
        services.AddSingleton<TimeProvider>(new FixedTime(T));
        services.AddSingleton(Options.Create(new ServingOptions { FreshShare = 0, CatalogCacheSeconds = 0 }));
        services.AddSingleton<IVideoDirectory>(new Directory([.. Enumerable.Range(0, 6).Select(i => new CatalogVideo("i" + i, "author" + i, T.AddDays(-30), 30))]));
        services.AddSingleton<VideoDirectoryAccessor>();
        services.AddSingleton<CatalogCache>();
        services.AddSingleton<IUserHistorySource, NoHistory>();
        services.AddSingleton<IRecommendationService, RecommendationService>();
        await using var provider = services.BuildServiceProvider();
        var response = await provider.GetRequiredService<IRecommendationService>().RecommendAsync(user, 5, null, default);
        return response.Items;
    }

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }

    private sealed class Directory(CatalogVideo[] videos) : IVideoDirectory
    {
        public Task<IReadOnlyList<CatalogVideo>> ListReadyAsync(CancellationToken cancellationToken) => Task.FromResult<IReadOnlyList<CatalogVideo>>(videos);

        public Task<bool> ExistsAsync(string videoId, CancellationToken cancellationToken) => Task.FromResult(true);
    }

    private sealed class NoHistory : IUserHistorySource
    {
        public ValueTask<IReadOnlyList<StoredEvent>> RecentAsync(string userId, CancellationToken cancellationToken) => ValueTask.FromResult<IReadOnlyList<StoredEvent>>([]);
    }
}
