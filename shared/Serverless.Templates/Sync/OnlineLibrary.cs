using System.Collections.Concurrent;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Serverless.Templates.Library;

namespace Serverless.Templates.Sync;

/// <summary>The online library as clients see it, held in memory and refreshed when the library version moves.</summary>
public interface IOnlineLibrary
{
    /// <summary>The current snapshot; loads it on first use.</summary>
    ValueTask<LibrarySnapshot> GetAsync(CancellationToken cancellationToken);

    /// <summary>Checks the library version (one read) and reloads what changed.</summary>
    Task RefreshAsync(CancellationToken cancellationToken);
}

internal sealed partial class OnlineLibrary(ITemplateLibrary library, ILogger<OnlineLibrary> logger) : IOnlineLibrary
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private volatile LibrarySnapshot? _snapshot;

    public ValueTask<LibrarySnapshot> GetAsync(CancellationToken cancellationToken)
    {
        var snapshot = _snapshot;
        return snapshot is not null ? ValueTask.FromResult(snapshot) : new ValueTask<LibrarySnapshot>(LoadFirstAsync(cancellationToken));
    }

    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var current = _snapshot;
            if (current is not null && await library.GetVersionAsync(cancellationToken).ConfigureAwait(false) == current.Version)
            {
                return;
            }

            _snapshot = await LoadAsync(current, cancellationToken).ConfigureAwait(false);
            LogRefreshed(_snapshot.Version, _snapshot.Templates.Count);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<LibrarySnapshot> LoadFirstAsync(CancellationToken cancellationToken)
    {
        await RefreshAsync(cancellationToken).ConfigureAwait(false);
        return _snapshot!;
    }

    /// <summary>Reads the rows changed since <paramref name="previous"/> (all rows the first time) and applies them to it.</summary>
    private async Task<LibrarySnapshot> LoadAsync(LibrarySnapshot? previous, CancellationToken cancellationToken)
    {
        var state = await library.ReadOnlineAsync(previous?.Version, cancellationToken).ConfigureAwait(false);
        var templates = new ConcurrentDictionary<string, OnlineTemplate>(previous?.Templates ?? new Dictionary<string, OnlineTemplate>(), StringComparer.Ordinal);
        var removed = (previous?.Removed ?? []).ToDictionary(r => r.Id, r => r.ChangedVersion, StringComparer.Ordinal);
        foreach (var entry in state.Entries.Where(e => e.Removed))
        {
            templates.TryRemove(entry.Id, out _);
            removed[entry.Id] = entry.ChangedVersion;
        }

        var live = state.Entries.Where(e => !e.Removed).ToList();
        foreach (var entry in live)
        {
            removed.Remove(entry.Id);
        }

        await Parallel.ForEachAsync(live, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = cancellationToken }, async (entry, ct) =>
        {
            if (previous?.Templates.TryGetValue(entry.Id, out var known) == true && known.Blob == entry.Blob)
            {
                templates[entry.Id] = known with { ChangedVersion = entry.ChangedVersion, FirstPublishedAt = entry.FirstPublishedAt };
                return;
            }

            var document = await library.ReadPublishedAsync(entry.Blob, ct).ConfigureAwait(false);
            templates[entry.Id] = OnlineTemplate.FromPublished(document, entry.Blob, entry.ChangedVersion, entry.FirstPublishedAt);
        }).ConfigureAwait(false);
        return new LibrarySnapshot(Math.Max(state.Version, previous?.Version ?? 0), templates, removed.Select(r => (r.Key, r.Value)));
    }

    [LoggerMessage(EventId = 5010, Level = LogLevel.Information, Message = "Online template library loaded at version {LibraryVersion} with {TemplateCount} templates")]
    private partial void LogRefreshed(long libraryVersion, int templateCount);
}

/// <summary>Polls the library version every <see cref="TemplatesOptions.RefreshSeconds"/> so every instance follows publishes made elsewhere.</summary>
internal sealed partial class OnlineLibraryRefresher(IOnlineLibrary online, IOptions<TemplatesOptions> options, TimeProvider time, ILogger<OnlineLibraryRefresher> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.Value.RefreshSeconds), time);
        do
        {
            try
            {
                await online.RefreshAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogRefreshFailed(ex);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    [LoggerMessage(EventId = 5011, Level = LogLevel.Warning, Message = "Refreshing the online template library failed; serving the previous snapshot")]
    private partial void LogRefreshFailed(Exception exception);
}
