using System.Diagnostics;
using System.Text;

namespace Serverless.IntegrationTests.Infrastructure;

/// <summary>
/// What a started process prints on both of its streams, kept line by line and readable while it runs (the lines arrive on
/// the thread pool), for waiting on a line and for failure messages.
/// </summary>
public sealed class ProcessOutput
{
    private readonly StringBuilder _text = new();

    private ProcessOutput()
    {
    }

    /// <summary>All printed so far.</summary>
    public string Text
    {
        get
        {
            lock (_text)
            {
                return _text.ToString();
            }
        }
    }

    /// <summary>Starts reading both streams of a started <paramref name="process"/> (redirected) into a new log.</summary>
    public static ProcessOutput Read(Process process)
    {
        ArgumentNullException.ThrowIfNull(process);
        var output = new ProcessOutput();
        process.OutputDataReceived += (_, e) => output.Append(e.Data);
        process.ErrorDataReceived += (_, e) => output.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return output;
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_text)
        {
            _text.AppendLine(line);
        }
    }
}
