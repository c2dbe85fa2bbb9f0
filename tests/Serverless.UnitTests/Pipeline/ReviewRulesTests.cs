using Serverless.Pipeline.Review;
using Serverless.Review;
using Serverless.WeChat.Push;

namespace Serverless.UnitTests.Pipeline;

public sealed class ReviewRulesTests
{
    private static ReviewVerdict WeChat(string trace, MediaCheckSuggest suggest, int label = 100) => new(VerdictSource.WeChat, suggest, trace, label, null);

    private static ReviewDecision Decide(IReadOnlyCollection<ReviewVerdict> verdicts, int pending = 0, IReadOnlyCollection<string>? refusals = null, ReviewVerdict? decisive = null, bool deadlineMissed = false) =>
        ReviewRules.Decide(verdicts, pending, refusals ?? [], decisive, deadlineMissed, 35);

    [Fact]
    public void AllPass_NothingPending_Publish() =>
        Assert.IsType<ReviewDecision.Publish>(Decide([WeChat("a", MediaCheckSuggest.Pass), WeChat("b", MediaCheckSuggest.Pass)]));

    [Fact]
    public void SomePending_BeforeTheDeadline_Wait() =>
        Assert.IsType<ReviewDecision.Wait>(Decide([WeChat("a", MediaCheckSuggest.Pass)], pending: 2));

    [Fact]
    public void OneRisky_RejectedAtOnce_EvenWithVerdictsPending_WithTheLabelInWords()
    {
        var decision = Assert.IsType<ReviewDecision.Reject>(Decide([WeChat("a", MediaCheckSuggest.Pass), WeChat("b", MediaCheckSuggest.Risky, 20002)], pending: 3));

        Assert.Equal("WeChat's content check found it risky: pornography.", decision.Reason);
    }

    [Fact]
    public void DeadlineMissed_AskOperator_SayingHowManyAreMissing()
    {
        var decision = Assert.IsType<ReviewDecision.AskOperator>(Decide([WeChat("a", MediaCheckSuggest.Pass)], pending: 2, deadlineMissed: true));

        Assert.Equal("WeChat's verdict on 2 of 3 samples did not come within 35 minutes.", decision.Reason);
    }

    [Fact]
    public void ReviewSuggested_AskOperator() =>
        Assert.Contains("asks for a person", Assert.IsType<ReviewDecision.AskOperator>(Decide([WeChat("a", MediaCheckSuggest.Review, 21000)])).Reason, StringComparison.Ordinal);

    [Fact]
    public void SampleWeChatWouldNotCheck_AskOperator_WithItsReason() =>
        Assert.Equal("no openid", Assert.IsType<ReviewDecision.AskOperator>(Decide([WeChat("a", MediaCheckSuggest.Pass)], refusals: ["no openid"])).Reason);

    [Fact]
    public void RiskyOutranksReviewAndRefusals() =>
        Assert.IsType<ReviewDecision.Reject>(Decide([WeChat("a", MediaCheckSuggest.Review), WeChat("b", MediaCheckSuggest.Risky)], refusals: ["x"], deadlineMissed: true));

    [Fact]
    public void Operator_IsFinal_OverWeChat()
    {
        var approve = new ReviewVerdict(VerdictSource.Operator, MediaCheckSuggest.Pass, null, null, null);
        var reject = new ReviewVerdict(VerdictSource.Operator, MediaCheckSuggest.Risky, null, null, "spam");

        Assert.IsType<ReviewDecision.Publish>(Decide([WeChat("a", MediaCheckSuggest.Risky)], decisive: approve));
        Assert.Equal("Rejected by an operator: spam", Assert.IsType<ReviewDecision.Reject>(Decide([WeChat("a", MediaCheckSuggest.Pass)], decisive: reject)).Reason);
    }

    [Fact]
    public void Withdrawn_EndsTheReviewWhateverElseIsKnown() =>
        Assert.IsType<ReviewDecision.Withdrawn>(Decide([WeChat("a", MediaCheckSuggest.Risky)], pending: 1, decisive: new ReviewVerdict(VerdictSource.Withdrawn, MediaCheckSuggest.Review, null, null, null)));
}
