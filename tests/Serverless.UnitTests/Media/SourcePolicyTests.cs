using Serverless.Media;

namespace Serverless.UnitTests.Media;

public sealed class SourcePolicyTests
{
    private static readonly MediaOptions Defaults = new();

    [Fact]
    public void Reject_NormalClip_Accepted()
    {
        Assert.Null(SourcePolicy.Reject(MediaSamples.Source(1080, 1920, duration: 60), Defaults));
    }

    [Fact]
    public void Reject_AudioOnly_SaysAudioOnly()
    {
        var info = new MediaInfo(30, 1000, "mp3", null, new AudioStreamInfo("mp3", 2, 44100, 128_000));

        Assert.Equal("The file contains only audio; a video is required.", SourcePolicy.Reject(info, Defaults));
    }

    [Fact]
    public void Reject_NoStreams_SaysNoVideo()
    {
        Assert.Equal("The file contains no video stream.", SourcePolicy.Reject(new MediaInfo(30, 1000, "data", null, null), Defaults));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(double.NaN)]
    public void Reject_NoDuration_SaysNoDuration(double duration)
    {
        Assert.Contains("no duration", SourcePolicy.Reject(MediaSamples.Source(640, 360, duration: duration), Defaults), StringComparison.Ordinal);
    }

    [Fact]
    public void Reject_TooLong_NamesDurationAndLimit()
    {
        Assert.Equal("The video lasts 200.5 s; the limit is 200 s.", SourcePolicy.Reject(MediaSamples.Source(640, 360, duration: 200.5), Defaults));
    }

    [Fact]
    public void Reject_AtLimit_Accepted()
    {
        Assert.Null(SourcePolicy.Reject(MediaSamples.Source(640, 360, duration: 200), Defaults));
    }

    [Fact]
    public void Reject_OverSize_NamesSizeAndLimit()
    {
        var options = new MediaOptions { MaxSourceBytes = 10L * 1024 * 1024 };

        Assert.Equal("The file is 12 MB; the limit is 10 MB.", SourcePolicy.Reject(MediaSamples.Source(640, 360, size: 12L * 1024 * 1024), options));
    }

    [Fact]
    public void Reject_OnePixel_SaysTooSmall()
    {
        Assert.Equal("The video is 1x1 pixels; each side must be at least 64 pixels.", SourcePolicy.Reject(MediaSamples.Source(1, 1), Defaults));
    }

    [Fact]
    public void Reject_ThinRotated_UsesDisplaySize()
    {
        Assert.Equal("The video is 40x640 pixels; each side must be at least 64 pixels.", SourcePolicy.Reject(MediaSamples.Source(640, 40, rotation: 90), Defaults));
    }

    [Fact]
    public void Reject_Huge_SaysTooLarge()
    {
        Assert.Contains("at most 4096", SourcePolicy.Reject(MediaSamples.Source(7680, 4320), Defaults), StringComparison.Ordinal);
    }

    [Fact]
    public void Reject_Messages_UseInvariantCulture()
    {
        var previous = Thread.CurrentThread.CurrentCulture;
        Thread.CurrentThread.CurrentCulture = new System.Globalization.CultureInfo("de-DE");
        try
        {
            Assert.Equal("The video lasts 250.5 s; the limit is 200 s.", SourcePolicy.Reject(MediaSamples.Source(640, 360, duration: 250.5), Defaults));
        }
        finally
        {
            Thread.CurrentThread.CurrentCulture = previous;
        }
    }
}
