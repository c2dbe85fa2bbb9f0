using Serverless.Media;

namespace Serverless.UnitTests.Media;

internal static class MediaSamples
{
    public static MediaInfo Source(int width, int height, int rotation = 0, double fps = 30, bool audio = true, double duration = 30, long? size = 10_000_000) =>
        new(duration, size, "mov,mp4,m4a,3gp,3g2,mj2",
            new VideoStreamInfo("h264", width, height, rotation, fps, 8_000_000, "yuv420p"),
            audio ? new AudioStreamInfo("aac", 2, 48000, 128_000) : null);

    public static string Fixture(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Media", "Fixtures", name));
}
