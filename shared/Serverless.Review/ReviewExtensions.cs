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
        services.AddOptions<ReviewOptions>().BindConfiguration(ReviewOptions.SectionName).ValidateDataAnnotations()
            .Validate(
                o => !o.Enabled || builder.Environment.IsDevelopment() || !string.IsNullOrWhiteSpace(o.PushToken),
                "Review__PushToken is required when Review__Enabled is on outside Development (WeChat's verdicts could not be verified).")
            .Validate(o => string.IsNullOrWhiteSpace(o.EncodingAesKey) || o.EncodingAesKey.Trim().Length == 43, "Review__EncodingAesKey is 43 characters (or empty for plain pushes).")
            .ValidateOnStart();
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
