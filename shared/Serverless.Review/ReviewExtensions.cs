using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Serverless.Identity;
using Serverless.Storage;

namespace Serverless.Review;

public static class ReviewExtensions
{
    /// <summary>Registers WeChat's content check: the shared access token, the quota, the trace table and the push verifier.</summary>
    public static IHostApplicationBuilder AddContentReview(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<ReviewOptions>().BindConfiguration(ReviewOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<IValidateOptions<ReviewOptions>, ReviewOptionsValidator>();
        services.AddStorageResources(
            new StorageResource(StorageResourceKind.Container, WeChatAccessTokens.Container),
            new StorageResource(StorageResourceKind.Table, CallQuota.Table),
            new StorageResource(StorageResourceKind.Table, ReviewTraces.Table));
        services.AddHttpClient<WeChatServerApi>((sp, http) =>
            {
                var baseUrl = sp.GetRequiredService<IOptions<WeChatOptions>>().Value.BaseUrl;
                http.BaseAddress = new Uri(baseUrl.EndsWith('/') ? baseUrl : baseUrl + "/");
                http.Timeout = Timeout.InfiniteTimeSpan; // the resilience pipeline times each attempt
                http.MaxResponseContentBufferSize = WeChatServerApi.MaxReplyBytes;
            })
            .RemoveAllLoggers(); // request URIs carry the access token: never log them
        services.AddSingleton<IWeChatAccessTokens, WeChatAccessTokens>();
        services.AddSingleton<CallQuota>();
        services.AddSingleton<IMediaCheck, MediaCheckService>();
        services.AddSingleton<ReviewTraces>();
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
