using Serverless.Media.Transcoding;

namespace Serverless.UnitTests.Media;

public sealed class FfmpegProgressTests
{
    [Theory]
    [InlineData("out_time_us=2000000", 4, 0.5)]
    [InlineData("out_time_us=0", 4, 0)]
    [InlineData("out_time_us=-23220", 4, 0)]
    [InlineData("out_time_us=4010667", 4, 1)]
    [InlineData("progress=end", 4, 1)]
    [InlineData("progress=end", 0, 1)]
    public void Parse_ProgressLines_Fraction(string line, double duration, double expected)
    {
        Assert.Equal(expected, FfmpegProgress.Parse(line, duration)!.Value, 6);
    }

    [Theory]
    [InlineData("out_time_us=N/A")]
    [InlineData("out_time=00:00:02.000000")]
    [InlineData("out_time_ms=2000000")]
    [InlineData("progress=continue")]
    [InlineData("frame=60")]
    [InlineData("garbage")]
    [InlineData("")]
    public void Parse_LinesWithoutProgress_Null(string line)
    {
        Assert.Null(FfmpegProgress.Parse(line, 4));
    }

    [Fact]
    public void Parse_UnknownDuration_OnlyEndCounts()
    {
        Assert.Null(FfmpegProgress.Parse("out_time_us=2000000", 0));
    }

    [Fact]
    public void Parse_RealBlock_ReportsOutTime()
    {
        const string block = "frame=120\nfps=0.00\nstream_0_0_q=-1.0\nbitrate=N/A\ntotal_size=N/A\nout_time_us=3000000\nout_time_ms=3000000\nout_time=00:00:03.000000\ndup_frames=0\ndrop_frames=0\nspeed=7.74x\nprogress=continue";

        var fractions = block.Split('\n').Select(l => FfmpegProgress.Parse(l, 4)).OfType<double>().ToList();

        Assert.Equal([0.75], fractions);
    }
}
