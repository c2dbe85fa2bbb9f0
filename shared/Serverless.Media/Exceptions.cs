namespace Serverless.Media;

/// <summary>ffmpeg or ffprobe failed in a way that may be transient: it crashed, was killed, timed out or could not start.</summary>
public sealed class FfmpegException : Exception
{
    public FfmpegException(string message, int? exitCode, string stderrTail, IReadOnlyList<string> arguments, bool timedOut, Exception? innerException = null)
        : base(message, innerException)
    {
        ExitCode = exitCode;
        StderrTail = stderrTail;
        Arguments = arguments;
        TimedOut = timedOut;
    }

    /// <summary>The process exit code, or null when it never ran to an exit (did not start, or was killed on timeout).</summary>
    public int? ExitCode { get; }

    /// <summary>The last lines ffmpeg wrote on stderr.</summary>
    public string StderrTail { get; }

    /// <summary>The argument list the process was started with (without the executable).</summary>
    public IReadOnlyList<string> Arguments { get; }

    /// <summary>True when our own timeout stopped the process (not the caller's cancellation).</summary>
    public bool TimedOut { get; }
}

/// <summary>The input is not acceptable media (not a media file, truncated, no usable stream, outside the limits). Retrying will not help.</summary>
public sealed class MediaRejectedException : Exception
{
    public MediaRejectedException(string reason, Exception? innerException = null)
        : base(reason, innerException)
    {
        Reason = reason;
    }

    /// <summary>A human-readable reason, fit to show to the uploader.</summary>
    public string Reason { get; }
}

/// <summary>
/// The work folder's disk has too little free space for the job (found before starting ffmpeg, or ffmpeg failed with
/// "No space left on device"). Transient: space may be freed before a retry. <see cref="Exception.Message"/> is fit to
/// show to the uploader.
/// </summary>
public sealed class InsufficientDiskSpaceException : IOException
{
    public InsufficientDiskSpaceException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}
