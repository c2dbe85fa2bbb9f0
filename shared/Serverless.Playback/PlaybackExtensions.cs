using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Serverless.Playback;

public static class PlaybackExtensions
{
    /// <summary>Registers playback tokens (keys validated at start-up), the signed playlists and the playback functions.</summary>
    public static IHostApplicationBuilder AddPlayback(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<PlaybackOptions>()
            .BindConfiguration(PlaybackOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<PlaybackOptions>, PlaybackOptionsValidator>();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<IPlaybackTokens, PlaybackTokenService>();
        builder.Services.AddSingleton<MediaUrls>();
        builder.Services.AddSingleton<SignedPlaylists>();
        builder.Services.AddSingleton<ReadyVideoCache>();
        builder.Services.AddSingleton<Serverless.Videos.IVideoChangeObserver>(sp => sp.GetRequiredService<ReadyVideoCache>());
        builder.Services.AddSingleton<VideoStateCache>();
        builder.Services.AddSingleton<Serverless.Videos.IVideoChangeObserver>(sp => sp.GetRequiredService<VideoStateCache>());
        builder.Services.AddSingleton<PlaylistAccess>();
        builder.Services.AddSingleton<PlaybackService>();
        return builder;
    }
}

/// <summary>Refuses to start with a signing key that is not base64 of at least 32 bytes (or, current or previous, is the published development key outside Development), or a bad public base URL.</summary>
internal sealed class PlaybackOptionsValidator(IHostEnvironment environment) : IValidateOptions<PlaybackOptions>
{
    public ValidateOptionsResult Validate(string? name, PlaybackOptions options)
    {
        var failures = new List<string>();
        if (DevelopmentKeys.RefuseOutsideDevelopment(environment, "Playback__SigningKey", options.SigningKey) is { } refused)
        {
            failures.Add(refused);
        }

        if (DevelopmentKeys.RefuseOutsideDevelopment(environment, "Playback__PreviousSigningKey", options.PreviousSigningKey) is { } refusedPrevious)
        {
            failures.Add(refusedPrevious);
        }

        var current = SigningKey.Parse(options.SigningKey);
        if (!string.IsNullOrWhiteSpace(options.SigningKey) && current is null)
        {
            failures.Add($"Playback__SigningKey must be base64 of at least {PlaybackOptions.MinKeyBytes} random bytes.");
        }

        if (!string.IsNullOrWhiteSpace(options.PreviousSigningKey))
        {
            var previous = SigningKey.Parse(options.PreviousSigningKey);
            if (previous is null)
            {
                failures.Add($"Playback__PreviousSigningKey must be empty or base64 of at least {PlaybackOptions.MinKeyBytes} random bytes.");
            }
            else if (current is not null && previous.Id.AsSpan().SequenceEqual(current.Id))
            {
                failures.Add("Playback__PreviousSigningKey must differ from Playback__SigningKey (generate a new current key).");
            }
        }

        if (!string.IsNullOrEmpty(options.PublicBaseUrl)
            && !(Uri.TryCreate(options.PublicBaseUrl, UriKind.Absolute, out var uri) && uri.Scheme is "https" or "http" && string.IsNullOrEmpty(uri.Query)))
        {
            failures.Add("Playback__PublicBaseUrl must be empty or an absolute http(s) URL without a query.");
        }

        if (!string.IsNullOrEmpty(options.MediaBaseUrl)
            && !(Uri.TryCreate(options.MediaBaseUrl, UriKind.Absolute, out var media) && media.Scheme is "https" or "http" && string.IsNullOrEmpty(media.Query)))
        {
            failures.Add("Playback__MediaBaseUrl must be empty or an absolute http(s) URL without a query.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
