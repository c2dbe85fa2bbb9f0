using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Serverless.Storage;

namespace Serverless.WeChat;

public static class WeChatExtensions
{
    /// <summary>
    /// Registers WeChat's server API once for every area that calls it: the credentials (<see cref="WeChatOptions"/>), one
    /// HTTP client setup shared by the API's typed clients, <c>code2Session</c>, the shared access token, the media check
    /// within the quota, and the WeChat users table. Safe to call more than once.
    /// </summary>
    public static IHostApplicationBuilder AddWeChat(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        if (services.Any(d => d.ServiceType == typeof(WeChatMarker)))
        {
            return builder;
        }

        services.AddSingleton<WeChatMarker>();
        services.AddOptions<WeChatOptions>().BindConfiguration(WeChatOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<IValidateOptions<WeChatOptions>, WeChatOptionsValidator>();
        services.AddOptions<MediaCheckOptions>().BindConfiguration(MediaCheckOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddStorageResources(
            new StorageResource(StorageResourceKind.Table, WeChatUserDirectory.Table),
            new StorageResource(StorageResourceKind.Container, WeChatAccessTokens.Container),
            new StorageResource(StorageResourceKind.Table, CallQuota.Table));
        services.AddSingleton<IWeChatUsers, WeChatUserDirectory>();
        services.AddSingleton<WeChatResilience>();
        services.AddHttpClient<IWeChatSessionClient, WeChatSessionClient>(ConfigureClient).RemoveAllLoggers();
        services.AddHttpClient<WeChatServerApi>(ConfigureClient).RemoveAllLoggers();
        services.AddSingleton<IWeChatAccessTokens, WeChatAccessTokens>();
        services.AddSingleton<CallQuota>();
        services.AddSingleton<IMediaCheck, MediaCheckService>();
        return builder;
    }

    /// <summary>
    /// The one setup of every WeChat HTTP client: the API's base address, no client timeout (the resilience pipelines time
    /// each attempt), a bound on what a reply may buffer, and no request logging (URIs carry the AppSecret or the token).
    /// </summary>
    private static void ConfigureClient(IServiceProvider services, HttpClient http)
    {
        var baseUrl = services.GetRequiredService<IOptions<WeChatOptions>>().Value.BaseUrl;
        http.BaseAddress = new Uri(baseUrl.EndsWith('/') ? baseUrl : baseUrl + "/");
        http.Timeout = Timeout.InfiniteTimeSpan;
        http.MaxResponseContentBufferSize = WeChatServerApi.MaxReplyBytes;
    }

    private sealed class WeChatMarker;
}

/// <summary>Refuses to start outside Development without the mini-program's AppID and AppSecret.</summary>
internal sealed class WeChatOptionsValidator(IHostEnvironment environment) : IValidateOptions<WeChatOptions>
{
    public ValidateOptionsResult Validate(string? name, WeChatOptions options) =>
        options.IsConfigured || environment.IsDevelopment()
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail("WeChat__AppId and WeChat__AppSecret are required outside Development.");
}
