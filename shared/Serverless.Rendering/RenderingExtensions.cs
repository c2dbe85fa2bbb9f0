using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Serverless.Media;
using Serverless.Rendering.Images;
using Serverless.Storage;

namespace Serverless.Rendering;

public static class RenderingExtensions
{
    /// <summary>
    /// Making videos from photos: the photos (<see cref="ImageOptions"/>, the <c>Images</c> table), render requests
    /// (<see cref="RenderOptions"/>), the template resources stored for rendering, and the renderer. Needs the template
    /// library and the video catalog (<c>AddTemplates</c>, <c>AddVideos</c>).
    /// </summary>
    public static IHostApplicationBuilder AddRendering(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddTemplateRenderer();
        builder.Services.AddOptions<ImageOptions>().BindConfiguration(ImageOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddOptions<RenderOptions>().BindConfiguration(RenderOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddStorageResources(new StorageResource(StorageResourceKind.Table, ImageLayout.Table));
        builder.Services.TryAddSingleton<ImageRepository>();
        builder.Services.TryAddSingleton<ImageIntake>();
        builder.Services.TryAddSingleton<RenderAssets>();
        builder.Services.TryAddSingleton<RenderService>();
        builder.Services.TryAddSingleton<RenderSources>();
        return builder;
    }

    /// <summary>The template renderer alone, on the media area's ffmpeg settings (section <c>Media</c>).</summary>
    public static IHostApplicationBuilder AddTemplateRenderer(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddMedia();
        builder.Services.TryAddSingleton<ITemplateRenderer, FfmpegTemplateRenderer>();
        return builder;
    }
}
