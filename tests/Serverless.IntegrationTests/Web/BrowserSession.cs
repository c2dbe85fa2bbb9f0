using Microsoft.Playwright;
using Serverless.IntegrationTests.Infrastructure;

namespace Serverless.IntegrationTests.Web;

/// <summary>
/// The function app as its own process (demo page on, local runtime running the pipeline) and Debian's headless
/// Chromium driven by Playwright. Playwright's own browser download is not used: <c>CHROMIUM_PATH</c> or
/// <c>/usr/bin/chromium</c> (<c>./dev.sh test</c> installs the Debian package).
/// </summary>
public sealed class BrowserSession : IAsyncLifetime
{
    public static readonly string[] ChromiumArgs =
    [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--autoplay-policy=no-user-gesture-required",
    ];

    private IPlaywright? _playwright;

    public AppProcess App { get; private set; } = null!;

    public IBrowser Browser { get; private set; } = null!;

    public static string ChromiumPath => Environment.GetEnvironmentVariable("CHROMIUM_PATH") is { Length: > 0 } p ? p : "/usr/bin/chromium";

    /// <summary>Where screenshots go: <c>TEST_RESULTS_DIR</c> (dev.sh sets it) or .local/test-results in the repository.</summary>
    public static string ResultsDirectory =>
        Environment.GetEnvironmentVariable("TEST_RESULTS_DIR") is { Length: > 0 } d ? d : RepoFiles.Path(".local", "test-results");

    public async Task InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            throw new InvalidOperationException($"Chromium is not at {ChromiumPath}: apt-get install chromium (./dev.sh test does), or set CHROMIUM_PATH.");
        }

        var azurite = await new AzuriteFixture().InitializeAndGetAsync();
        App = await AppProcess.StartAsync(azurite.ConnectionString, new Dictionary<string, string>
        {
            ["Web__DemoPage"] = "true",
            ["Media__Preset"] = "ultrafast",
            ["Media__FfmpegPath"] = PacedFfmpeg.Create(Directory.CreateTempSubdirectory("browser-ffmpeg-").FullName), // played while produced
            [FunctionsAppFactory.TaskHubSetting] = FunctionsAppFactory.NewTaskHub(), // the run's shared Azurite: a hub of its own
        });
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ChromiumArgs,
            Timeout = 60_000,
        });
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.CloseAsync();
        }

        _playwright?.Dispose();
        if (App is not null)
        {
            await App.DisposeAsync();
        }
    }
}

internal static class AzuriteFixtureExtensions
{
    /// <summary>The run-wide Azurite (started on first use).</summary>
    public static async Task<AzuriteFixture> InitializeAndGetAsync(this AzuriteFixture fixture)
    {
        await fixture.InitializeAsync();
        return fixture;
    }
}
