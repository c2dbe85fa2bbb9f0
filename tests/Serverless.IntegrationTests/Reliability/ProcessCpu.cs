using System.Globalization;

namespace Serverless.IntegrationTests.Reliability;

/// <summary>CPU time a process has used so far (user + system, from <c>/proc/&lt;pid&gt;/stat</c>), to tell which process a load saturates.</summary>
internal static class ProcessCpu
{
    /// <summary>Kernel clock ticks per second (USER_HZ): 100 on every Linux this runs on.</summary>
    private const double TicksPerSecond = 100;

    public static double? Seconds(int? processId)
    {
        if (processId is not { } pid)
        {
            return null;
        }

        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // The command name (field 2) is in parentheses and may contain spaces: fields are counted after its ')'.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            // utime and stime are fields 14 and 15 of the whole line, i.e. 11 and 12 after the name (0-based from field 3).
            return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / TicksPerSecond;
        }
        catch (IOException)
        {
            return null;
        }
    }
}
