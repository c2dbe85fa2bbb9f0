using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Serverless.Storage;
using Serverless.WeChat;
using Serverless.WeChat.Push;

namespace Serverless.Review;

public static class ReviewExtensions
{
    /// <summary>
    /// Registers the content review: its settings, the trace table where a submission and WeChat's pushed verdict meet, and
    /// the push verifier with the review's push Token and EncodingAESKey (WeChat's server API itself is AddWeChat's).
    /// </summary>
    public static IHostApplicationBuilder AddContentReview(this IHostApplicationBuilder builder)
    {
        builder.AddWeChat();
        var services = builder.Services;
        services.AddOptions<ReviewOptions>().BindConfiguration(ReviewOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<IValidateOptions<ReviewOptions>, ReviewOptionsValidator>();
        services.AddStorageResources(new StorageResource(StorageResourceKind.Table, ReviewTraces.Table));
        services.AddSingleton<ReviewTraces>();
        services.AddSingleton(sp =>
        {
            var review = sp.GetRequiredService<IOptions<ReviewOptions>>().Value;
            return new WeChatPushVerifier(
                review.PushToken,
                string.IsNullOrWhiteSpace(review.EncodingAesKey) ? null : review.EncodingAesKey.Trim(),
                sp.GetRequiredService<IOptions<WeChatOptions>>().Value.AppId,
                sp.GetRequiredService<TimeProvider>(),
                review.PushMaxAgeMinutes > 0 ? TimeSpan.FromMinutes(review.PushMaxAgeMinutes) : null);
        });
        return builder;
    }
}

/// <summary>
/// Refuses to start, outside Development with the review on, without a push token, with the sample's published one, or
/// without the EncodingAESKey: a plain-mode push's signature covers the query string only, not the verdict in its body, so
/// only safe-mode (encrypted) pushes are taken there.
/// </summary>
internal sealed class ReviewOptionsValidator(IHostEnvironment environment) : IValidateOptions<ReviewOptions>
{
    public ValidateOptionsResult Validate(string? name, ReviewOptions options)
    {
        var failures = new List<string>();
        var production = options.Enabled && !environment.IsDevelopment();
        if (production && string.IsNullOrWhiteSpace(options.PushToken))
        {
            failures.Add("Review__PushToken is required when Review__Enabled is on outside Development (WeChat's verdicts could not be verified).");
        }

        if (DevelopmentKeys.RefuseOutsideDevelopment(environment, "Review__PushToken", options.PushToken) is { } refused)
        {
            failures.Add(refused);
        }

        if (!string.IsNullOrWhiteSpace(options.EncodingAesKey) && options.EncodingAesKey.Trim().Length != 43)
        {
            failures.Add("Review__EncodingAesKey is 43 characters (or empty for plain pushes).");
        }
        else if (production && string.IsNullOrWhiteSpace(options.EncodingAesKey))
        {
            failures.Add("Review__EncodingAesKey is required when Review__Enabled is on outside Development: plain pushes are refused there, since their signature does not cover the verdict in their body (set the message server to safe mode).");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
