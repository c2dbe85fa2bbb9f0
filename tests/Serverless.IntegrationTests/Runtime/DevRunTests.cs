using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using Serverless.IntegrationTests.Infrastructure;
using Serverless.IntegrationTests.RealHost;

namespace Serverless.IntegrationTests.Runtime;

/// <summary>
/// The README's first command, <c>./dev.sh run</c>, as written: it takes the sample clip to a signed playlist that plays, and
/// whatever stops it (Ctrl+C, a closed terminal, an IDE's stop button, <c>kill</c>) stops the app and the Azurite it started.
/// Each case runs the whole command (about 35 s); the two signals are the two ways it is stopped from outside a terminal.
/// </summary>
public sealed partial class DevRunTests
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(8);

    [Theory]
    [InlineData("TERM")] // a script, an IDE's stop button, kill
    [InlineData("HUP")] // a closed terminal (Azurite, in a process group of its own, does not get it from the terminal)
    public async Task Run_SampleClipPlays_AndStoppingItStopsEverythingItStarted(string signal)
    {
        // The deployment package's publish restores the same projects for linux-x64: let it finish before dev.sh builds.
        await DeploymentPackage.GetAsync();

        var port = FreePort();
        var psi = new ProcessStartInfo("env")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = RepoFiles.Root,
        };
        // Started in the background by a script, in a session of its own (so the test can tell what it left running): a
        // non-interactive shell starts background commands with SIGINT and SIGQUIT ignored, which they pass on to theirs.
        // SIGHUP and SIGTERM as a terminal's session has them, whatever this test run inherited (under nohup, SIGHUP is
        // ignored, and a shell cannot trap a signal it started with ignored).
        psi.ArgumentList.Add("--default-signal=HUP,TERM");
        psi.ArgumentList.Add("setsid");
        psi.ArgumentList.Add("bash");
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add("./dev.sh run & echo \"dev.sh pid $!\"; wait");
        psi.Environment["PORT"] = port.ToString(CultureInfo.InvariantCulture);

        var output = new StringBuilder();
        using var script = new Process { StartInfo = psi };
        script.OutputDataReceived += (_, e) => Append(output, e.Data);
        script.ErrorDataReceived += (_, e) => Append(output, e.Data);
        script.Start();
        script.BeginOutputReadLine();
        script.BeginErrorReadLine();
        var session = script.Id;
        try
        {
            await Eventually.TrueAsync(
                () => Text(output).Contains($"Serving on http://127.0.0.1:{port}", StringComparison.Ordinal) || script.HasExited,
                StartTimeout, "./dev.sh run to serve the sample");
            if (script.HasExited)
            {
                Assert.Fail($"./dev.sh run exited ({script.ExitCode}) before serving:\n{Tail(Text(output))}");
            }

            var url = PlayIt().Match(Text(output)) is { Success: true } m ? m.Groups["url"].Value : null;
            Assert.True(url is not null, $"./dev.sh run printed no signed playlist:\n{Tail(Text(output))}");
            var (exit, duration) = await RunAsync("ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", url!);
            Assert.True(exit == 0, $"ffprobe could not read the signed playlist {url}: {duration}");
            Assert.InRange(double.Parse(duration.Trim(), CultureInfo.InvariantCulture), 5.5, 6.5);

            // dev.sh stops what it started by signalling the processes it started: the app must be one of them, not the child
            // of a launcher (`dotnet run` does not pass a terminate signal on to an app started with SIGINT ignored).
            var devSh = DevShPid().Match(Text(output)).Groups["pid"].Value;
            var app = (await SessionProcessesAsync(session)).Where(p => p.Command.Contains("Serverless.LocalHost", StringComparison.Ordinal)).ToList();
            Assert.True(app.Count == 1 && app[0].Parent == devSh,
                $"the app is not dev.sh's own child ({devSh}): " + string.Join("; ", (await SessionProcessesAsync(session)).Select(p => $"{p.Pid} (parent {p.Parent}) {p.Command}")));

            // The signal to dev.sh alone: nothing it started stays.
            await RunAsync("kill", "-" + signal, devSh);
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            var left = await SessionProcessesAsync(session);
            while (left.Count > 0 && DateTime.UtcNow < deadline)
            {
                await Task.Delay(200);
                left = await SessionProcessesAsync(session);
            }

            Assert.True(left.Count == 0, "./dev.sh run was stopped but left running: " + string.Join("; ", left.Select(p => $"{p.Pid} {p.Command}")));
            Assert.False(await IsListening(port), $"the app still listens on {port}");
        }
        finally
        {
            await RunAsync("pkill", "-KILL", "-s", session.ToString(CultureInfo.InvariantCulture));
        }
    }

    [GeneratedRegex(@"^dev\.sh pid (?<pid>\d+)$", RegexOptions.Multiline)]
    private static partial Regex DevShPid();

    [GeneratedRegex(@"Play it: ffplay '(?<url>[^']+)'")]
    private static partial Regex PlayIt();

    /// <summary>The live (not zombie) processes of a session.</summary>
    private static async Task<List<(string Pid, string Parent, string Command)>> SessionProcessesAsync(int session)
    {
        var (_, listing) = await RunAsync("ps", "-eo", "pid=,ppid=,sid=,stat=,args=");
        return [.. listing.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(' ', 5, StringSplitOptions.RemoveEmptyEntries))
            .Where(f => f.Length == 5 && f[2] == session.ToString(CultureInfo.InvariantCulture) && !f[3].StartsWith('Z'))
            .Select(f => (f[0], f[1], f[4]))];
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            psi.ArgumentList.Add(arg);
        }

        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout + await stderr);
    }

    private static async Task<bool> IsListening(int port)
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync("127.0.0.1", port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static void Append(StringBuilder output, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            output.AppendLine(line);
        }
    }

    private static string Text(StringBuilder output)
    {
        lock (output)
        {
            return output.ToString();
        }
    }

    private static string Tail(string text) => text.Length <= 4000 ? text : text[^4000..];
}
