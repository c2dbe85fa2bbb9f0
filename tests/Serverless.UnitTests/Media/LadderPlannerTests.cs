using Serverless.Media;

namespace Serverless.UnitTests.Media;

public sealed class LadderPlannerTests
{
    private static readonly MediaOptions Defaults = new();

    [Fact]
    public void Plan_Landscape1080p_ThreeRungsUpTo720p()
    {
        var ladder = LadderPlanner.Plan(MediaSamples.Source(1920, 1080), Defaults);

        Assert.Equal(
            [("360p", 640, 360, "3.0"), ("540p", 960, 540, "3.1"), ("720p", 1280, 720, "3.1")],
            ladder.Select(r => (r.Name, r.Width, r.Height, r.H264Level)));
        Assert.Equal([800, 1500, 2800], ladder.Select(r => r.VideoBitrateKbps));
        AssertWellFormed(ladder, 1920.0 / 1080);
    }

    [Fact]
    public void Plan_Landscape1080pWith1080Top_AddsFullHdRungAtLevel40()
    {
        var ladder = LadderPlanner.Plan(MediaSamples.Source(1920, 1080), new MediaOptions { MaxLadderShortSide = 1080 });

        var top = ladder[^1];
        Assert.Equal(("1080p", 1920, 1080, "4.0"), (top.Name, top.Width, top.Height, top.H264Level));
        Assert.Null(top.MaxFrameRate);
        AssertWellFormed(ladder, 1920.0 / 1080);
    }

    [Fact]
    public void Plan_Portrait1080x1920_StaysPortrait()
    {
        var ladder = LadderPlanner.Plan(MediaSamples.Source(1080, 1920), Defaults);

        Assert.Equal([(360, 640), (540, 960), (720, 1280)], ladder.Select(r => (r.Width, r.Height)));
        AssertWellFormed(ladder, 1080.0 / 1920);
    }

    [Theory]
    [InlineData(90)]
    [InlineData(270)]
    public void Plan_Landscape1920x1080RotatedQuarterTurn_Portrait(int rotation)
    {
        var ladder = LadderPlanner.Plan(MediaSamples.Source(1920, 1080, rotation), Defaults);

        Assert.Equal([(360, 640), (540, 960), (720, 1280)], ladder.Select(r => (r.Width, r.Height)));
    }

    [Fact]
    public void Plan_Rotated180_StaysLandscape()
    {
        var ladder = LadderPlanner.Plan(MediaSamples.Source(1280, 720, 180), Defaults);

        Assert.Equal((1280, 720), (ladder[^1].Width, ladder[^1].Height));
    }

    [Fact]
    public void Plan_320x180_SingleRungAtOwnSize()
    {
        var rung = Assert.Single(LadderPlanner.Plan(MediaSamples.Source(320, 180), Defaults));

        Assert.Equal(("180p", 320, 180, "3.0"), (rung.Name, rung.Width, rung.Height, rung.H264Level));
        Assert.InRange(rung.VideoBitrateKbps, 150, 800);
        Assert.True(rung.MaxRateKbps <= 2 * rung.VideoBitrateKbps);
    }

    [Fact]
    public void Plan_OddSmallSource_RoundsDownToEven()
    {
        var rung = Assert.Single(LadderPlanner.Plan(MediaSamples.Source(201, 113), Defaults));

        Assert.Equal((200, 112), (rung.Width, rung.Height));
    }

    [Fact]
    public void Plan_OddLargeSource_EvenDimensionsAspectKept()
    {
        var ladder = LadderPlanner.Plan(MediaSamples.Source(1279, 719), Defaults);

        Assert.Equal([(640, 360), (960, 540)], ladder.Select(r => (r.Width, r.Height)));
        AssertWellFormed(ladder, 1279.0 / 719);
    }

    [Theory]
    [InlineData(700, 400, 1)]
    [InlineData(960, 540, 2)]
    [InlineData(1000, 600, 2)]
    [InlineData(1280, 720, 3)]
    [InlineData(3840, 2160, 3)]
    public void Plan_Source_NeverUpscales(int width, int height, int rungs)
    {
        var ladder = LadderPlanner.Plan(MediaSamples.Source(width, height), Defaults);

        Assert.Equal(rungs, ladder.Count);
        Assert.All(ladder, r => Assert.True(r.Width <= width && r.Height <= height, $"{r.Name} {r.Width}x{r.Height} upscales {width}x{height}"));
    }

    [Fact]
    public void Plan_TallPhonePortrait_FitsLevel41FrameSize()
    {
        var ladder = LadderPlanner.Plan(MediaSamples.Source(1080, 2400), new MediaOptions { MaxLadderShortSide = 1080 });

        var top = ladder[^1];
        Assert.True((top.Width + 15) / 16 * ((top.Height + 15) / 16) <= 8192, $"{top.Width}x{top.Height}");
        Assert.Contains(top.H264Level, new[] { "4.0", "4.1" });
        AssertWellFormed(ladder, 1080.0 / 2400);
    }

    [Fact]
    public void Plan_1080p60_CapsTopRungFrameRateToStayWithinLevel41()
    {
        var ladder = LadderPlanner.Plan(MediaSamples.Source(1920, 1080, fps: 60), new MediaOptions { MaxLadderShortSide = 1080 });

        Assert.Equal(30, ladder[^1].MaxFrameRate);
        Assert.Null(ladder[0].MaxFrameRate);
        Assert.Equal("3.2", ladder[2].H264Level); // 720p60
        Assert.True(ladder[^1].VideoBitrateKbps > 5000, "high frame rate sources get more bits");
    }

    [Fact]
    public void Plan_NoAudio_ZeroAudioBitrate()
    {
        var ladder = LadderPlanner.Plan(MediaSamples.Source(1280, 720, audio: false), Defaults);

        Assert.All(ladder, r => Assert.Equal(0, r.AudioBitrateKbps));
    }

    [Fact]
    public void Plan_AudioOnly_Throws()
    {
        var source = new MediaInfo(10, 100, "mp3", null, new AudioStreamInfo("mp3", 2, 44100, null));

        Assert.Throws<ArgumentException>(() => LadderPlanner.Plan(source, Defaults));
    }

    private static void AssertWellFormed(IReadOnlyList<Rendition> ladder, double aspect)
    {
        string[] levels = ["3.0", "3.1", "3.2", "4.0", "4.1"];
        foreach (var r in ladder)
        {
            Assert.True(r.Width % 2 == 0 && r.Height % 2 == 0, $"{r.Name} {r.Width}x{r.Height} is not even");
            Assert.InRange((double)r.Width / r.Height, aspect * 0.98, aspect * 1.02);
            Assert.InRange(r.MaxRateKbps, r.VideoBitrateKbps, 2 * r.VideoBitrateKbps);
            Assert.True(r.BufferSizeKbits > 0);
            Assert.Contains(r.H264Level, levels);
        }

        Assert.Equal(ladder.OrderBy(r => r.Width * r.Height), ladder);
    }
}
