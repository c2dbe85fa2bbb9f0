using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;

namespace Serverless.IntegrationTests.Infrastructure;

/// <summary>
/// The real function app in-process (WebApplicationFactory) against the run's Azurite, with the local runtime on
/// unless a test turns it off. Extra settings override the defaults, as app settings would.
/// </summary>
public sealed class FunctionsAppFactory(string storageConnectionString, IReadOnlyDictionary<string, string?>? settings = null)
    : WebApplicationFactory<Program>
{
    public const string OperatorKey = "test-operator-key";

    /// <summary>Fixed test keys (not secrets), so tokens and user ids agree across app instances in one test.</summary>
    public const string SigningKeys = "test-current:dGVzdC1zaWduaW5nLWtleS1jdXJyZW50LTAxMjM0NTY3ODk=,test-previous:dGVzdC1zaWduaW5nLWtleS1wcmV2aW91cy0wMTIzNDU2Nzg5";

    public const string UserIdKey = "dGVzdC11c2VyLWlkLWtleS0wMTIzNDU2Nzg5LWFiY2RlZg==";

    /// <summary>Settings every test app starts with (the rate limits are high so tests never throttle each other's sign-ins).</summary>
    public static IReadOnlyDictionary<string, string> DefaultSettings { get; } = new Dictionary<string, string>
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
    };

    /// <summary>A client of the in-memory server that can sign in with <see cref="TestUsers.As"/>.</summary>
    public new HttpClient CreateClient() => CreateDefaultClient(new DevSignInHandler());

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Development");
        builder.ConfigureAppConfiguration((_, config) =>
        {
            var values = new Dictionary<string, string?>
            {
                ["AzureWebJobsStorage"] = storageConnectionString,
                ["LocalRuntime:UploadWatchIntervalSeconds"] = "0.5",
                ["Logging:LogLevel:Default"] = "Warning",
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
    /// <summary>Marks the client's requests for <see cref="DevSignInHandler"/>; the header never reaches the app.</summary>
    public const string SignInMarker = "X-Test-Sign-In-As";

    /// <summary>
    /// Signs the client in as <c>dev-{user}</c>: its requests carry a bearer token from <c>POST /api/auth/login</c> with the code
    /// <c>dev:{user}</c>, obtained on the first request (clients from <see cref="FunctionsAppFactory.CreateClient"/> or
    /// <see cref="AppProcess.CreateClient"/>, which carry <see cref="DevSignInHandler"/>).
    /// </summary>
    public static HttpClient As(this HttpClient client, string user)
    {
        client.DefaultRequestHeaders.Authorization = null;
        client.DefaultRequestHeaders.Remove(SignInMarker);
        client.DefaultRequestHeaders.Add(SignInMarker, user);
        return client;
    }

    /// <summary>Signs in as <paramref name="user"/> and returns what the login endpoint answered.</summary>
    public static async Task<LoginBody> SignInAsync(this HttpClient client, string user)
    {
        using var response = await client.PostAsJsonAsync("/api/auth/login", new { code = "dev:" + user });
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<LoginBody>(JsonOptions))!;
    }

    public static HttpClient AsOperator(this HttpClient client)
    {
        client.DefaultRequestHeaders.Remove("x-functions-key");
        client.DefaultRequestHeaders.Add("x-functions-key", FunctionsAppFactory.OperatorKey);
        return client;
    }

    internal static readonly System.Text.Json.JsonSerializerOptions JsonOptions = new(System.Text.Json.JsonSerializerDefaults.Web);

    public sealed record LoginBody(string Token, DateTimeOffset ExpiresAt, string UserId);
}

/// <summary>
/// Replaces the <see cref="TestUsers.SignInMarker"/> header with <c>Authorization: Bearer</c>, signing in through the app's
/// real login endpoint once per user (the test server offers no synchronous send, so <see cref="TestUsers.As"/> cannot sign in itself).
/// </summary>
public sealed class DevSignInHandler : DelegatingHandler
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, Lazy<Task<string>>> _tokens = new();

    public DevSignInHandler()
    {
    }

    public DevSignInHandler(HttpMessageHandler inner)
        : base(inner)
    {
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.Headers.TryGetValues(TestUsers.SignInMarker, out var values))
        {
            var user = values.Single();
            request.Headers.Remove(TestUsers.SignInMarker);
            var token = await _tokens.GetOrAdd(user, u => new Lazy<Task<string>>(() => SignInAsync(request.RequestUri!, u, cancellationToken))).Value;
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return await base.SendAsync(request, cancellationToken);
    }

    private async Task<string> SignInAsync(Uri any, string user, CancellationToken cancellationToken)
    {
        using var login = new HttpRequestMessage(HttpMethod.Post, new Uri(any, "/api/auth/login"))
        {
            Content = JsonContent.Create(new { code = "dev:" + user }),
        };
        using var response = await base.SendAsync(login, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            _tokens.TryRemove(user, out _);
            throw new InvalidOperationException($"Sign-in as {user} answered {(int)response.StatusCode}.");
        }

        return (await response.Content.ReadFromJsonAsync<TestUsers.LoginBody>(TestUsers.JsonOptions, cancellationToken))!.Token;
    }
}
