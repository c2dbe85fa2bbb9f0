using Serverless.Media;
using Serverless.Media.Probing;

namespace Serverless.UnitTests.Media;

public sealed class FfprobeJsonTests
{
    [Fact]
    public void Parse_LandscapeMp4_VideoAudioAndFormat()
    {
        var report = FfprobeJson.Parse(MediaSamples.Fixture("ffprobe-land.json"));

        var info = report.Info;
        Assert.Equal(4.0, info.DurationSeconds, 3);
        Assert.Equal(412532, info.SizeBytes);
        Assert.Equal("mov,mp4,m4a,3gp,3g2,mj2", info.FormatName);
        Assert.Equal(new VideoStreamInfo("h264", 320, 180, 0, 30, 745296, "yuv420p"), info.Video);
        Assert.Equal("aac", info.Audio!.Codec);
        Assert.Equal(1, info.Audio.Channels);
        Assert.Equal(48000, info.Audio.SampleRate);
        Assert.Equal(("Constrained Baseline", 13, "LC"), (report.VideoProfile, report.VideoLevel, report.AudioProfile));
    }

    [Fact]
    public void Parse_DisplayMatrixRotation_DisplaySizeSwapped()
    {
        var video = FfprobeJson.Parse(MediaSamples.Fixture("ffprobe-rotated.json")).Info.Video!;

        Assert.Equal(90, video.Rotation);
        Assert.Equal((320, 180), (video.Width, video.Height));
        Assert.Equal((180, 320), (video.DisplayWidth, video.DisplayHeight));
    }

    [Fact]
    public void Parse_NegativeRotation_NormalisedAndPortrait()
    {
        var info = FfprobeJson.Parse(MediaSamples.Fixture("ffprobe-phone-portrait.json")).Info;

        Assert.Equal(270, info.Video!.Rotation);
        Assert.True(info.Video.IsPortrait);
        Assert.Equal(18000.0 / 601, info.Video.FrameRate, 6);
        Assert.Null(info.Video.BitRate);
        Assert.Equal(50123456, info.SizeBytes);
    }

    [Fact]
    public void Parse_LegacyRotateTag_UsedWhenNoSideData()
    {
        var info = FfprobeJson.Parse(MediaSamples.Fixture("ffprobe-legacy-rotate-tag.json")).Info;

        Assert.Equal(270, info.Video!.Rotation);
        Assert.Equal((1080, 1920), (info.Video.DisplayWidth, info.Video.DisplayHeight));
        Assert.Equal(30, info.Video.FrameRate); // avg_frame_rate 0/0 falls back to r_frame_rate
        Assert.Equal(new AudioStreamInfo("aac", 1, 44100, 64000), info.Audio);
    }

    [Fact]
    public void Parse_AudioOnly_NoVideo()
    {
        var info = FfprobeJson.Parse(MediaSamples.Fixture("ffprobe-audio-only.json")).Info;

        Assert.Null(info.Video);
        Assert.NotNull(info.Audio);
        Assert.InRange(info.DurationSeconds, 2.9, 3.1);
    }

    [Fact]
    public void Parse_CoverArt_IsNotAVideo()
    {
        var report = FfprobeJson.Parse(MediaSamples.Fixture("ffprobe-cover-art.json"));

        Assert.Equal(2, report.StreamCount);
        Assert.Null(report.Info.Video);
        Assert.NotNull(report.Info.Audio);
    }

    [Fact]
    public void Parse_NtscFrameRateNoAudio()
    {
        var info = FfprobeJson.Parse(MediaSamples.Fixture("ffprobe-no-audio-ntsc.json")).Info;

        Assert.Equal(30000.0 / 1001, info.Video!.FrameRate, 6);
        Assert.Null(info.Audio);
    }

    [Fact]
    public void Parse_HlsOutput_HighProfileLevelAndAudioProfile()
    {
        var report = FfprobeJson.Parse(MediaSamples.Fixture("ffprobe-hls-output.json"));

        Assert.Equal("hls", report.Info.FormatName);
        Assert.Equal(("High", 30, "LC"), (report.VideoProfile, report.VideoLevel, report.AudioProfile));
        Assert.Equal("avc1.64001e,mp4a.40.2", CodecStrings.Avc(report.VideoProfile, report.VideoLevel) + "," + CodecStrings.Aac(report.AudioProfile));
    }

    [Fact]
    public void Parse_EmptyObject_NoStreamsZeroDuration()
    {
        var report = FfprobeJson.Parse("{}");

        Assert.Equal(0, report.StreamCount);
        Assert.Equal(new MediaInfo(0, null, string.Empty, null, null), report.Info);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not json")]
    [InlineData("[1,2]")]
    public void Parse_NotJson_ThrowsFormatException(string text)
    {
        Assert.Throws<FormatException>(() => FfprobeJson.Parse(text));
    }

    [Theory]
    [InlineData("30/1", 30)]
    [InlineData("30000/1001", 29.97002997)]
    [InlineData("0/0", 0)]
    [InlineData("25", 25)]
    [InlineData(null, 0)]
    [InlineData("x/y", 0)]
    public void Rational_Values_Parsed(string? text, double expected)
    {
        Assert.Equal(expected, FfprobeJson.Rational(text), 6);
    }
}
