using Serverless.Storage;
using Serverless.Videos;

namespace Serverless.Pipeline;

/// <summary>The video is gone (deleted by its owner) or no longer in the pipeline: the step stops.</summary>
internal sealed class VideoGoneException : Exception
{
}

/// <summary>Writes a transcode's progress to the video's row, at most once per interval (<c>Pipeline__ProgressIntervalSeconds</c>).</summary>
internal sealed class ProgressWriter : IDisposable
{
    private readonly VideoRepository _videos;
    private readonly string _videoId;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _stop;
    private readonly Task _loop;
    private double _progress = double.NaN;

    public ProgressWriter(VideoRepository videos, string videoId, TimeSpan interval, TimeProvider time, CancellationToken cancellationToken)
    {
        _videos = videos;
        _videoId = videoId;
        _time = time;
        _stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _loop = Task.Run(() => RunAsync(interval, _stop.Token), CancellationToken.None);
    }

    public void Report(double percent) => Volatile.Write(ref _progress, Math.Clamp(percent, 0, 100));

    public async Task StopAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _stop.Dispose();
    }

    private async Task RunAsync(TimeSpan interval, CancellationToken cancellationToken)
    {
        double? written = null;
        while (!cancellationToken.IsCancellationRequested)
        {
            await Task.Delay(interval, _time, cancellationToken).ConfigureAwait(false);
            var raw = Volatile.Read(ref _progress);
            if (double.IsNaN(raw) || raw == written)
            {
                continue;
            }

            try
            {
                await _videos.UpdateAsync(
                    _videoId,
                    e => e.Video.Status == VideoStatus.Processing ? e with { Video = e.Video with { Progress = raw } } : null,
                    cancellationToken).ConfigureAwait(false);
                written = raw;
            }
            catch (StorageException)
            {
                // Best effort: a missed write only delays progress; the step goes on.
            }
        }
    }
}
