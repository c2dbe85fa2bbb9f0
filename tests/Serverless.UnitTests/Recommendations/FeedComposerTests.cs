using Serverless.Recommendations.Catalog;
using Serverless.Recommendations.Events;
using Serverless.Recommendations.Feedback;
using Serverless.Recommendations.Serving;

namespace Serverless.UnitTests.Recommendations;

public sealed class FeedComposerTests
{
    private static IEnumerable<Candidate> Stream(string prefix, int n, Func<int, string> owner, string reason) =>
        Enumerable.Range(0, n).Select(i => new Candidate($"{prefix}{i}", owner(i), n - i, reason));

    [Fact]
    public void Page_AuthorCap_AtMostTwoPerAuthorAndDeferredNotLost()
    {
        var primary = Stream("a", 10, _ => "same-author", "cf").Concat(Stream("b", 10, i => "author" + i, "cf"));

        var (first, more) = FeedComposer.Page(primary, [], [], 0, 2, 0, 5);
        var (second, _) = FeedComposer.Page(primary, [], [], 0, 2, 1, 5);

        Assert.Equal(["a0", "a1", "b0", "b1", "b2"], first.Select(c => c.VideoId));
        Assert.True(more);
        Assert.Equal(["a2", "a3", "b3", "b4", "b5"], second.Select(c => c.VideoId));
    }

    [Fact]
    public void Page_FreshShareOneFifth_EveryFifthSlotIsFresh()
    {
        var (items, _) = FeedComposer.Page(Stream("p", 50, i => "o" + i, "cf"), Stream("f", 50, i => "n" + i, "fresh"), [], 0.2, 2, 0, 10);

        Assert.Equal(2, items.Count(c => c.Reason == "fresh"));
        Assert.Equal("fresh", items[4].Reason);
        Assert.Equal("fresh", items[9].Reason);
    }

    [Fact]
    public void Page_PrimaryExhausted_FillsFromPopularWithoutRepeats()
    {
        var (items, more) = FeedComposer.Page(Stream("x", 2, i => "o" + i, "cf"), [], Stream("x", 5, i => "o" + i, "popular"), 0, 2, 0, 10);

        Assert.Equal(["x0", "x1", "x2", "x3", "x4"], items.Select(c => c.VideoId));
        Assert.False(more);
    }

    [Fact]
    public void Exclusions_CompletedAndFatigued_AreExcluded()
    {
        var now = new DateTimeOffset(2025, 6, 1, 0, 0, 0, TimeSpan.Zero);
        var catalog = new CatalogState([new CatalogVideo("long", "o", now, 100)], now);
        StoredEvent E(EventType type, string video, double? watched = null, double hoursAgo = 1) => new("u", Guid.NewGuid().ToString(), type, video, null, watched, now.AddHours(-hoursAgo));
        var history = new[]
        {
            E(EventType.Complete, "done"),
            E(EventType.Progress, "long", 95),
            E(EventType.Impression, "tired"), E(EventType.Impression, "tired"), E(EventType.Impression, "tired"),
            E(EventType.Impression, "watched"), E(EventType.Impression, "watched"), E(EventType.Impression, "watched"), E(EventType.Play, "watched"),
            E(EventType.Impression, "old", hoursAgo: 48), E(EventType.Impression, "old", hoursAgo: 48), E(EventType.Impression, "old", hoursAgo: 48),
        };

        var excluded = FeedComposer.Exclusions(history, catalog, new ServingOptions(), now);

        Assert.Equal(["done", "long", "tired"], excluded.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Cursor_RoundTrip_AndForgedCursorRejected()
    {
        Assert.Equal(3, RecommendationService.ParseCursor(RecommendationService.MakeCursor(3, "v1")));
        Assert.Throws<FormatException>(() => RecommendationService.ParseCursor("not-a-cursor"));
    }
}
