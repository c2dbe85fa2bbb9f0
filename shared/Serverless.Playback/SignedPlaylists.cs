using System.Text;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Serverless.Storage;
using Serverless.Videos;

namespace Serverless.Playback;

/// <summary>A playlist answer: the signed text, or why there is none.</summary>
/// <param name="Growing">A media playlist of a video still being produced: clients must fetch it again, not keep it.</param>
internal readonly record struct SignedPlaylist(byte[]? Content, bool Malformed, bool Growing = false)
{
    public static SignedPlaylist Missing { get; } = new(null, false);

    public static SignedPlaylist Invalid { get; } = new(null, true);
}

/// <summary>
/// Serves a video's playlists signed for one token: the master with each child playlist URI carrying the token, each
/// media playlist with every segment (and init segment) URI replaced by a read-only single-blob service SAS.
/// Complete playlists never change, so their parsed templates are cached in memory; a media playlist still growing (no
/// ENDLIST: the video is playable while it is produced) is kept only <see cref="GrowingTemplateLifetime"/>, and loading a
/// complete one drops the video's cached master, which is rewritten with the measured bandwidths just before the media
/// playlists are completed. The signed text of
/// a media playlist depends only on the segment expiry, which is the token expiry + the clip's duration + the margin,
/// rounded up to <see cref="PlaybackOptions.SegmentExpiryGranularitySeconds"/>, so it is cached per expiry window and
/// every token of that window gets the same bytes. No URL is served past its token: a cached entry is keyed by the
/// exact segment expiry it carries.
/// </summary>
internal sealed partial class SignedPlaylists : IDisposable
{
    private static readonly TimeSpan TemplateIdle = TimeSpan.FromMinutes(30);

    /// <summary>How long a growing media playlist's template is reused: below a segment's duration, so a new one is seen at once.</summary>
    internal static readonly TimeSpan GrowingTemplateLifetime = TimeSpan.FromSeconds(1);

    private readonly IBlobStore _blobs;
    private readonly MediaUrls _media;
    private readonly TimeProvider _time;
    private readonly ILogger<SignedPlaylists> _logger;
    private readonly MemoryCache _cache;
    private readonly long _marginSeconds;
    private readonly long _granularitySeconds;

    public SignedPlaylists(IBlobStore blobs, MediaUrls media, IOptions<PlaybackOptions> options, TimeProvider time, ILogger<SignedPlaylists> logger)
    {
        _blobs = blobs;
        _media = media;
        _time = time;
        _logger = logger;
        _marginSeconds = options.Value.SegmentExpiryMarginSeconds;
        _granularitySeconds = options.Value.SegmentExpiryGranularitySeconds;
        _cache = new MemoryCache(new MemoryCacheOptions { SizeLimit = options.Value.PlaylistCacheMegabytes * 1024L * 1024L });
    }

    /// <summary>The master playlist with <c>{rendition}/index.m3u8?token=…</c> child URIs (relative to the master's URL).</summary>
    public async Task<SignedPlaylist> GetMasterAsync(string videoId, string token, CancellationToken cancellationToken)
    {
        var master = await GetMasterTemplateAsync(videoId, cancellationToken).ConfigureAwait(false);
        if (master?.Value is not { } template)
        {
            return master is null ? SignedPlaylist.Missing : SignedPlaylist.Invalid;
        }

        var text = template.Template.Render(token, static (sb, t, rendition) =>
            sb.Append(rendition).Append('/').Append(PlaylistTemplates.RenditionPlaylistFile).Append("?token=").Append(t));
        return new SignedPlaylist(Encoding.UTF8.GetBytes(text), false);
    }

    /// <summary>A media playlist whose segment URIs are SAS URLs valid until <see cref="SegmentExpiry"/> for this token expiry.</summary>
    public async Task<SignedPlaylist> GetMediaAsync(string videoId, string rendition, DateTimeOffset tokenExpiry, CancellationToken cancellationToken)
    {
        var master = await GetMasterTemplateAsync(videoId, cancellationToken).ConfigureAwait(false);
        if (master?.Value is not { } masterTemplate)
        {
            return master is null ? SignedPlaylist.Missing : SignedPlaylist.Invalid;
        }

        if (!masterTemplate.Renditions.Contains(rendition))
        {
            return SignedPlaylist.Missing;
        }

        var loaded = await GetMediaTemplateAsync(videoId, rendition, cancellationToken).ConfigureAwait(false);
        if (loaded?.Value is not { } media)
        {
            return loaded is null ? SignedPlaylist.Missing : SignedPlaylist.Invalid;
        }

        var expiry = SegmentExpiry(tokenExpiry, media.DurationSeconds, _marginSeconds, _granularitySeconds);
        if (!media.Complete)
        {
            // Growing: signed for each request (its segments change every few seconds).
            return new SignedPlaylist(Sign(media, expiry), false, Growing: true);
        }

        var key = new SignedKey(videoId, rendition, expiry.ToUnixTimeSeconds());
        if (_cache.TryGetValue(key, out byte[]? signed) && signed is not null)
        {
            return new SignedPlaylist(signed, false);
        }

        signed = Sign(media, expiry);

        // Useful while a token can still map to this expiry; the key carries the expiry, so even a late hit is exact.
        var lastTokenExpiry = expiry - TimeSpan.FromSeconds(_marginSeconds + Math.Ceiling(media.DurationSeconds));
        var lifetime = lastTokenExpiry - _time.GetUtcNow();
        _cache.Set(key, signed, new MemoryCacheEntryOptions
        {
            Size = signed.Length,
            AbsoluteExpirationRelativeToNow = lifetime > TimeSpan.FromSeconds(1) ? lifetime : TimeSpan.FromSeconds(1),
        });
        return new SignedPlaylist(signed, false);
    }

    /// <summary>Token expiry + the clip's duration + the margin, rounded up to the granularity (whole seconds, as SAS expiries are).</summary>
    public static DateTimeOffset SegmentExpiry(DateTimeOffset tokenExpiry, double durationSeconds, long marginSeconds, long granularitySeconds)
    {
        var seconds = tokenExpiry.ToUnixTimeSeconds() + (long)Math.Ceiling(durationSeconds) + marginSeconds;
        var rounded = (seconds + granularitySeconds - 1) / granularitySeconds * granularitySeconds;
        return DateTimeOffset.FromUnixTimeSeconds(rounded);
    }

    public void Dispose() => _cache.Dispose();

    private byte[] Sign(MediaPlaylistTemplate media, DateTimeOffset expiry) =>
        Encoding.UTF8.GetBytes(media.Template.Render((Media: _media, Expiry: expiry), static (sb, s, blob) =>
            sb.Append(s.Media.Read(MediaLayout.Container, blob, s.Expiry).AbsoluteUri), uriLengthHint: 256));

    private Task<Parsed<MasterPlaylistTemplate>?> GetMasterTemplateAsync(string videoId, CancellationToken cancellationToken) =>
        GetTemplateAsync(new MasterKey(videoId), MediaLayout.MasterPlaylist(videoId), text => PlaylistTemplates.ParseMaster(text, videoId), videoId, cancellationToken);

    private Task<Parsed<MediaPlaylistTemplate>?> GetMediaTemplateAsync(string videoId, string rendition, CancellationToken cancellationToken) =>
        GetTemplateAsync(
            new MediaKey(videoId, rendition),
            MediaLayout.RenditionPlaylist(videoId, rendition),
            text => PlaylistTemplates.ParseMedia(text, videoId, rendition),
            videoId,
            cancellationToken,
            media => media.Complete ? null : GrowingTemplateLifetime,
            media =>
            {
                // The video was completed: its master was rewritten (measured bandwidths) before this playlist.
                if (media.Complete)
                {
                    _cache.Remove(new MasterKey(videoId));
                }
            });

    /// <summary>
    /// The parsed playlist (cached), null when the blob does not exist; a malformed one is remembered for a minute. A template
    /// for which <paramref name="lifetime"/> gives a value is kept only that long (else until idle for <see cref="TemplateIdle"/>);
    /// <paramref name="loaded"/> is told of each template read from storage.
    /// </summary>
    private async Task<Parsed<T>?> GetTemplateAsync<T>(
        object key, string blob, Func<string, T> parse, string videoId, CancellationToken cancellationToken, Func<T, TimeSpan?>? lifetime = null, Action<T>? loaded = null)
        where T : class
    {
        if (_cache.TryGetValue(key, out Parsed<T>? cached))
        {
            return cached;
        }

        var text = await _blobs.ReadTextAsync(MediaLayout.Container, blob, cancellationToken).ConfigureAwait(false);
        if (text is null)
        {
            return null;
        }

        Parsed<T> parsed;
        try
        {
            parsed = new Parsed<T>(parse(text));
            var entry = new MemoryCacheEntryOptions { Size = (text.Length * 2L) + 256 };
            if (lifetime?.Invoke(parsed.Value!) is { } shortLived)
            {
                entry.AbsoluteExpirationRelativeToNow = shortLived;
            }
            else
            {
                entry.SlidingExpiration = TemplateIdle;
            }

            _cache.Set(key, parsed, entry);
            loaded?.Invoke(parsed.Value!);
        }
        catch (FormatException ex)
        {
            LogMalformed(ex, videoId, blob);
            parsed = new Parsed<T>(null);
            _cache.Set(key, parsed, new MemoryCacheEntryOptions { Size = 1, AbsoluteExpirationRelativeToNow = TimeSpan.FromMinutes(1) });
        }

        return parsed;
    }

    [LoggerMessage(EventId = 301, Level = LogLevel.Error, Message = "Video {VideoId}: the published playlist {Blob} cannot be served")]
    private partial void LogMalformed(Exception exception, string videoId, string blob);

    private sealed record MasterKey(string VideoId);

    private sealed record MediaKey(string VideoId, string Rendition);

    private sealed record SignedKey(string VideoId, string Rendition, long SegmentExpiry);

    /// <summary>A playlist as read from storage: its template, or null when it cannot be served.</summary>
    private sealed record Parsed<T>(T? Value)
        where T : class;
}
