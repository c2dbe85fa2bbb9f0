using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Hosting;

namespace Serverless.Playback;

public static class PlaybackExtensions
{
    /// <summary>Registers the Playback area's services, options, storage resources and functions.</summary>
    public static IHostApplicationBuilder AddPlayback(this IHostApplicationBuilder builder) => builder;

    /// <summary>Maps the Playback area's HTTP routes.</summary>
    public static IEndpointRouteBuilder MapPlaybackApi(this IEndpointRouteBuilder endpoints) => endpoints;
}
