using Serverless.Recommendations.Feedback;

namespace Serverless.UnitTests.Recommendations;

public sealed class FeedbackTests
{
    private static readonly DateTimeOffset Now = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);

    private static double Preference(params (EventType Type, double? Watched, double HoursAgo)[] events)
    {
        var aggregator = new InteractionAggregator(new FeedbackOptions { MinPreference = 0 }, _ => 100);
        foreach (var (type, watched, hoursAgo) in events)
        {
            aggregator.Add("u", "v", type, watched, Now.AddHours(-hoursAgo));
        }

        var data = aggregator.Build(Now);
        return data.Matrix.Count == 0 ? 0 : data.Matrix.Values[0];
    }

    [Fact]
    public void Preference_Ordering_ImpressionPlayCompletionLikeShare()
    {
        var impression = Preference((EventType.Impression, null, 0));
        var play = Preference((EventType.Play, null, 0));
        var half = Preference((EventType.Play, null, 0), (EventType.Progress, 50, 0));
        var complete = Preference((EventType.Play, null, 0), (EventType.Complete, null, 0));
        var like = Preference((EventType.Like, null, 0));
        var share = Preference((EventType.Share, null, 0));

        Assert.True(impression < play && play < half && half < complete && complete < like, $"{impression} {play} {half} {complete} {like}");
        Assert.True(complete < share);
        Assert.Equal(1 + (2 * 0.5), half, 5);
    }

    [Fact]
    public void Preference_UnlikeAfterLike_CancelsLike()
    {
        Assert.Equal(Preference((EventType.Play, null, 0)), Preference((EventType.Play, null, 0), (EventType.Like, null, 2), (EventType.Unlike, null, 1)), 5);
        Assert.InRange(Preference((EventType.Play, null, 0), (EventType.Unlike, null, 2), (EventType.Like, null, 1)), 4.98, 5);
    }

    [Fact]
    public void Preference_OneHalfLifeOld_WeighsHalf()
    {
        Assert.Equal(0.5, Preference((EventType.Play, null, 14 * 24)), 5);
    }

    [Fact]
    public void Build_ImpressionsOnly_AreNotTrainingPositives()
    {
        var aggregator = new InteractionAggregator(new FeedbackOptions(), _ => null);
        aggregator.Add("u", "a", EventType.Impression, null, Now);
        aggregator.Add("u", "b", EventType.Play, null, Now);
        aggregator.Add("u", "t", EventType.TemplateUse, null, Now);

        var data = aggregator.Build(Now);

        Assert.Equal(["b"], data.ItemIds);
        Assert.Equal(2, aggregator.EventCount);
    }
}
