namespace Serverless.Media;

/// <summary>What ffprobe found in a source (or an output).</summary>
/// <param name="DurationSeconds">Container duration; 0 when unknown.</param>
/// <param name="SizeBytes">Container size when ffprobe knows it.</param>
/// <param name="FormatName">ffprobe's <c>format_name</c>, e.g. <c>mov,mp4,m4a,3gp,3g2,mj2</c>.</param>
/// <param name="Video">The first real video stream (cover art excluded), or null.</param>
/// <param name="Audio">The first audio stream, or null.</param>
public sealed record MediaInfo(double DurationSeconds, long? SizeBytes, string FormatName, VideoStreamInfo? Video, AudioStreamInfo? Audio);

/// <summary>A video stream as stored (coded size) plus its rotation.</summary>
/// <param name="Width">Coded width, before rotation.</param>
/// <param name="Height">Coded height, before rotation.</param>
/// <param name="Rotation">Clockwise rotation to apply for display: 0, 90, 180 or 270.</param>
/// <param name="FrameRate">Average frame rate (frames per second); 0 when unknown.</param>
public sealed record VideoStreamInfo(string Codec, int Width, int Height, int Rotation, double FrameRate, long? BitRate, string? PixelFormat)
{
    /// <summary>Width as displayed, after applying <see cref="Rotation"/> (90/270 swap width and height).</summary>
    public int DisplayWidth => IsQuarterTurn ? Height : Width;

    /// <summary>Height as displayed, after applying <see cref="Rotation"/>.</summary>
    public int DisplayHeight => IsQuarterTurn ? Width : Height;

    /// <summary>True when the displayed picture is taller than wide.</summary>
    public bool IsPortrait => DisplayHeight > DisplayWidth;

    private bool IsQuarterTurn => Rotation is 90 or 270;
}

/// <summary>An audio stream.</summary>
public sealed record AudioStreamInfo(string Codec, int Channels, int SampleRate, long? BitRate);
