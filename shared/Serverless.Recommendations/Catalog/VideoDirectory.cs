using Microsoft.Extensions.DependencyInjection;

namespace Serverless.Recommendations.Catalog;

/// <summary>A Ready video as the recommender needs it: who uploaded it (the per-author cap), when (freshness), how long (watch fractions).</summary>
public sealed record CatalogVideo(string VideoId, string OwnerId, DateTimeOffset CreatedAt, double DurationSeconds);

/// <summary>
/// The video catalog as the recommender sees it. Implemented by the pipeline area, which owns the catalog; the
/// recommendations area registers no implementation of its own.
/// </summary>
public interface IVideoDirectory
{
    /// <summary>Every video that is Ready to play.</summary>
    Task<IReadOnlyList<CatalogVideo>> ListReadyAsync(CancellationToken cancellationToken);

    /// <summary>Whether a video with this id exists (in any state).</summary>
    Task<bool> ExistsAsync(string videoId, CancellationToken cancellationToken);
}

/// <summary>
/// Resolves <see cref="IVideoDirectory"/> when first used, so the app starts even before the catalog is wired, and
/// fails with a message naming the missing registration instead of at start-up for every area.
/// </summary>
internal sealed class VideoDirectoryAccessor(IServiceProvider services)
{
    public IVideoDirectory Directory => services.GetService<IVideoDirectory>()
        ?? throw new InvalidOperationException("No IVideoDirectory is registered: the pipeline area provides the video catalog to the recommender.");
}
