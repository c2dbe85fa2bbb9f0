using Serverless.Media;
using Serverless.Pipeline;

namespace Serverless.UnitTests.Pipeline;

public sealed class LivePlaylistsTests
{
    private static readonly Rendition Rung = new("360p", 640, 360, 800, 1200, 1200, 96, "3.0");

    private static LiveRendition Live(string? init, params double[] durations) => new(
        Rung, "/work/360p", init, [.. durations.Select((d, i) => new MediaSegment($"seg_{i:D5}.ts", d, null))], "avc1.64001e,mp4a.40.2", 30, 6);

    [Fact]
    public void Growing_EventPlaylistWithoutEndList_KeepsItsTargetDuration()
    {
        var text = HlsPlaylists.WriteMedia(LivePlaylists.Growing(Live(null, 2, 2), "init.mp4"));
        var playlist = HlsPlaylists.ParseMedia(text);

        Assert.Equal("EVENT", playlist.PlaylistType);
        Assert.False(playlist.EndList);
        Assert.Equal(6, playlist.TargetDuration); // not the 2 s of the first segments: it must not change as the list grows
        Assert.Equal(0, playlist.MediaSequence);
        Assert.True(playlist.IndependentSegments);
        Assert.Null(playlist.MapUri);
        Assert.Equal(["seg_00000.ts", "seg_00001.ts"], playlist.Segments.Select(s => s.Uri));
        Assert.Equal(3, playlist.Version);
    }

    [Fact]
    public void Growing_Fmp4_MapsTheInitSegmentByItsPublishedName()
    {
        var playlist = LivePlaylists.Growing(Live("/work/360p/init_0.mp4", 2), "init.mp4");

        Assert.Equal("init.mp4", playlist.MapUri);
        Assert.Equal(6, playlist.Version);
    }

    [Fact]
    public void NominalBandwidth_CapPlusABufferOverASegmentPlusAudioAndContainer()
    {
        var (peak, average) = LivePlaylists.NominalBandwidth(Rung);

        Assert.Equal((long)Math.Ceiling((1200 + (1200 / 6.0) + 96) * 1100), peak);
        Assert.Equal((800 + 96) * 1100, average);
        Assert.True(peak > average);
    }

    [Fact]
    public void Master_BeforeMeasurement_ListsEveryRenditionWithExactCodecs()
    {
        var high = new Rendition("720p", 1280, 720, 2800, 4200, 4200, 128, "3.1");
        var text = LivePlaylists.Master([Live(null, 2), Live(null, 2) with { Rendition = high, Codecs = "avc1.64001f,mp4a.40.2" }]);
        var variants = HlsPlaylists.ParseMaster(text);

        Assert.Equal(["360p/index.m3u8", "720p/index.m3u8"], variants.Select(v => v.Uri));
        Assert.Equal("avc1.64001e,mp4a.40.2", variants[0].Attributes["CODECS"]);
        Assert.Equal("1280x720", variants[1].Attributes["RESOLUTION"]);
        Assert.Equal(LivePlaylists.NominalBandwidth(high).Peak.ToString(System.Globalization.CultureInfo.InvariantCulture), variants[1].Attributes["BANDWIDTH"]);
    }
}
