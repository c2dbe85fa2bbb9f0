namespace Serverless.Media;

/// <summary>Content types and cache headers of published HLS files.</summary>
public static class HlsContentTypes
{
    public const string Playlist = "application/vnd.apple.mpegurl";

    public static string For(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".m3u8" => Playlist,
        ".ts" => "video/mp2t",
        ".m4s" => "video/iso.segment",
        ".mp4" => "video/mp4",
        ".jpg" or ".jpeg" => "image/jpeg",
        _ => "application/octet-stream",
    };

    /// <summary>Segments never change once written (immutable); playlists are served signed by the app, never cached.</summary>
    public static string CacheControlFor(string path) =>
        For(path) == Playlist ? "no-cache" : "private, max-age=31536000, immutable";
}
