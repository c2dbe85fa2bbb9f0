using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;

namespace Serverless.Media.Processes;

/// <summary>One run of ffmpeg or ffprobe.</summary>
/// <param name="Timeout">Our own budget, distinct from the caller's cancellation; exceeding it raises <see cref="FfmpegException"/> with TimedOut.</param>
/// <param name="OnStandardOutputLine">Called for each stdout line (e.g. <c>-progress pipe:1</c>); null to ignore.</param>
/// <param name="CaptureStandardOutput">Keep stdout (ffprobe JSON) in <see cref="ProcessOutcome.StandardOutput"/>.</param>
/// <param name="GracefulStop">Send <c>q</c> on stdin before killing (ffmpeg honours it; ffprobe does not read stdin).</param>
internal sealed record ProcessInvocation(
    string FileName,
    IReadOnlyList<string> Arguments,
    TimeSpan Timeout,
    Action<string>? OnStandardOutputLine = null,
    bool CaptureStandardOutput = false,
    bool GracefulStop = true);

/// <summary>How a process ended on its own.</summary>
internal sealed record ProcessOutcome(int ExitCode, string StandardOutput, string StderrTail);

/// <summary>
/// Runs ffmpeg/ffprobe: argument list (no shell quoting), stdout and stderr drained concurrently, the caller's token linked with our
/// timeout; on either, <c>q</c> on stdin, then the process tree is killed and the wait capped; disposed in finally.
/// </summary>
internal sealed partial class MediaProcessRunner(ILogger<MediaProcessRunner> logger, TimeProvider timeProvider)
{
    private const int StderrTailChars = 4000;
    private static readonly TimeSpan GracePeriod = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan KillWait = TimeSpan.FromSeconds(5);

    /// <summary>Test hook: the id of every process started.</summary>
    internal Action<int>? Started { get; set; }

    /// <summary>Runs to exit and returns the exit code whatever it is; throws only when the process could not run to its own end.</summary>
    /// <exception cref="FfmpegException">Could not start, or our timeout stopped it.</exception>
    /// <exception cref="OperationCanceledException">The caller cancelled; the process has been stopped.</exception>
    public async Task<ProcessOutcome> RunAsync(ProcessInvocation invocation, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var psi = new ProcessStartInfo(invocation.FileName)
        {
            UseShellExecute = false,
            CreateNoWindow = true,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var argument in invocation.Arguments)
        {
            psi.ArgumentList.Add(argument);
        }

        var process = new Process { StartInfo = psi };
        using var timeout = new CancellationTokenSource(invocation.Timeout, timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            try
            {
                process.Start();
            }
            catch (Exception ex) when (ex is Win32Exception or InvalidOperationException)
            {
                throw new FfmpegException($"Could not start '{invocation.FileName}': {ex.Message}", null, string.Empty, invocation.Arguments, timedOut: false, ex);
            }

            var name = Path.GetFileNameWithoutExtension(invocation.FileName);
            LowerPriority(process);
            LogStarted(logger, name, process.Id);
            Started?.Invoke(process.Id);
            var stdout = DrainStdoutAsync(process.StandardOutput, invocation);
            var stderr = DrainStderrAsync(process.StandardError);

            try
            {
                await process.WaitForExitAsync(linked.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                await StopAsync(process, invocation.GracefulStop).ConfigureAwait(false);
                var tail = await CompletedOrEmptyAsync(stderr).ConfigureAwait(false);
                if (cancellationToken.IsCancellationRequested)
                {
                    LogCancelled(logger, name, process.Id);
                    throw new OperationCanceledException($"{name} was cancelled.", null, cancellationToken);
                }

                LogTimedOut(logger, name, process.Id, invocation.Timeout.TotalSeconds);
                throw new FfmpegException(
                    string.Create(CultureInfo.InvariantCulture, $"{name} timed out after {invocation.Timeout.TotalSeconds:0.#} s and was killed."),
                    null, tail, invocation.Arguments, timedOut: true);
            }

            // The pipes close when the process exits (ffmpeg has no children); cap the wait anyway.
            var output = await stdout.WaitAsync(KillWait, timeProvider, CancellationToken.None).ConfigureAwait(false);
            var stderrTail = await stderr.WaitAsync(KillWait, timeProvider, CancellationToken.None).ConfigureAwait(false);
            LogExited(logger, name, process.Id, process.ExitCode);
            return new ProcessOutcome(process.ExitCode, output, stderrTail);
        }
        finally
        {
            process.Dispose();
        }
    }

    /// <summary>
    /// Media work runs below normal priority (nice 10 on Linux): the same process answers the API, whose requests must
    /// stay fast while transcodes run, and a transcode only finishes a little later when it yields the CPU to them.
    /// </summary>
    private static void LowerPriority(Process process)
    {
        try
        {
            process.PriorityClass = ProcessPriorityClass.BelowNormal;
        }
        catch (Exception ex) when (ex is Win32Exception or InvalidOperationException or PlatformNotSupportedException)
        {
            // Already exited, or the platform refuses: it runs at normal priority, which is only slower for the API.
        }
    }

    private async Task StopAsync(Process process, bool graceful)
    {
        try
        {
            if (graceful && !process.HasExited)
            {
                try
                {
                    await process.StandardInput.WriteAsync('q').ConfigureAwait(false);
                    await process.StandardInput.FlushAsync().ConfigureAwait(false);
                    process.StandardInput.Close();
                }
                catch (IOException)
                {
                    // The process is already gone or closed stdin: nothing to ask politely.
                }

                using var grace = new CancellationTokenSource(GracePeriod, timeProvider);
                try
                {
                    await process.WaitForExitAsync(grace.Token).ConfigureAwait(false);
                    return;
                }
                catch (OperationCanceledException)
                {
                    // Did not stop in time: kill below.
                }
            }

            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            using var wait = new CancellationTokenSource(KillWait, timeProvider);
            await process.WaitForExitAsync(wait.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is InvalidOperationException or Win32Exception or OperationCanceledException)
        {
            LogKillFailed(logger, process.Id, ex.Message);
        }
    }

    private static async Task<string> DrainStdoutAsync(StreamReader reader, ProcessInvocation invocation)
    {
        var captured = invocation.CaptureStandardOutput ? new StringBuilder() : null;
        while (await reader.ReadLineAsync().ConfigureAwait(false) is { } line)
        {
            captured?.Append(line).Append('\n');
            invocation.OnStandardOutputLine?.Invoke(line);
        }

        return captured?.ToString() ?? string.Empty;
    }

    private static async Task<string> DrainStderrAsync(StreamReader reader)
    {
        var tail = new StringBuilder();
        var buffer = new char[4096];
        int read;
        while ((read = await reader.ReadAsync(buffer).ConfigureAwait(false)) > 0)
        {
            tail.Append(buffer, 0, read);
            if (tail.Length > StderrTailChars * 2)
            {
                tail.Remove(0, tail.Length - StderrTailChars);
            }
        }

        return tail.Length > StderrTailChars ? tail.ToString(tail.Length - StderrTailChars, StderrTailChars) : tail.ToString();
    }

    private async Task<string> CompletedOrEmptyAsync(Task<string> task)
    {
        try
        {
            return await task.WaitAsync(KillWait, timeProvider, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TimeoutException or IOException or ObjectDisposedException)
        {
            return string.Empty;
        }
    }

    [LoggerMessage(EventId = 300, Level = LogLevel.Debug, Message = "{Tool} started (pid {ProcessId})")]
    private static partial void LogStarted(ILogger logger, string tool, int processId);

    [LoggerMessage(EventId = 301, Level = LogLevel.Debug, Message = "{Tool} (pid {ProcessId}) exited with code {ExitCode}")]
    private static partial void LogExited(ILogger logger, string tool, int processId, int exitCode);

    [LoggerMessage(EventId = 302, Level = LogLevel.Information, Message = "{Tool} (pid {ProcessId}) stopped: cancelled by the caller")]
    private static partial void LogCancelled(ILogger logger, string tool, int processId);

    [LoggerMessage(EventId = 303, Level = LogLevel.Warning, Message = "{Tool} (pid {ProcessId}) killed after its {TimeoutSeconds} s timeout")]
    private static partial void LogTimedOut(ILogger logger, string tool, int processId, double timeoutSeconds);

    [LoggerMessage(EventId = 304, Level = LogLevel.Warning, Message = "Could not stop process {ProcessId}: {Reason}")]
    private static partial void LogKillFailed(ILogger logger, int processId, string reason);
}
