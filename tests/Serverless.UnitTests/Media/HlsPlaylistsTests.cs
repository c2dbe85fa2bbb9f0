using Serverless.Media;

namespace Serverless.UnitTests.Media;

public sealed class HlsPlaylistsTests
{
    /// <summary>What ffmpeg 5.1 writes for an MPEG-TS VOD rendition.</summary>
    private const string FfmpegTs = """
        #EXTM3U
        #EXT-X-VERSION:3
        #EXT-X-TARGETDURATION:6
        #EXT-X-MEDIA-SEQUENCE:0
        #EXT-X-PLAYLIST-TYPE:VOD
        #EXT-X-INDEPENDENT-SEGMENTS
        #EXTINF:6.000000,
        seg_00000.ts
        #EXTINF:6.000000,
        seg_00001.ts
        #EXTINF:2.033333,
        seg_00002.ts
        #EXT-X-ENDLIST

        """;

    private const string FfmpegFmp4 = "#EXTM3U\r\n#EXT-X-VERSION:7\r\n#EXT-X-TARGETDURATION:2\r\n#EXT-X-MEDIA-SEQUENCE:0\r\n#EXT-X-PLAYLIST-TYPE:VOD\r\n#EXT-X-INDEPENDENT-SEGMENTS\r\n#EXT-X-MAP:URI=\"init.mp4\"\r\n#EXTINF:2.000000,\r\nseg_00000.m4s\r\n#EXTINF:2.000000,\r\nseg_00001.m4s\r\n#EXT-X-ENDLIST\r\n";

    [Fact]
    public void ParseMedia_FfmpegMpegTs_AllTags()
    {
        var playlist = HlsPlaylists.ParseMedia(FfmpegTs);

        Assert.Equal((3, 6, 0L, "VOD", true, true, (string?)null), (playlist.Version, playlist.TargetDuration, playlist.MediaSequence, playlist.PlaylistType, playlist.EndList, playlist.IndependentSegments, playlist.MapUri));
        Assert.Equal([new MediaSegment("seg_00000.ts", 6, null), new MediaSegment("seg_00001.ts", 6, null), new MediaSegment("seg_00002.ts", 2.033333, null)], playlist.Segments);
        Assert.Equal(14.033333, playlist.TotalDuration, 6);
    }

    [Fact]
    public void ParseMedia_Fmp4WithCrLf_MapUri()
    {
        var playlist = HlsPlaylists.ParseMedia(FfmpegFmp4);

        Assert.Equal("init.mp4", playlist.MapUri);
        Assert.Equal(7, playlist.Version);
        Assert.Equal(2, playlist.Segments.Count);
    }

    [Fact]
    public void WriteMedia_ParsedFfmpegPlaylist_RoundTripsExactly()
    {
        Assert.Equal(FfmpegTs.Replace("6.000000", "6.0", StringComparison.Ordinal).Replace("\r\n", "\n", StringComparison.Ordinal),
            HlsPlaylists.WriteMedia(HlsPlaylists.ParseMedia(FfmpegTs)));
    }

    [Fact]
    public void WriteMedia_ThenParse_SameModel()
    {
        var model = new MediaPlaylistModel(7, 6, 3, "VOD", true, true, "https://host/init.mp4?sig=a%2Bb&se=1",
            [new MediaSegment("https://host/seg_00000.m4s?sig=x", 5.005, "first"), new MediaSegment("seg_00001.m4s", 0.041708, null)]);

        var parsed = HlsPlaylists.ParseMedia(HlsPlaylists.WriteMedia(model));

        Assert.Equal(model with { Segments = [] }, parsed with { Segments = [] });
        Assert.Equal(model.Segments, parsed.Segments);
    }

    [Fact]
    public void WriteMedia_NoTypeNoEndList_OmitsTags()
    {
        var text = HlsPlaylists.WriteMedia(new MediaPlaylistModel(3, 6, 0, null, false, false, null, [new MediaSegment("a.ts", 6, null)]));

        Assert.DoesNotContain("PLAYLIST-TYPE", text, StringComparison.Ordinal);
        Assert.DoesNotContain("ENDLIST", text, StringComparison.Ordinal);
        Assert.DoesNotContain("INDEPENDENT", text, StringComparison.Ordinal);
    }

    [Fact]
    public void WriteMedia_InvariantCulture()
    {
        var previous = Thread.CurrentThread.CurrentCulture;
        Thread.CurrentThread.CurrentCulture = new System.Globalization.CultureInfo("de-DE");
        try
        {
            var text = HlsPlaylists.WriteMedia(new MediaPlaylistModel(3, 6, 0, "VOD", true, true, null, [new MediaSegment("a.ts", 5.5, null)]));

            Assert.Contains("#EXTINF:5.5,\na.ts\n", text, StringComparison.Ordinal);
        }
        finally
        {
            Thread.CurrentThread.CurrentCulture = previous;
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("hello")]
    [InlineData("#EXTM3U\nseg.ts\n")]
    [InlineData("#EXTM3U\n#EXT-X-TARGETDURATION:six\n")]
    [InlineData("#EXTM3U\n#EXTINF:abc,\nseg.ts\n")]
    [InlineData("#EXTM3U\n#EXT-X-MAP:BYTERANGE=\"1@0\"\n")]
    public void ParseMedia_Malformed_ThrowsFormatException(string text)
    {
        Assert.Throws<FormatException>(() => HlsPlaylists.ParseMedia(text));
    }

    [Fact]
    public void ParseMaster_QuotedCodecsWithComma_Attributes()
    {
        const string master = """
            #EXTM3U
            #EXT-X-VERSION:3
            #EXT-X-INDEPENDENT-SEGMENTS
            #EXT-X-STREAM-INF:BANDWIDTH=1400000,AVERAGE-BANDWIDTH=900000,CODECS="avc1.64001e,mp4a.40.2",RESOLUTION=640x360,FRAME-RATE=30.000
            360p/index.m3u8
            #EXT-X-STREAM-INF:BANDWIDTH=5000000,CODECS="avc1.64001f"
            https://host/720p/index.m3u8?sig=a,b
            """;

        var variants = HlsPlaylists.ParseMaster(master);

        Assert.Equal(2, variants.Count);
        Assert.Equal("360p/index.m3u8", variants[0].Uri);
        Assert.Equal("1400000", variants[0].Attributes["BANDWIDTH"]);
        Assert.Equal("900000", variants[0].Attributes["AVERAGE-BANDWIDTH"]);
        Assert.Equal("avc1.64001e,mp4a.40.2", variants[0].Attributes["CODECS"]);
        Assert.Equal("640x360", variants[0].Attributes["RESOLUTION"]);
        Assert.Equal("30.000", variants[0].Attributes["FRAME-RATE"]);
        Assert.Equal("https://host/720p/index.m3u8?sig=a,b", variants[1].Uri);
        Assert.Equal("avc1.64001f", variants[1].Attributes["CODECS"]);
    }

    [Fact]
    public void ParseMaster_StreamInfWithoutUri_Throws()
    {
        Assert.Throws<FormatException>(() => HlsPlaylists.ParseMaster("#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\n"));
    }

    [Theory]
    [InlineData(new[] { 0.5 }, 1)]
    [InlineData(new[] { 0.4 }, 1)]
    [InlineData(new[] { 2.0, 2.0, 1.49 }, 2)]
    [InlineData(new[] { 2.0, 2.5 }, 3)]
    public void RequiredTargetDuration_LongestSegmentRoundedAndAtLeastOne(double[] durations, int expected)
    {
        var playlist = new MediaPlaylistModel(3, 0, 0, "VOD", true, true, null, durations.Select((d, i) => new MediaSegment($"seg_{i}.ts", d, null)).ToList());

        Assert.Equal(expected, playlist.RequiredTargetDuration);
        Assert.Empty(PlaylistValidator.Validate(playlist with { TargetDuration = playlist.RequiredTargetDuration }, durations.Sum()));
    }
}
