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

    [Theory]
    [InlineData("hls", "an HLS playlist")]
    [InlineData("concat", "a concat list")]
    [InlineData("image2", "an image or an image sequence")]
    [InlineData("jpeg_pipe", "an image or an image sequence")]
    [InlineData("tty", "a text file")]
    [InlineData("lavfi", "a filter graph")]
    [InlineData("flv", "a file of the format 'flv'")]
    [InlineData("", "of an unknown format")]
    public void Reject_NotARealVideoContainer_SaysWhatItIs(string format, string named)
    {
        var info = MediaSamples.Source(640, 360) with { FormatName = format };

        Assert.Equal($"The file is {named}, not a video file: upload an MP4, MOV, 3GP, WebM, Matroska, MPEG-TS, MPEG-PS or AVI video.", SourcePolicy.Reject(info, Defaults));
    }

    [Theory]
    [InlineData("mov,mp4,m4a,3gp,3g2,mj2")]
    [InlineData("matroska,webm")]
    [InlineData("mpegts")]
    [InlineData("mpeg")]
    [InlineData("avi")]
    public void Reject_RealVideoContainer_Accepted(string format)
    {
        Assert.Null(SourcePolicy.Reject(MediaSamples.Source(640, 360) with { FormatName = format }, Defaults));
    }
}
