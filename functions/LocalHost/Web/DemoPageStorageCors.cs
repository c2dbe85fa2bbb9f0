using Microsoft.Extensions.Options;
using Serverless.Functions.Web;
using Serverless.Storage;

namespace Serverless.LocalHost.Web;

/// <summary>
/// With the demo page on and Azurite as storage, lets browsers fetch blobs through SAS URLs from any origin (the page's
/// hls.js reads segments from Azurite, another origin than the app's). A SAS is still required for every blob. Never
/// touches a real storage account: there, a web client's origins belong in the Bicep.
/// </summary>
internal sealed partial class DemoPageStorageCors(IOptions<WebOptions> options, IBlobCors cors, ILogger<DemoPageStorageCors> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!options.Value.DemoPage)
        {
            return;
        }

        if (!cors.IsDevelopmentStorage)
        {
            LogNotEmulator(logger);
            return;
        }

        await cors.AllowBrowserOriginsAsync(["*"], cancellationToken).ConfigureAwait(false);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 9000, Level = LogLevel.Warning, Message = "The demo page is on against a storage account that is not the emulator; its CORS rules are left alone, so in-browser playback may be refused")]
    private static partial void LogNotEmulator(ILogger logger);
}
