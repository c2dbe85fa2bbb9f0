using Serverless.IntegrationTests.Infrastructure;
using Serverless.Media;

namespace Serverless.IntegrationTests.Media;

public sealed class PosterExtractorTests(TestClips clips) : IClassFixture<TestClips>
{
    public static TheoryData<string, int, int> Clips => new()
    {
        { "landscape", 320, 180 },
        { "rotated", 180, 320 },
    };

    [Theory]
    [MemberData(nameof(Clips))]
    public async Task Extract_Clip_JpegInDisplayOrientation(string kind, int width, int height)
    {
        using var host = new MediaTestHost();
        var input = kind == "rotated" ? await clips.RotatedPortraitAsync() : await clips.LandscapeAsync();
        var source = await host.Probe.ProbeAsync(input, default);
        var output = MediaTestHost.NewOutputDirectory();
        var jpeg = Path.Combine(output, "nested", "poster.jpg");

        try
        {
            await host.Posters.ExtractAsync(input, jpeg, source, default);

            var bytes = await File.ReadAllBytesAsync(jpeg);
            Assert.Equal(new byte[] { 0xFF, 0xD8, 0xFF }, bytes[..3]);
            Assert.Equal((width, height, "mjpeg"), await MediaAssertions.VideoSizeAsync(jpeg));
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }
}
