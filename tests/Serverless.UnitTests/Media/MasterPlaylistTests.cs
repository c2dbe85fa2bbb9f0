using Serverless.Media;

namespace Serverless.UnitTests.Media;

public sealed class MasterPlaylistTests
{
    private static RenditionOutput Output(string name, int width, int height, long peak, long average, string codecs = "avc1.64001f,mp4a.40.2", double fps = 29.97002997, string ext = ".ts") =>
        new(new Rendition(name, width, height, 1000, 1500, 1500, 128, "3.1"), $"/out/{name}/index.m3u8", [$"/out/{name}/seg_00000{ext}", $"/out/{name}/index.m3u8"], peak, average, codecs, fps);

    [Fact]
    public void Write_Renditions_SortedByBandwidthWithAllAttributes()
    {
        var text = MasterPlaylist.Write(
            [Output("720p", 1280, 720, 3_100_000, 2_500_000), Output("360p", 640, 360, 950_123, 700_456, "avc1.64001e,mp4a.40.2")],
            r => r.Rendition.Name + "/index.m3u8");

        Assert.Equal(
            """
            #EXTM3U
            #EXT-X-VERSION:3
            #EXT-X-INDEPENDENT-SEGMENTS
            #EXT-X-STREAM-INF:BANDWIDTH=950123,AVERAGE-BANDWIDTH=700456,CODECS="avc1.64001e,mp4a.40.2",RESOLUTION=640x360,FRAME-RATE=29.970
            360p/index.m3u8
            #EXT-X-STREAM-INF:BANDWIDTH=3100000,AVERAGE-BANDWIDTH=2500000,CODECS="avc1.64001f,mp4a.40.2",RESOLUTION=1280x720,FRAME-RATE=29.970
            720p/index.m3u8

            """.Replace("\r\n", "\n", StringComparison.Ordinal),
            text);
    }

    [Fact]
    public void Write_Fmp4Renditions_Version7()
    {
        var text = MasterPlaylist.Write([Output("360p", 640, 360, 1, 1, ext: ".m4s")], r => "a.m3u8");

        Assert.Contains("#EXT-X-VERSION:7\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Write_ThenParseMaster_AttributesRoundTrip()
    {
        var text = MasterPlaylist.Write([Output("360p", 360, 640, 800_000, 600_000, "avc1.64001e", 30)], r => "https://h/360p/index.m3u8?sig=x");

        var (uri, attributes) = Assert.Single(HlsPlaylists.ParseMaster(text));

        Assert.Equal("https://h/360p/index.m3u8?sig=x", uri);
        Assert.Equal("avc1.64001e", attributes["CODECS"]);
        Assert.Equal("360x640", attributes["RESOLUTION"]);
        Assert.Equal("30.000", attributes["FRAME-RATE"]);
    }

    [Fact]
    public void Write_InvariantCulture()
    {
        var previous = Thread.CurrentThread.CurrentCulture;
        Thread.CurrentThread.CurrentCulture = new System.Globalization.CultureInfo("fr-FR");
        try
        {
            Assert.Contains("FRAME-RATE=25.000", MasterPlaylist.Write([Output("a", 2, 2, 1, 1, fps: 25)], r => "a"), StringComparison.Ordinal);
        }
        finally
        {
            Thread.CurrentThread.CurrentCulture = previous;
        }
    }
}
