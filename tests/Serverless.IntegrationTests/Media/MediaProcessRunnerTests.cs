using System.Globalization;
using Serverless.IntegrationTests.Infrastructure;
using Serverless.Media.Processes;

namespace Serverless.IntegrationTests.Media;

public sealed class MediaProcessRunnerTests
{
    [Fact]
    public async Task RunAsync_Ffmpeg_RunsBelowNormalPriority()
    {
        // Regression (issue 8, API load): ffmpeg ran at the app's own priority, so transcodes took the CPU from the
        // API requests the same process answers and their tail latency followed the transcodes.
        using var host = new MediaTestHost();
        int? nice = null;
        host.Runner.Started = pid => nice = ReadNice(pid);

        var outcome = await host.Runner.RunAsync(
            new ProcessInvocation(TestClips.FfmpegPath, ["-hide_banner", "-nostdin", "-f", "lavfi", "-i", "anullsrc", "-t", "0.5", "-f", "null", "-"], TimeSpan.FromSeconds(30), GracefulStop: false),
            default);

        Assert.Equal(0, outcome.ExitCode);
        Assert.True(nice >= 10, $"ffmpeg ran at nice {nice}");
    }

    /// <summary>The nice value of a running process: field 19 of /proc/{pid}/stat (fields counted after the command name in parentheses).</summary>
    private static int? ReadNice(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return int.Parse(fields[16], CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return null;
        }
    }
}
