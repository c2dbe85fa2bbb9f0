using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Serverless.Recommendations.Training;
using Serverless.Storage;

namespace Serverless.Recommendations.Serving;

/// <summary>
/// Polls the <c>latest</c> pointer and, when it names a new version, loads that blob off the request path and swaps
/// the served snapshot in one reference assignment: no restart, no request waits on a load.
/// </summary>
internal sealed partial class ModelReloader(ModelRepository repository, ModelHolder holder, IOptions<ServingOptions> options, TimeProvider time, ILogger<ModelReloader> logger)
    : BackgroundService
{
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>Checks the pointer now; true when a new version was loaded.</summary>
    public async Task<bool> RefreshAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var pointer = await repository.ReadPointerAsync(cancellationToken).ConfigureAwait(false);
            if (pointer is null || pointer.Version == holder.Current?.Version)
            {
                return false;
            }

            var snapshot = await Task.Run(() => repository.LoadAsync(pointer, cancellationToken), cancellationToken).ConfigureAwait(false);
            holder.Swap(snapshot);
            LogLoaded(pointer.Version, pointer.Algorithm);
            return true;
        }
        finally
        {
            _gate.Release();
        }
    }

    public override void Dispose()
    {
        _gate.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await RefreshAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is StorageException or InvalidDataException or System.Text.Json.JsonException)
            {
                // Keep serving what we have.
                LogReloadFailed(ex.Message);
            }

            try
            {
                await Task.Delay(TimeSpan.FromSeconds(options.Value.ReloadIntervalSeconds), time, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    [LoggerMessage(EventId = 4200, Level = LogLevel.Information, Message = "Serving recommender model {Version} ({Algorithm})")]
    private partial void LogLoaded(string version, string algorithm);

    [LoggerMessage(EventId = 4201, Level = LogLevel.Warning, Message = "Could not reload the recommender model; the current one keeps serving: {Reason}")]
    private partial void LogReloadFailed(string reason);
}
