using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Serverless.Functions;
using Serverless.Storage;

namespace Serverless.Videos;

public static class VideosExtensions
{
    /// <summary>
    /// Registers the video catalog (the <c>Videos</c> table and its Ready index), uploads (<see cref="UploadService"/>,
    /// <see cref="UploadOptions"/>), the containers of a video's blobs and the upload events.
    /// </summary>
    public static IHostApplicationBuilder AddVideos(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<UploadOptions>()
            .BindConfiguration(UploadOptions.SectionName)
            .ValidateDataAnnotations()
            .Validate(o => o.UploadExpiryMinutes > o.UploadUrlMinutes,
                "Pipeline__UploadExpiryMinutes must exceed Pipeline__UploadUrlMinutes (an upload still allowed to arrive would be failed).")
            .ValidateOnStart();
        builder.Services.AddStorageResources(
            new StorageResource(StorageResourceKind.Container, MediaLayout.Container),
            new StorageResource(StorageResourceKind.Table, VideoRepository.Table),
            new StorageResource(StorageResourceKind.Table, VideoRepository.ReadyIndexTable));
        builder.Services.AddUploadEvents();
        builder.Services.AddSingleton<VideoRepository>();
        builder.Services.AddSingleton<IVideoCatalog>(sp => sp.GetRequiredService<VideoRepository>());
        builder.Services.AddSingleton<UploadService>();
        builder.Services.AddSingleton<ChunkedUploadService>();
        builder.Services.AddSingleton<VideoQueries>();
        return builder;
    }

    /// <summary>
    /// Where upload events arrive: the uploads container's BlobCreated events go to the upload queue
    /// (<c>Pipeline__UploadQueue</c>), which exists. Event Grid routes them in Azure (Bicep), the uploads watcher locally.
    /// </summary>
    public static IServiceCollection AddUploadEvents(this IServiceCollection services)
    {
        services.AddOptions<UploadOptions>().BindConfiguration(UploadOptions.SectionName);
        services.AddStorageResources(new StorageResource(StorageResourceKind.Container, MediaLayout.UploadsContainer));
        services.AddSingleton(sp => new StorageResource(StorageResourceKind.Queue, UploadQueue(sp)));
        services.AddSingleton(sp => new BlobCreatedSubscription(MediaLayout.UploadsContainer, UploadQueue(sp)));
        return services;
    }

    private static string UploadQueue(IServiceProvider services) =>
        services.GetRequiredService<IOptions<UploadOptions>>().Value.UploadQueue is { Length: > 0 } queue
            ? queue
            : throw new InvalidOperationException("Pipeline__UploadQueue is not set: the queue the uploads container's BlobCreated events go to.");
}
