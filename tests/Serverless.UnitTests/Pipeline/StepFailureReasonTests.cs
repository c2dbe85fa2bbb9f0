using Serverless.Media;
using Serverless.Pipeline;

namespace Serverless.UnitTests.Pipeline;

public sealed class StepFailureReasonTests
{
    [Fact]
    public void Describe_FfmpegKilledBySigkill_SaysKilledInsteadOfAnEmptyStderrLine()
    {
        var reason = PipelineActivities.Describe(new FfmpegException("ffmpeg exited with code 137: ", 137, string.Empty, [], timedOut: false));

        Assert.Equal("ffmpeg was killed by signal 9 (SIGKILL).", reason);
    }

    [Fact]
    public void Describe_FfmpegFailedWithStderr_QuotesItsLastLine()
    {
        var reason = PipelineActivities.Describe(new FfmpegException("ffmpeg exited with code 1", 1, "frame=1\nInvalid data found when processing input\n", [], timedOut: false));

        Assert.Equal("ffmpeg failed (exit 1): Invalid data found when processing input", reason);
    }

    [Fact]
    public void Describe_FfmpegNeverStarted_KeepsItsMessage()
    {
        var reason = PipelineActivities.Describe(new FfmpegException("Could not start 'ffmpeg': No such file or directory", null, string.Empty, [], timedOut: false));

        Assert.Equal("Could not start 'ffmpeg': No such file or directory", reason);
    }
}
