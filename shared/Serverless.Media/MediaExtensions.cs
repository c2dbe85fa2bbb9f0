using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Serverless.Media.Probing;
using Serverless.Media.Processes;
using Serverless.Media.Transcoding;

namespace Serverless.Media;

public static class MediaExtensions
{
    /// <summary>Registers <see cref="MediaOptions"/> (section <c>Media</c>) and the ffmpeg-backed probe, ladder planner, transcoder and poster extractor.</summary>
    public static IHostApplicationBuilder AddMedia(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<MediaOptions>()
            .BindConfiguration(MediaOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.TryAddSingleton<MediaProcessRunner>();
        builder.Services.TryAddSingleton<FfprobeMediaProbe>();
        builder.Services.TryAddSingleton<IMediaProbe>(sp => sp.GetRequiredService<FfprobeMediaProbe>());
        builder.Services.TryAddSingleton<IHlsTranscoder, FfmpegHlsTranscoder>();
        builder.Services.TryAddSingleton<ILadderPlanner, PerTitleLadderPlanner>();
        return builder;
    }

}
