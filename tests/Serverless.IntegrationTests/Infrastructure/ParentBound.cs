using System.Diagnostics;

namespace Serverless.IntegrationTests.Infrastructure;

/// <summary>
/// Starts a long-lived helper process (an emulator) that ends with the test run even when the test process is killed
/// before its exit handlers run: a small bash wrapper starts the real command, forwards SIGTERM to it, and kills it once
/// its standard input, a pipe held by the test process, reaches end of file, which the kernel makes happen when the test
/// process dies, however it dies.
/// </summary>
public static class ParentBound
{
    private const string Wrapper = """
        exec 3<&0
        "$@" </dev/null &
        child=$!
        echo "child-pid $child"
        trap 'kill -TERM "$child" 2>/dev/null' TERM
        cat <&3 >/dev/null 2>&1 &
        reader=$!
        exec 3<&-
        while kill -0 "$child" 2>/dev/null; do
          kill -0 "$reader" 2>/dev/null || kill -KILL "$child" 2>/dev/null
          wait -n "$child" "$reader" 2>/dev/null
        done
        kill "$reader" 2>/dev/null
        wait "$child"
        """;

    /// <summary>The start info of the wrapper around <paramref name="command"/> (same arguments and environment).</summary>
    public static ProcessStartInfo Wrap(ProcessStartInfo command)
    {
        ArgumentNullException.ThrowIfNull(command);
        var wrapper = new ProcessStartInfo("bash")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = command.WorkingDirectory,
        };
        wrapper.ArgumentList.Add("-c");
        wrapper.ArgumentList.Add(Wrapper.Replace("\r", string.Empty, StringComparison.Ordinal));
        wrapper.ArgumentList.Add("parent-bound");
        wrapper.ArgumentList.Add(command.FileName);
        foreach (var argument in command.ArgumentList)
        {
            wrapper.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in command.Environment)
        {
            wrapper.Environment[key] = value;
        }

        return wrapper;
    }

    /// <summary>The wrapped command's process id, from the wrapper's first line of output.</summary>
    public static bool TryParseChild(string? line, out int pid)
    {
        pid = 0;
        return line is not null && line.StartsWith("child-pid ", StringComparison.Ordinal)
            && int.TryParse(line.AsSpan("child-pid ".Length), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out pid);
    }
}
