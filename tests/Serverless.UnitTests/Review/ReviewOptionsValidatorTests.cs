using Serverless.Review;

namespace Serverless.UnitTests.Review;

public sealed class ReviewOptionsValidatorTests
{
    private const string AesKey = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aQ";

    [Theory]
    [InlineData("Production", true, "a-real-push-token", AesKey, null)]
    [InlineData("Production", true, "a-real-push-token", "", "Review__EncodingAesKey is required")] // plain pushes: their signature does not cover the body
    [InlineData("Production", true, "a-real-push-token", " ", "Review__EncodingAesKey is required")]
    [InlineData("Production", true, "local-push-token", AesKey, "Review__PushToken is the development key")]
    [InlineData("Production", true, "", AesKey, "Review__PushToken is required")]
    [InlineData("Production", false, "", "", null)] // review off: nothing is pushed
    [InlineData("Development", true, "local-push-token", "", null)] // the sample's settings
    [InlineData("Development", true, "", "short", "Review__EncodingAesKey is 43 characters")]
    public void Validate_ByEnvironment(string environment, bool enabled, string pushToken, string aesKey, string? failure)
    {
        var result = new ReviewOptionsValidator(new TestEnvironment(environment))
            .Validate(null, new ReviewOptions { Enabled = enabled, PushToken = pushToken, EncodingAesKey = aesKey });

        Assert.Equal(failure is null, result.Succeeded);
        if (failure is not null)
        {
            Assert.Contains(failure, result.FailureMessage, StringComparison.Ordinal);
        }
    }
}
