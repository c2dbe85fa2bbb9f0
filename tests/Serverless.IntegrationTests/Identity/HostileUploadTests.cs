using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Serverless.IntegrationTests.Infrastructure;
using Serverless.Storage;
using Serverless.Videos;

namespace Serverless.IntegrationTests.Identity;

/// <summary>The app with the pipeline running on an Azurite of its own (review off), for hostile uploads.</summary>
public sealed class HostileUploadFixture : IAsyncLifetime
{
    private readonly AzuriteProcess _azurite = new();
    private string _work = null!;

    public FunctionsAppFactory App { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await _azurite.InitializeAsync();
        _work = Directory.CreateTempSubdirectory("hostile-uploads-").FullName;
        App = new FunctionsAppFactory(_azurite.ConnectionString, new Dictionary<string, string?>
        {
            ["Pipeline:RetryBaseDelaySeconds"] = "0.2",
            ["Media:WorkDirectory"] = Path.Combine(_work, "media-work"),
        });
    }

    public async Task DisposeAsync()
    {
        await App.DisposeAsync();
        await _azurite.DisposeAsync();
        Directory.Delete(_work, recursive: true);
    }
}

/// <summary>
/// Hostile uploads through the upload URL, as a client can make them: files that steer ffmpeg to other addresses (an HLS
/// playlist, an ffconcat list), files that are no video container (text, an image sequence), and more bytes than declared.
/// Each ends Failed at once (probed once, never retried) with a reason a person reads, its upload kept, and nothing but the
/// uploaded bytes read: a canary listener on loopback, which the hostile files name, is never contacted.
/// </summary>
public sealed class HostileUploadTests(HostileUploadFixture fixture) : IClassFixture<HostileUploadFixture>
{
    private static readonly Dictionary<string, HostileUpload> Cases = new HostileUpload[]
    {
        new(
            "HLS playlist naming internal addresses",
            canary => Encoding.ASCII.GetBytes(
                "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n" +
                $"#EXTINF:2,\nhttp://127.0.0.1:{canary}/internal-secret.ts\n" +
                $"#EXTINF:2,\nhttp://127.0.0.1:{canary}/metadata/instance.ts\n" +
                "#EXT-X-ENDLIST\n"),
            ContentType: "application/vnd.apple.mpegurl",
            Reason: "playlist"),
        new(
            "ffconcat list naming internal addresses",
            canary => Encoding.ASCII.GetBytes($"ffconcat version 1.0\nfile http://127.0.0.1:{canary}/clip.mp4\nfile http://127.0.0.1:{canary}/clip-2.mp4\n"),
            Reason: "concat"),
        new(
            "text file",
            _ => Encoding.UTF8.GetBytes("These are my holiday notes, not a video.\n"),
            ContentType: "text/plain",
            Reason: null),
        new(
            "image sequence (concatenated JPEGs)",
            _ => JpegSequence(),
            Reason: "image"),
        new(
            "file larger than declared",
            _ => File.ReadAllBytes(TestClips.Shared.GenerateAsync(new ClipSpec(320, 180, 2)).GetAwaiter().GetResult()),
            DeclaredBytes: 4096,
            Reason: "declared"),
    }.ToDictionary(c => c.Name);

    public static TheoryData<string> CaseNames => new(Cases.Keys);

    [Theory]
    [MemberData(nameof(CaseNames))]
    public async Task HostileUpload_FailsAtOnceWithReason_KeepsTheUpload_ReadsNothingElse(string name)
    {
        var hostile = Cases[name];
        await using var canary = new Canary();
        var bytes = hostile.Content(canary.Port);
        var client = fixture.App.CreateClient().As("mallory");

        using var created = await client.PostAsJsonAsync("/api/uploads", new { fileName = "clip.mp4", contentType = "video/mp4", sizeBytes = hostile.DeclaredBytes ?? bytes.Length });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var body = await created.Content.ReadFromJsonAsync<JsonElement>();
        var videoId = body.GetProperty("videoId").GetString()!;
        using (var http = new HttpClient())
        using (var put = new HttpRequestMessage(HttpMethod.Put, body.GetProperty("uploadUrl").GetString()) { Content = new ByteArrayContent(bytes) })
        {
            put.Headers.Add("x-ms-blob-type", "BlockBlob");
            if (hostile.ContentType is { } type)
            {
                put.Headers.Add("x-ms-blob-content-type", type); // the upload URL lets the client set it
            }

            Assert.Equal(HttpStatusCode.Created, (await http.SendAsync(put)).StatusCode);
        }

        var status = await WaitForTerminalAsync(client, videoId);

        Assert.True(canary.Contacts.IsEmpty, $"ffmpeg reached the canary: {string.Join(" | ", canary.Contacts)}");
        Assert.Equal("Failed", status.GetProperty("status").GetString());
        var error = status.GetProperty("error").GetString();
        Assert.False(string.IsNullOrWhiteSpace(error));
        Assert.DoesNotContain("Exception", error, StringComparison.Ordinal);
        Assert.DoesNotContain("http", error, StringComparison.OrdinalIgnoreCase); // no address, no SAS
        if (hostile.Reason is { } reason)
        {
            Assert.Contains(reason, error, StringComparison.OrdinalIgnoreCase);
        }

        var entry = await fixture.App.Services.GetRequiredService<VideoRepository>().GetEntryAsync(videoId, default);
        Assert.Equal(1, entry!.State![PipelineStep.ProbeSource].Attempts); // bad input: never retried
        var original = await fixture.App.Services.GetRequiredService<IBlobStore>().GetInfoAsync(MediaLayout.UploadsContainer, MediaLayout.Source(videoId), default);
        Assert.Equal(bytes.Length, original?.Length);
    }

    private static async Task<JsonElement> WaitForTerminalAsync(HttpClient client, string videoId)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(120))
        {
            var status = await client.GetFromJsonAsync<JsonElement>($"/api/videos/{videoId}");
            if (status.GetProperty("status").GetString() is "Ready" or "Failed" or "InReview")
            {
                return status;
            }

            await Task.Delay(250);
        }

        throw new TimeoutException($"Video {videoId} did not finish within 120 s.");
    }

    /// <summary>2 s of 320x180 JPEG frames one after the other, as ffmpeg's image-pipe demuxer reads an image sequence.</summary>
    private static byte[] JpegSequence()
    {
        var path = Path.Combine(TestClips.Shared.Root, "sequence-" + Guid.NewGuid().ToString("N") + ".mjpeg");
        TestClips.RunFfmpegAsync(["-f", "lavfi", "-i", "testsrc2=size=320x180:rate=25:duration=2", "-c:v", "mjpeg", "-f", "image2pipe", path]).GetAwaiter().GetResult();
        var bytes = File.ReadAllBytes(path);
        File.Delete(path);
        return bytes;
    }

    /// <param name="Content">The bytes, given the canary's port.</param>
    /// <param name="ContentType">What the client sets as the blob's content type, if anything.</param>
    /// <param name="DeclaredBytes">The size declared when the upload was created; null for the real size.</param>
    /// <param name="Reason">A word the Failed reason must contain.</param>
    private sealed record HostileUpload(string Name, Func<int, byte[]> Content, string? ContentType = null, long? DeclaredBytes = null, string? Reason = null);

    /// <summary>A TCP listener on loopback that records every connection and the first bytes it receives.</summary>
    private sealed class Canary : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _loop;

        public Canary()
        {
            _listener.Start();
            Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
            _loop = Task.Run(AcceptAsync);
        }

        public int Port { get; }

        public ConcurrentQueue<string> Contacts { get; } = new();

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _listener.Stop();
            try
            {
                await _loop;
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
            }

            _stop.Dispose();
        }

        private async Task AcceptAsync()
        {
            while (!_stop.IsCancellationRequested)
            {
                using var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                var buffer = new byte[256];
                using var read = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                read.CancelAfter(TimeSpan.FromSeconds(1));
                int n;
                try
                {
                    n = await client.GetStream().ReadAsync(buffer, read.Token);
                }
                catch (OperationCanceledException) when (!_stop.IsCancellationRequested)
                {
                    n = 0;
                }

                Contacts.Enqueue(client.Client.RemoteEndPoint + " " + Encoding.ASCII.GetString(buffer, 0, n).Split('\n')[0].Trim());
            }
        }
    }
}
