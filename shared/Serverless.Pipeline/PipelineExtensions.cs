using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Serverless;
using Serverless.Functions;
using Serverless.Identity;
using Serverless.Pipeline.Review;
using Serverless.Storage;
using Serverless.Videos;

namespace Serverless.Pipeline;

public static class PipelineExtensions
{
    /// <summary>Registers the pipeline's activities, starter, admission slots and lifecycle (the orchestration is <see cref="VideoPipeline"/>); the catalog it writes is AddVideos'.</summary>
    public static IHostApplicationBuilder AddPipeline(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<PipelineOptions>()
            .BindConfiguration(PipelineOptions.SectionName)
            .ValidateDataAnnotations()
            .Validate(o => NCrontab.CrontabSchedule.TryParse(o.SweepSchedule, new NCrontab.CrontabSchedule.ParseOptions { IncludingSeconds = true }) is not null,
                "Pipeline__SweepSchedule is not a 6-field NCRONTAB expression.")
            .ValidateOnStart();
        builder.Services.AddStorageResources(
            new StorageResource(StorageResourceKind.Table, PipelineSlots.Table),
            new StorageResource(StorageResourceKind.Container, MediaLayout.ReviewContainer));
        builder.Services.AddSingleton<VideoLifecycle>();
        builder.Services.AddSingleton<LivePublishing>();
        builder.Services.AddSingleton<PipelineActivities>();
        builder.Services.AddSingleton<PipelineStarter>();
        builder.Services.AddSingleton<PipelineSlots>();
        builder.Services.AddSingleton<ReviewActivities>();
        builder.Services.AddSingleton<ReviewService>();
        builder.Services.TryAddSingleton(new PipelineScope("default")); // the app names it after its Durable task hub
        builder.Services.AddSingleton<WorkArea>();
        builder.Services.AddHostedService<WorkFolderCleanup>();
        return builder;
    }
}
