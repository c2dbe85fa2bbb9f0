using System.Diagnostics;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Serverless.IntegrationTests.Infrastructure;
using Serverless.Storage;
using Serverless.Videos;

namespace Serverless.IntegrationTests.Playback;

/// <summary>
/// The real app on Kestrel (loopback, so ffmpeg can reach it) on the run's Azurite, and a tiny real HLS set made by
/// ffmpeg once (2 s, 320x180 + 160x90, fMP4 with EXT-X-MAP) that tests publish under fresh video ids.
/// </summary>
public sealed class PlaybackFixture : IAsyncLifetime
{
    private readonly AzuriteFixture _azurite = new();
    private string _work = null!;

    public WebApplicationFactory<Program> App { get; private set; } = null!;

    public Uri BaseAddress { get; private set; } = null!;

    public string ConnectionString => _azurite.ConnectionString;

    /// <summary>The account's blob endpoint, e.g. <c>http://127.0.0.1:10000/t007</c>.</summary>
    public string BaseBlobUri() => _azurite.Account.BlobServiceUri.AbsoluteUri.TrimEnd('/');

    /// <summary>The storage account the app writes to.</summary>
    public string AccountName => _azurite.Account.Name;

    /// <summary>The generated HLS files, relative to the video's <c>hls/</c> folder, and the poster.</summary>
    public string HlsFolder => Path.Combine(_work, "hls");

    public string PosterFile => Path.Combine(_work, "poster.jpg");

    public async Task InitializeAsync()
    {
        await _azurite.InitializeAsync();
        _work = Directory.CreateTempSubdirectory("playback-").FullName;
        Directory.CreateDirectory(HlsFolder);
        await Ffmpeg.RunAsync(HlsFolder,
            "-f", "lavfi", "-i", "testsrc=duration=2:size=320x180:rate=15", "-f", "lavfi", "-i", "sine=frequency=440:duration=2",
            "-filter_complex", "[0:v]split=2[a][b];[b]scale=160:90[b2]",
            "-map", "[a]", "-map", "[b2]", "-map", "1:a", "-map", "1:a",
            "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-g", "15", "-c:a", "aac", "-b:a", "48k",
            "-f", "hls", "-hls_time", "1", "-hls_playlist_type", "vod", "-hls_segment_type", "fmp4", "-hls_fmp4_init_filename", "init.mp4",
            "-hls_segment_filename", "%v/seg_%05d.m4s", "-var_stream_map", "v:0,a:0,name:180p v:1,a:1,name:90p",
            "-master_pl_name", "master.m3u8", "%v/index.m3u8");
        await Ffmpeg.RunAsync(_work, "-f", "lavfi", "-i", "testsrc=size=320x180", "-frames:v", "1", "poster.jpg");

        var factory = new FunctionsAppFactory(_azurite.ConnectionString, new Dictionary<string, string?> { ["LocalRuntime:Enabled"] = "false" });
        factory.UseKestrel(0);
        factory.StartServer();
        App = factory;
        var address = App.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        BaseAddress = new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal).Replace("localhost", "127.0.0.1", StringComparison.Ordinal));
    }

    public async Task DisposeAsync()
    {
        await App.DisposeAsync();
        Directory.Delete(_work, recursive: true);
    }

    /// <summary>Publishes the generated HLS set and poster under a new video id and records the video as <paramref name="status"/>.</summary>
    /// <remarks>The owner is the test user <c>alice</c>.</remarks>
    public Task<string> SeedAsync(VideoStatus status = VideoStatus.Ready) => SeedAsync(App.Services, status);

    public async Task<string> SeedAsync(IServiceProvider services, VideoStatus status = VideoStatus.Ready)
    {
        var videoId = VideoIds.New();
        var blobs = services.GetRequiredService<IBlobStore>();
        if (status == VideoStatus.Ready)
        {
            foreach (var file in Directory.EnumerateFiles(HlsFolder, "*", SearchOption.AllDirectories))
            {
                var relative = Path.GetRelativePath(HlsFolder, file).Replace('\\', '/');
                await blobs.UploadFileAsync(MediaLayout.Container, $"{videoId}/hls/{relative}", file, new BlobWriteOptions(ContentType(file)), default);
            }

            await blobs.UploadFileAsync(MediaLayout.Container, MediaLayout.Poster(videoId), PosterFile, new BlobWriteOptions("image/jpeg"), default);
        }

        var repository = services.GetRequiredService<VideoRepository>();
        var entry = await repository.CreateAsync(videoId, "dev-alice", "clip.mp4", "video/mp4", 1000, default);
        var renditions = new List<VideoRendition>
        {
            new("180p", 320, 180, 60000, 50000, "avc1.64000c,mp4a.40.2", 15, MediaLayout.RenditionPlaylist(videoId, "180p")),
            new("90p", 160, 90, 40000, 30000, "avc1.64000a,mp4a.40.2", 15, MediaLayout.RenditionPlaylist(videoId, "90p")),
        };
        var video = entry.Video with
        {
            Status = status,
            Stage = status.ToString(),
            DurationSeconds = status == VideoStatus.Ready ? 2 : null,
            Renditions = status == VideoStatus.Ready ? renditions : [],
            Error = status == VideoStatus.Failed ? "The upload is not a video." : null,
            ReadyAt = status == VideoStatus.Ready ? DateTimeOffset.UtcNow : null,
        };
        await repository.SaveAsync(entry with { Video = video }, default);
        return videoId;
    }

    private static string ContentType(string file) => Path.GetExtension(file) switch
    {
        ".m3u8" => "application/vnd.apple.mpegurl",
        ".m4s" => "video/iso.segment",
        _ => "video/mp4",
    };
}

/// <summary>Runs ffmpeg/ffprobe as a real HLS client would; returns exit code, stdout and stderr.</summary>
public static class Ffmpeg
{
    public static async Task RunAsync(string workingDirectory, params string[] args)
    {
        var (code, _, stderr) = await ExecAsync("ffmpeg", workingDirectory, ["-v", "error", "-y", .. args]);
        Assert.True(code == 0, $"ffmpeg failed ({code}): {stderr}");
    }

    public static async Task<(int ExitCode, string StdOut, string StdErr)> ExecAsync(string tool, string? workingDirectory, IEnumerable<string> args)
    {
        var psi = new ProcessStartInfo(tool)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var arg in args)
        {
            psi.ArgumentList.Add(arg);
        }

        using var process = Process.Start(psi)!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{tool} did not finish within 90 s.");
        }

        return (process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Decodes every stream of every variant with ffprobe <c>-count_frames</c>; returns (codec type, width, decoded frames) per stream.</summary>
    public static async Task<IReadOnlyList<(string Type, int Width, int Frames)>> CountFramesAsync(string url)
    {
        var (code, stdout, stderr) = await ExecAsync("ffprobe", null,
            ["-v", "error", "-count_frames", "-show_entries", "stream=codec_type,width,nb_read_frames", "-of", "json", url]);
        Assert.True(code == 0 && stderr.Length == 0, $"ffprobe failed ({code}): {stderr}");
        using var json = JsonDocument.Parse(stdout);
        return json.RootElement.GetProperty("streams").EnumerateArray()
            .Select(s => (
                s.GetProperty("codec_type").GetString()!,
                s.TryGetProperty("width", out var w) ? w.GetInt32() : 0,
                int.Parse(s.GetProperty("nb_read_frames").GetString()!, System.Globalization.CultureInfo.InvariantCulture)))
            .ToList();
    }
}
