using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Serverless.IntegrationTests.Media;

/// <summary>
/// Serves a file over HTTP but sends only its first part, then holds the connection open: ffmpeg reading it transcodes
/// the start and then waits for more, so it is reliably still running when a test cancels or kills it.
/// </summary>
internal sealed class StallingHttpServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly List<TcpClient> _clients = [];
    private readonly Task _loop;

    public StallingHttpServer(byte[] content, double servedFraction)
    {
        _listener.Start();
        Url = string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/clip.ts");
        _loop = ServeAsync(content, (int)(content.Length * servedFraction));
    }

    public string Url { get; }

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
            // Stopped.
        }

        lock (_clients)
        {
            foreach (var client in _clients)
            {
                client.Dispose();
            }
        }

        _stop.Dispose();
    }

    private async Task ServeAsync(byte[] content, int served)
    {
        while (!_stop.IsCancellationRequested)
        {
            var client = await _listener.AcceptTcpClientAsync(_stop.Token);
            lock (_clients)
            {
                _clients.Add(client);
            }

            var stream = client.GetStream();
            var buffer = new byte[8192];
            var request = new StringBuilder();
            while (!request.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
            {
                var read = await stream.ReadAsync(buffer, _stop.Token);
                if (read == 0)
                {
                    break;
                }

                request.Append(Encoding.ASCII.GetString(buffer, 0, read));
            }

            var headers = string.Create(CultureInfo.InvariantCulture,
                $"HTTP/1.1 200 OK\r\nContent-Type: video/mp2t\r\nContent-Length: {content.Length}\r\nConnection: close\r\n\r\n");
            await stream.WriteAsync(Encoding.ASCII.GetBytes(headers), _stop.Token);
            await stream.WriteAsync(content.AsMemory(0, served), _stop.Token);
            await stream.FlushAsync(_stop.Token);

            // Hold the connection open without sending the rest.
        }
    }
}
