using Serverless.Playback;

namespace Serverless.UnitTests.Playback;

public sealed class PlaylistTemplateTests
{
    private const string Video = "0123456789abcdef0123456789abcdef";

    private const string Master = """
        #EXTM3U
        #EXT-X-VERSION:7
        #EXT-X-INDEPENDENT-SEGMENTS
        # a comment that is dropped
        #EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aud",NAME="main",DEFAULT=YES,URI="audio/index.m3u8"
        #EXT-X-STREAM-INF:BANDWIDTH=400000,AVERAGE-BANDWIDTH=350000,CODECS="avc1.64000d,mp4a.40.2",RESOLUTION=320x180,FRAME-RATE=15.000,AUDIO="aud"
        180p/index.m3u8
        #EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=90000,URI="./360p/../180p/index.m3u8"

        #EXT-X-STREAM-INF:BANDWIDTH=900000,AVERAGE-BANDWIDTH=800000,CODECS="avc1.64001e,mp4a.40.2",RESOLUTION=640x360,FRAME-RATE=30.000,AUDIO="aud"
        360p/index.m3u8
        """;

    private const string FragmentedMedia = """
        #EXTM3U
        #EXT-X-VERSION:7
        #EXT-X-TARGETDURATION:2
        #EXT-X-MEDIA-SEQUENCE:0
        #EXT-X-PLAYLIST-TYPE:VOD
        #EXT-X-MAP:URI="init.mp4"
        #EXTINF:2.000000,
        seg_00000.m4s
        #EXTINF:2.000000,
        ./seg_00001.m4s
        #EXTINF:1.500000,
        ../360p/seg_00002.m4s
        #EXT-X-ENDLIST
        """;

    [Fact]
    public void ParseMaster_EveryChildUri_ReplacedWithTokenizedRendition()
    {
        var master = PlaylistTemplates.ParseMaster(Master, Video);

        var text = master.Template.Render("TOKEN", (sb, t, r) => sb.Append(r).Append("/index.m3u8?token=").Append(t));

        Assert.Equal(["180p", "360p", "audio"], master.Renditions.Order(StringComparer.Ordinal));
        Assert.Equal(["audio", "180p", "180p", "360p"], master.Template.References);
        Assert.Contains("URI=\"audio/index.m3u8?token=TOKEN\"", text, StringComparison.Ordinal);
        Assert.Contains("URI=\"180p/index.m3u8?token=TOKEN\"", text, StringComparison.Ordinal);
        Assert.DoesNotContain("comment", text, StringComparison.Ordinal);
        var uriLines = Lines(text).Where(l => !l.StartsWith('#')).ToList();
        Assert.Equal(["180p/index.m3u8?token=TOKEN", "360p/index.m3u8?token=TOKEN"], uriLines);
        Assert.All(Lines(Master).Where(l => l.StartsWith("#EXT-X-STREAM-INF", StringComparison.Ordinal)), l => Assert.Contains(l, Lines(text)));
    }

    [Fact]
    public void ParseMedia_EveryUriIncludingMap_ReplacedWithResolvedBlob()
    {
        var media = PlaylistTemplates.ParseMedia(FragmentedMedia, Video, "180p");

        var text = media.Template.Render(0, (sb, _, blob) => sb.Append("https://store/media/").Append(blob).Append("?sig"));

        Assert.Equal(5.5, media.DurationSeconds, 6);
        Assert.Equal(
            [$"{Video}/hls/180p/init.mp4", $"{Video}/hls/180p/seg_00000.m4s", $"{Video}/hls/180p/seg_00001.m4s", $"{Video}/hls/360p/seg_00002.m4s"],
            media.Template.References);
        Assert.Contains($"#EXT-X-MAP:URI=\"https://store/media/{Video}/hls/180p/init.mp4?sig\"", text, StringComparison.Ordinal);
        var uriLines = Lines(text).Where(l => !l.StartsWith('#')).ToList();
        Assert.Equal(3, uriLines.Count);
        Assert.All(uriLines, l => Assert.StartsWith("https://store/media/" + Video + "/hls/", l, StringComparison.Ordinal));
        Assert.Contains("#EXT-X-ENDLIST", Lines(text));
        Assert.Equal(3, Lines(text).Count(l => l.StartsWith("#EXTINF:", StringComparison.Ordinal)));
    }

    [Fact]
    public void ParseMedia_TransportStreamWithCrLf_EverySegmentReplaced()
    {
        var text = "#EXTM3U\r\n#EXT-X-TARGETDURATION:1\r\n#EXTINF:1.0,\r\nseg_00000.ts\r\n#EXTINF:1.0,\r\nseg_00001.ts\r\n#EXT-X-ENDLIST\r\n";

        var media = PlaylistTemplates.ParseMedia(text, Video, "360p");
        var rendered = media.Template.Render(0, (sb, _, blob) => sb.Append('[').Append(blob).Append(']'));

        Assert.Equal(
            $"#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1.0,\n[{Video}/hls/360p/seg_00000.ts]\n#EXTINF:1.0,\n[{Video}/hls/360p/seg_00001.ts]\n#EXT-X-ENDLIST\n",
            rendered);
    }

    [Theory]
    [InlineData("https://evil.example/seg.ts")]
    [InlineData("//evil.example/seg.ts")]
    [InlineData("/devstoreaccount1/media/other/seg.ts")]
    [InlineData("../../../fedcba9876543210fedcba9876543210/hls/360p/seg_00000.ts")]
    [InlineData("../../../../seg.ts")]
    [InlineData("../../poster.jpg")]
    [InlineData("seg_00000.ts?sig=x")]
    [InlineData("seg%2F00000.ts")]
    [InlineData("..\\..\\x.ts")]
    [InlineData("../index.m3u8")]
    public void ParseMedia_UriOutsideTheVideosHls_Refused(string uri)
    {
        var text = $"#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1.0,\n{uri}\n#EXT-X-ENDLIST\n";

        Assert.Throws<FormatException>(() => PlaylistTemplates.ParseMedia(text, Video, "360p"));
    }

    [Fact]
    public void ParseMedia_MapOutsideTheVideo_Refused()
    {
        var text = "#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXT-X-MAP:URI=\"https://evil.example/init.mp4\"\n#EXTINF:1.0,\nseg.m4s\n#EXT-X-ENDLIST\n";

        Assert.Throws<FormatException>(() => PlaylistTemplates.ParseMedia(text, Video, "360p"));
    }

    [Theory]
    [InlineData("360p/other.m3u8")]
    [InlineData("360p/seg_00000.ts")]
    [InlineData("https://evil.example/360p/index.m3u8")]
    [InlineData("../x/hls/360p/index.m3u8")]
    [InlineData("a/b/index.m3u8")]
    [InlineData("index.m3u8")]
    public void ParseMaster_ChildThatIsNotARenditionPlaylist_Refused(string uri)
    {
        var text = $"#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\n{uri}\n";

        Assert.Throws<FormatException>(() => PlaylistTemplates.ParseMaster(text, Video));
    }

    [Theory]
    [InlineData("")]
    [InlineData("not a playlist\n360p/index.m3u8\n")]
    [InlineData("#EXTM3U\n#EXT-X-VERSION:3\n")]
    public void ParseMaster_NotAMasterPlaylist_Refused(string text)
    {
        Assert.Throws<FormatException>(() => PlaylistTemplates.ParseMaster(text, Video));
    }

    [Theory]
    [InlineData("a/b/", "c.ts", "a/b/c.ts")]
    [InlineData("a/b/", "./c.ts", "a/b/c.ts")]
    [InlineData("a/b/", "../c.ts", "a/c.ts")]
    [InlineData("a/b/", "x/../c.ts", "a/b/c.ts")]
    [InlineData("a/b/", "../../../c.ts", null)]
    [InlineData("a/b/", "c/", null)]
    [InlineData("a/b/", "/c.ts", null)]
    [InlineData("a/b/", "", null)]
    public void Resolve_RelativeUri_NormalizedInsideRoot(string folder, string uri, string? expected)
    {
        Assert.Equal(expected, PlaylistTemplates.Resolve(folder, uri));
    }

    [Theory]
    [InlineData("2026-03-01T12:10:00Z", 3.0, 60, 30, "2026-03-01T12:11:30Z")]
    [InlineData("2026-03-01T12:10:00Z", 2.2, 60, 30, "2026-03-01T12:11:30Z")]
    [InlineData("2026-03-01T12:10:00Z", 0.0, 60, 30, "2026-03-01T12:11:00Z")]
    [InlineData("2026-03-01T12:10:01Z", 0.0, 60, 30, "2026-03-01T12:11:30Z")]
    [InlineData("2026-03-01T12:10:07Z", 180.0, 60, 1, "2026-03-01T12:14:07Z")]
    public void SegmentExpiry_TokenExpiryPlusDurationPlusMargin_RoundedUp(string tokenExpiry, double duration, long margin, long granularity, string expected)
    {
        var expiry = SignedPlaylists.SegmentExpiry(DateTimeOffset.Parse(tokenExpiry, System.Globalization.CultureInfo.InvariantCulture), duration, margin, granularity);

        Assert.Equal(DateTimeOffset.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), expiry);
    }

    [Theory]
    [InlineData("360p", true)]
    [InlineData("stream_0", true)]
    [InlineData("a-b", true)]
    [InlineData("", false)]
    [InlineData("..", false)]
    [InlineData("a/b", false)]
    [InlineData("a.b", false)]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false)]
    public void IsValidRendition_Name_OnlySafeShortNames(string name, bool valid)
    {
        Assert.Equal(valid, PlaylistTemplates.IsValidRendition(name));
    }

    private static List<string> Lines(string text) =>
        text.Split('\n').Select(l => l.TrimEnd('\r').Trim()).Where(l => l.Length > 0).ToList();
}
