using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Serverless.Media;

namespace Serverless.Pipeline;

/// <summary>At start-up, removes work folders a crashed process left behind (older than the longest a step may run).</summary>
internal sealed partial class WorkFolderCleanup(IOptions<MediaOptions> media, TimeProvider time, ILogger<WorkFolderCleanup> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        var root = WorkFolder.Root(media.Value);
        if (!Directory.Exists(root))
        {
            return Task.CompletedTask;
        }

        var cutoff = time.GetUtcNow().UtcDateTime - TimeSpan.FromSeconds(media.Value.TranscodeTimeoutSeconds) - TimeSpan.FromMinutes(5);
        foreach (var dir in Directory.EnumerateDirectories(root, "*", SearchOption.TopDirectoryOnly).SelectMany(Directory.EnumerateDirectories))
        {
            try
            {
                if (Directory.GetLastWriteTimeUtc(dir) < cutoff)
                {
                    Directory.Delete(dir, recursive: true);
                    LogRemoved(dir);
                }
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 240, Level = LogLevel.Information, Message = "Removed stale work folder {Folder}")]
    private partial void LogRemoved(string folder);
}
