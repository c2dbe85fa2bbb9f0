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

    /// <summary>The playback-token signing key of test apps (base64 of 32 bytes).</summary>
    public const string PlaybackSigningKey = "dGVzdC1wbGF5YmFjay1zaWduaW5nLWtleS0zMi1ieXRlcyE=";

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Development");
        builder.ConfigureAppConfiguration((_, config) =>
        {
            var values = new Dictionary<string, string?>
            {
                ["AzureWebJobsStorage"] = storageConnectionString,
                ["Identity:AllowDevelopmentSignIn"] = "true",
                ["Identity:OperatorKeys"] = OperatorKey,
                ["LocalRuntime:UploadWatchIntervalSeconds"] = "0.5",
                ["Playback:SigningKey"] = PlaybackSigningKey,
                ["Logging:LogLevel:Default"] = "Warning",
            };
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
    public static HttpClient As(this HttpClient client, string user)
    {
        client.DefaultRequestHeaders.Remove("X-Dev-User");
        client.DefaultRequestHeaders.Add("X-Dev-User", user);
        return client;
    }

    public static HttpClient AsOperator(this HttpClient client)
    {
        client.DefaultRequestHeaders.Remove("x-functions-key");
        client.DefaultRequestHeaders.Add("x-functions-key", FunctionsAppFactory.OperatorKey);
        return client;
    }
}
