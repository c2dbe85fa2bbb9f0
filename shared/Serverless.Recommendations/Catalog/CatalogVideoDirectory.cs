using Serverless.Videos;

namespace Serverless.Recommendations.Catalog;

/// <summary>The recommender's view of the pipeline's video catalog: the Ready index for listing, the catalog for existence.</summary>
internal sealed class CatalogVideoDirectory(IVideoCatalog catalog) : IVideoDirectory
{
    public async Task<IReadOnlyList<CatalogVideo>> ListReadyAsync(CancellationToken cancellationToken)
    {
        var videos = new List<CatalogVideo>();
        await foreach (var video in catalog.EnumerateReadyAsync(cancellationToken).ConfigureAwait(false))
        {
            videos.Add(new CatalogVideo(video.VideoId, video.OwnerId, video.ReadyAt, video.DurationSeconds));
        }

        return videos;
    }

    public async Task<bool> ExistsAsync(string videoId, CancellationToken cancellationToken) =>
        VideoIds.IsValid(videoId) && await catalog.GetAsync(videoId, cancellationToken).ConfigureAwait(false) is not null;
}
