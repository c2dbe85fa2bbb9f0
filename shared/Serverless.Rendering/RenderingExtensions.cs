using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Serverless.Media;

namespace Serverless.Rendering;

public static class RenderingExtensions
{
    /// <summary>The template renderer, on the media area's ffmpeg settings (section <c>Media</c>).</summary>
    public static IHostApplicationBuilder AddRendering(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddMedia();
        builder.Services.TryAddSingleton<ITemplateRenderer, FfmpegTemplateRenderer>();
        return builder;
    }
}
