using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Serverless.Media;
using Serverless.Media.Processes;

namespace Serverless.IntegrationTests.Media;

/// <summary>The Media area's services as <c>AddMedia</c> registers them, with settings overrides.</summary>
internal sealed class MediaTestHost : IDisposable
{
    private readonly ServiceProvider _services;

    public MediaTestHost(IDictionary<string, string?>? settings = null)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(settings ?? new Dictionary<string, string?>());
        builder.AddMedia();
        _services = builder.Services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });
    }

    public IMediaProbe Probe => _services.GetRequiredService<IMediaProbe>();

    /// <summary>The probe of the app's own outputs (HLS playlists and segments), which uploads never get.</summary>
    public Serverless.Media.Probing.FfprobeMediaProbe OutputProbe => _services.GetRequiredService<Serverless.Media.Probing.FfprobeMediaProbe>();

    public IHlsTranscoder Transcoder => _services.GetRequiredService<IHlsTranscoder>();

    public ILadderPlanner Planner => _services.GetRequiredService<ILadderPlanner>();

    public MediaOptions Options => _services.GetRequiredService<Microsoft.Extensions.Options.IOptions<MediaOptions>>().Value;

    public MediaProcessRunner Runner => _services.GetRequiredService<MediaProcessRunner>();

    public static string NewOutputDirectory() => Directory.CreateTempSubdirectory("media-out-").FullName;

    public static Dictionary<string, string?> Settings(params (string Key, object Value)[] values) =>
        values.ToDictionary(v => "Media:" + v.Key, v => (string?)Convert.ToString(v.Value, CultureInfo.InvariantCulture));

    public void Dispose() => _services.Dispose();
}
