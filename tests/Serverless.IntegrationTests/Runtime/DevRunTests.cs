using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Serverless.IntegrationTests.Infrastructure;
using Serverless.IntegrationTests.RealHost;

namespace Serverless.IntegrationTests.Runtime;

/// <summary>
/// The README's first command, <c>./dev.sh run</c>, as written: it takes the sample clip to a signed playlist that plays, and
/// whatever stops it (Ctrl+C, a closed terminal, an IDE's stop button, <c>kill</c>) stops the app and the Azurite it started.
/// The sample cases run the whole command (about 35 s each), stopped by the two signals that come from outside a terminal;
/// the last stops it while it builds.
/// </summary>
public sealed partial class DevRunTests
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(8);

    [Theory]
    [InlineData("TERM")] // a script, an IDE's stop button, kill
    [InlineData("HUP")] // a closed terminal (Azurite, in a process group of its own, does not get it from the terminal)
    public async Task Run_SampleClipPlays_AndStoppingItStopsEverythingItStarted(string signal)
    {
        await using var run = await DevRun.StartAsync();
        await run.WaitForOutputAsync($"Serving on http://127.0.0.1:{run.Port}", StartTimeout);

        var url = PlayIt().Match(run.Output) is { Success: true } m ? m.Groups["url"].Value : null;
        Assert.True(url is not null, $"./dev.sh run printed no signed playlist:\n{DevRun.Tail(run.Output)}");
        var (exit, duration) = await RunAsync("ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", url!);
        Assert.True(exit == 0, $"ffprobe could not read the signed playlist {url}: {duration}");
        Assert.InRange(double.Parse(duration.Trim(), CultureInfo.InvariantCulture), 5.5, 6.5);

        // dev.sh stops what it started by signalling the processes it started: the app must be one of them, not the child
        // of a launcher (`dotnet run` does not pass a terminate signal on to an app started with SIGINT ignored).
        var processes = await run.ProcessesAsync();
        var app = processes.Where(p => p.Command.Contains("Serverless.LocalHost", StringComparison.Ordinal)).ToList();
        Assert.True(app.Count == 1 && app[0].Parent == run.ScriptPid,
            $"the app is not dev.sh's own child ({run.ScriptPid}): " + string.Join("; ", processes.Select(p => $"{p.Pid} (parent {p.Parent}) {p.Command}")));

        // The signal to dev.sh alone: nothing it started stays.
        await run.SignalAsync(signal);
        await run.AssertAllGoneAsync(TimeSpan.FromSeconds(60));
        Assert.False(await IsListening(run.Port), $"the app still listens on {run.Port}");
    }

    [Fact]
    public async Task Run_StoppedWhileItBuilds_ExitsWithoutStartingTheApp()
    {
        await using var run = await DevRun.StartAsync();
        await run.WaitForOutputAsync("Building the function app", StartTimeout);

        // Bash runs the trap once the build in the foreground ends; then it must exit, not go on to start the app.
        await run.SignalAsync("TERM");
        await run.AssertAllGoneAsync(TimeSpan.FromMinutes(4));
        Assert.DoesNotContain("Starting the function app", run.Output, StringComparison.Ordinal);
    }

    /// <summary>
    /// <c>./dev.sh run</c> started in the background by a script, in a session of its own (so the test can tell what it left
    /// running): a non-interactive shell starts background commands with SIGINT and SIGQUIT ignored, which they pass on to
    /// theirs; SIGHUP and SIGTERM as a terminal's session has them, whatever this test run inherited (under nohup, SIGHUP
    /// is ignored, and a shell cannot trap a signal it started with ignored). Disposing kills whatever is left.
    /// </summary>
    private sealed class DevRun : IAsyncDisposable
    {
        private readonly Process _script;
        private readonly ProcessOutput _output;

        private DevRun(Process script, int port)
        {
            _script = script;
            _output = ProcessOutput.Read(script);
            Port = port;
        }

        public int Port { get; }

        /// <summary>The session's id: the pid of the shell that started dev.sh.</summary>
        public int Session => _script.Id;

        public string ScriptPid => DevShPid().Match(Output).Groups["pid"].Value;

        public string Output => _output.Text;

        public static async Task<DevRun> StartAsync()
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
            foreach (var arg in (string[])["--default-signal=HUP,TERM", "setsid", "bash", "-c", "./dev.sh run & echo \"dev.sh pid $!\"; wait"])
            {
                psi.ArgumentList.Add(arg);
            }

            psi.Environment["PORT"] = port.ToString(CultureInfo.InvariantCulture);
            var script = Process.Start(psi) ?? throw new InvalidOperationException("./dev.sh run did not start.");
            return new DevRun(script, port);
        }

        public async Task WaitForOutputAsync(string text, TimeSpan timeout)
        {
            await Eventually.TrueAsync(() => Output.Contains(text, StringComparison.Ordinal) || _script.HasExited, timeout, $"./dev.sh run to print \"{text}\"");
            if (!Output.Contains(text, StringComparison.Ordinal))
            {
                Assert.Fail($"./dev.sh run exited ({_script.ExitCode}) before it printed \"{text}\":\n{Tail(Output)}");
            }
        }

        public async Task SignalAsync(string signal)
        {
            var (exit, output) = await RunAsync("kill", "-" + signal, ScriptPid);
            Assert.True(exit == 0, $"kill -{signal} {ScriptPid}: {output}");
        }

        /// <summary>Waits until no process of the session is left, then says which were, if any.</summary>
        public async Task AssertAllGoneAsync(TimeSpan timeout)
        {
            var deadline = DateTime.UtcNow + timeout;
            var left = await ProcessesAsync();
            while (left.Count > 0 && DateTime.UtcNow < deadline)
            {
                await Task.Delay(200);
                left = await ProcessesAsync();
            }

            Assert.True(left.Count == 0, "./dev.sh run was stopped but left running: " + string.Join("; ", left.Select(p => $"{p.Pid} {p.Command}")));
        }

        /// <summary>The live (not zombie) processes of the session.</summary>
        public async Task<List<(string Pid, string Parent, string Command)>> ProcessesAsync()
        {
            var (_, listing) = await RunAsync("ps", "-eo", "pid=,ppid=,sid=,stat=,args=");
            return [.. listing.Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(line => line.Split(' ', 5, StringSplitOptions.RemoveEmptyEntries))
                .Where(f => f.Length == 5 && f[2] == Session.ToString(CultureInfo.InvariantCulture) && !f[3].StartsWith('Z'))
                .Select(f => (f[0], f[1], f[4]))];
        }

        public static string Tail(string text) => text.Length <= 4000 ? text : text[^4000..];

        public async ValueTask DisposeAsync()
        {
            await RunAsync("pkill", "-KILL", "-s", Session.ToString(CultureInfo.InvariantCulture));
            _script.Dispose();
        }
    }

    [GeneratedRegex(@"^dev\.sh pid (?<pid>\d+)$", RegexOptions.Multiline)]
    private static partial Regex DevShPid();

    [GeneratedRegex(@"Play it: ffplay '(?<url>[^']+)'")]
    private static partial Regex PlayIt();

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
}
