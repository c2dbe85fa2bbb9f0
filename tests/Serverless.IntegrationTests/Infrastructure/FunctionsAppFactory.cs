using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Serverless.Functions;

namespace Serverless.IntegrationTests.Infrastructure;

/// <summary>
/// The real function app in-process (WebApplicationFactory) against the run's Azurite, with the local runtime on
/// unless a test turns it off. Extra settings override the defaults, as app settings would.
/// </summary>
/// <param name="configureServices">Registrations added after the app's own (e.g. the token and transport of an identity-based test connection).</param>
public sealed class FunctionsAppFactory(
    string? storageConnectionString,
    IReadOnlyDictionary<string, string?>? settings = null,
    Action<Microsoft.Extensions.DependencyInjection.IServiceCollection>? configureServices = null)
    : WebApplicationFactory<Program>
{
    public const string OperatorKey = "test-operator-key";

    /// <summary>Fixed test keys (not secrets), so tokens and user ids agree across app instances in one test.</summary>
    public const string SigningKeys = "test-current:dGVzdC1zaWduaW5nLWtleS1jdXJyZW50LTAxMjM0NTY3ODk=,test-previous:dGVzdC1zaWduaW5nLWtleS1wcmV2aW91cy0wMTIzNDU2Nzg5";

    public const string UserIdKey = "dGVzdC11c2VyLWlkLWtleS0wMTIzNDU2Nzg5LWFiY2RlZg==";

    /// <summary>
    /// Settings every test app starts with: the ones the Functions host reads in trigger attributes as the sample settings
    /// give them (<see cref="BindingSettings"/>), and test keys; the rate limits are high so tests never throttle each
    /// other's sign-ins.
    /// </summary>
    public static IReadOnlyDictionary<string, string> DefaultSettings { get; } = new Dictionary<string, string>(
        BindingSettings.All.Select(key => KeyValuePair.Create(key, RepoFiles.SampleSettings()[key.Replace(":", "__", StringComparison.Ordinal)]!)))
    {
        ["Identity:AllowDevelopmentSignIn"] = "true",
        ["Identity:OperatorKeys"] = OperatorKey,
        ["Identity:SigningKeys"] = SigningKeys,
        ["Identity:UserIdKey"] = UserIdKey,
        ["Edge:LoginPermitsPerMinutePerIp"] = "100000",
        ["Edge:UploadPermitsPerMinutePerUser"] = "100000",
        ["Edge:UploadPermitsPerMinutePerIp"] = "100000",
        ["Edge:EventPermitsPerMinutePerUser"] = "100000",
        ["Edge:EventPermitsPerMinutePerIp"] = "100000",
        ["Review:Enabled"] = "false", // the review's own tests turn it on, with a fake WeChat
    };

    /// <summary>The upload queue of test apps (the sample settings' <c>Pipeline__UploadQueue</c>).</summary>
    public static string UploadQueue => DefaultSettings[BindingSettings.UploadQueue];

    /// <summary>The playback-token signing key of test apps (base64 of 32 bytes).</summary>
    public const string PlaybackSigningKey = "dGVzdC1wbGF5YmFjay1zaWduaW5nLWtleS0zMi1ieXRlcyE=";

    /// <summary>The app setting that overrides host.json's Durable task hub name (as app settings do under the Functions host).</summary>
    public const string TaskHubSetting = "AzureFunctionsJobHost:extensions:durableTask:hubName";

    /// <summary>
    /// This app's own task hub: test apps share the run's Azurite, and apps on one hub run each other's orchestrations.
    /// A test that wants two apps on one hub passes the same <see cref="TaskHubSetting"/>.
    /// </summary>
    public string TaskHub { get; } = settings?.TryGetValue(TaskHubSetting, out var hub) == true && hub is not null ? hub : NewTaskHub();

    public static string NewTaskHub() => "t" + Guid.NewGuid().ToString("N")[..24];

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Development");
        if (configureServices is not null)
        {
            builder.ConfigureServices(configureServices);
        }

        builder.ConfigureAppConfiguration((_, config) =>
        {
            var values = new Dictionary<string, string?>
            {
                ["AzureWebJobsStorage"] = storageConnectionString,
                ["LocalRuntime:UploadWatchIntervalSeconds"] = "0.5",
                ["Playback:SigningKey"] = PlaybackSigningKey,
                ["Logging:LogLevel:Default"] = "Warning",
                [TaskHubSetting] = TaskHub,
            };
            foreach (var (key, value) in DefaultSettings)
            {
                values[key] = value;
            }

            foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
            {
                values[key] = value;
            }

            config.AddInMemoryCollection(values);
        });
    }
}

/// <summary>How tests sign in. One place, so the sign-in mechanism can change without touching every test.</summary>
public static class TestUsers
{
    /// <summary>
    /// Signs the client in as <c>dev-{user}</c> through <c>POST /api/auth/login</c> with the code <c>dev:{user}</c> and sends
    /// the token as <c>Authorization: Bearer</c> from then on. Synchronous so tests can chain it; the in-memory test server
    /// has no synchronous send, so the sign-in runs on the thread pool and is waited for (it takes milliseconds).
    /// </summary>
    public static HttpClient As(this HttpClient client, string user)
    {
        client.DefaultRequestHeaders.Authorization = null;
        var login = Task.Run(() => client.SignInAsync(user)).GetAwaiter().GetResult();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", login.Token);
        return client;
    }

    /// <summary>Signs in as <paramref name="user"/> and returns what the login endpoint answered.</summary>
    public static async Task<LoginBody> SignInAsync(this HttpClient client, string user)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/auth/login") { Content = JsonContent.Create(new { code = "dev:" + user }) };
        request.Headers.Authorization = null;
        using var response = await client.SendAsync(request).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"Sign-in as {user} answered {(int)response.StatusCode}.");
        }

        return (await response.Content.ReadFromJsonAsync<LoginBody>(JsonOptions).ConfigureAwait(false))!;
    }

    public static HttpClient AsOperator(this HttpClient client)
    {
        client.DefaultRequestHeaders.Remove("x-functions-key");
        client.DefaultRequestHeaders.Add("x-functions-key", FunctionsAppFactory.OperatorKey);
        return client;
    }

    private static readonly System.Text.Json.JsonSerializerOptions JsonOptions = new(System.Text.Json.JsonSerializerDefaults.Web);

    public sealed record LoginBody(string Token, DateTimeOffset ExpiresAt, string UserId);
}
