using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Serverless.Storage;

namespace Serverless.Functions;

/// <summary>Creates the containers, queues and tables the areas declared, before anything else runs. Retries while storage starts.</summary>
internal sealed partial class StorageStartup(IStorageProvisioner provisioner, ILogger<StorageStartup> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await provisioner.EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (StorageUnavailableException ex) when (attempt < 10)
            {
                LogRetry(ex.Message, attempt);
                await Task.Delay(TimeSpan.FromSeconds(Math.Min(attempt, 5)), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 110, Level = LogLevel.Warning, Message = "Storage not reachable yet ({Reason}); attempt {Attempt}")]
    private partial void LogRetry(string reason, int attempt);
}
