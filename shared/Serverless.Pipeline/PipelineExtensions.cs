using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Serverless;
using Serverless.Functions;
using Serverless.Identity;
using Serverless.Pipeline.Review;
using Serverless.Review;
using Serverless.Storage;
using Microsoft.Extensions.Options;

namespace Serverless.Pipeline;

public static class PipelineExtensions
{
    /// <summary>Registers uploads, the video catalog, the pipeline's activities and starter, and its functions (the orchestration is <see cref="VideoPipeline"/>).</summary>
    public static IHostApplicationBuilder AddPipeline(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<PipelineOptions>()
            .BindConfiguration(PipelineOptions.SectionName)
            .ValidateDataAnnotations()
            .Validate(o => NCrontab.CrontabSchedule.TryParse(o.SweepSchedule, new NCrontab.CrontabSchedule.ParseOptions { IncludingSeconds = true }) is not null,
                "Pipeline__SweepSchedule is not a 6-field NCRONTAB expression.")
            .Validate(o => o.UploadExpiryMinutes > o.UploadUrlMinutes,
                "Pipeline__UploadExpiryMinutes must exceed Pipeline__UploadUrlMinutes (an upload still allowed to arrive would be failed).")
            .ValidateOnStart();
        builder.Services.AddStorageResources(
            new StorageResource(StorageResourceKind.Container, MediaLayout.Container),
            new StorageResource(StorageResourceKind.Table, VideoRepository.Table),
            new StorageResource(StorageResourceKind.Table, VideoRepository.ReadyIndexTable),
            new StorageResource(StorageResourceKind.Table, PipelineSlots.Table),
            new StorageResource(StorageResourceKind.Container, MediaLayout.ReviewContainer));
        builder.Services.AddUploadEvents();
        builder.Services.AddSingleton<VideoRepository>();
        builder.Services.AddSingleton<IVideoCatalog>(sp => sp.GetRequiredService<VideoRepository>());
        builder.Services.AddSingleton<UploadService>();
        builder.Services.AddSingleton<VideoLifecycle>();
        builder.Services.AddSingleton<PipelineActivities>();
        builder.Services.AddSingleton<PipelineStarter>();
        builder.Services.AddSingleton<PipelineSlots>();
        builder.AddContentReview();
        builder.Services.AddSingleton<ReviewActivities>();
        builder.Services.AddSingleton<ReviewApi>();
        builder.Services.AddSingleton(sp =>
        {
            var review = sp.GetRequiredService<IOptions<ReviewOptions>>().Value;
            return new WeChatPushVerifier(
                review.PushToken,
                string.IsNullOrWhiteSpace(review.EncodingAesKey) ? null : review.EncodingAesKey.Trim(),
                sp.GetRequiredService<IOptions<WeChatOptions>>().Value.AppId,
                sp.GetRequiredService<TimeProvider>(),
                review.PushMaxAgeMinutes > 0 ? TimeSpan.FromMinutes(review.PushMaxAgeMinutes) : null);
        });
        builder.Services.TryAddSingleton(new PipelineScope("default")); // the app names it after its Durable task hub
        builder.Services.AddSingleton<WorkArea>();
        builder.Services.AddHostedService<WorkFolderCleanup>();
        return builder;
    }

    /// <summary>
    /// Where upload events arrive: the uploads container's BlobCreated events go to the upload queue
    /// (<c>Pipeline__UploadQueue</c>), which exists. Event Grid routes them in Azure (Bicep), the uploads watcher locally.
    /// </summary>
    public static IServiceCollection AddUploadEvents(this IServiceCollection services)
    {
        services.AddOptions<PipelineOptions>().BindConfiguration(PipelineOptions.SectionName);
        services.AddStorageResources(new StorageResource(StorageResourceKind.Container, MediaLayout.UploadsContainer));
        services.AddSingleton(sp => new StorageResource(StorageResourceKind.Queue, UploadQueue(sp)));
        services.AddSingleton(sp => new BlobCreatedSubscription(MediaLayout.UploadsContainer, UploadQueue(sp)));
        return services;
    }

    private static string UploadQueue(IServiceProvider services) =>
        services.GetRequiredService<IOptions<PipelineOptions>>().Value.UploadQueue is { Length: > 0 } queue
            ? queue
            : throw new InvalidOperationException("Pipeline__UploadQueue is not set: the queue the uploads container's BlobCreated events go to.");
}
