using Serverless.IntegrationTests.Infrastructure;
using Serverless.Media;

namespace Serverless.IntegrationTests.Media;

/// <summary>The posters come out of the ladder's own decode: JPEGs in display orientation, the early one first.</summary>
public sealed class PosterExtractorTests(TestClips clips) : IClassFixture<TestClips>
{
    public static TheoryData<string, int, int> Clips => new()
    {
        { "landscape", 320, 180 },
        { "rotated", 180, 320 },
    };

    [Theory]
    [MemberData(nameof(Clips))]
    public async Task Transcode_Clip_PostersAreJpegsInDisplayOrientation(string kind, int width, int height)
    {
        using var host = new MediaTestHost();
        var input = kind == "rotated" ? await clips.RotatedPortraitAsync() : await clips.LandscapeAsync();
        var source = await host.Probe.ProbeAsync(input, default);
        var rung = kind == "rotated" ? new Rendition("180p", 180, 320, 300, 450, 450, 64, "3.0") : new Rendition("180p", 320, 180, 300, 450, 450, 64, "3.0");
        var output = MediaTestHost.NewOutputDirectory();
        var listener = new RecordingListener();

        try
        {
            var result = await host.Transcoder.TranscodeAsync(new TranscodeRequest(input, output, source, [rung], HlsSegmentFormat.MpegTs, 2, 1), null, listener, default);

            Assert.Equal(Path.Combine(output, "poster.jpg"), result.PosterPath);
            Assert.Equal([false, true], listener.Posters.Select(p => p.Representative));
            foreach (var (path, _) in listener.Posters)
            {
                var bytes = await File.ReadAllBytesAsync(path);
                Assert.Equal(new byte[] { 0xFF, 0xD8, 0xFF }, bytes[..3]);
                Assert.Equal((width, height, "mjpeg"), await MediaAssertions.VideoSizeAsync(path));
            }
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }

    private sealed class RecordingListener : IHlsOutputListener
    {
        public List<(string Path, bool Representative)> Posters { get; } = [];

        public Task OnSegmentsAsync(LiveRendition rendition, CancellationToken cancellationToken) => Task.CompletedTask;

        public Task OnPosterAsync(string path, bool representative, CancellationToken cancellationToken)
        {
            Posters.Add((path, representative));
            return Task.CompletedTask;
        }
    }
}
