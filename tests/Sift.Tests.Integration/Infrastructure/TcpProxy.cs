using System.Net;
using System.Net.Sockets;

namespace Sift.Tests.Integration.Infrastructure;

/// <summary>
/// A loopback TCP relay in front of a test server, so that a test can make the server unreachable (nothing listens
/// until <see cref="Start"/>) or cut every open connection (<see cref="DropAll"/>) as a network failure would. With
/// <paramref name="hideCapability"/> it plays an IMAP server without that capability (the word is taken out of what the
/// server sends; test mail must not contain it).
/// </summary>
public sealed class TcpProxy(int targetPort, string? hideCapability = null) : IAsyncDisposable
{
    private readonly List<TcpClient> _connections = [];
    private readonly CancellationTokenSource _stop = new();
    private TcpListener? _listener;
    private Task? _accepting;

    /// <summary>A port that nothing listens on yet; the proxy listens there once started.</summary>
    public int Port { get; } = FreePort();

    public void Start()
    {
        _listener = new TcpListener(IPAddress.Loopback, Port);
        _listener.Start();
        _accepting = AcceptAsync(_listener, _stop.Token);
    }

    /// <summary>Closes every relayed connection (the listener stays up, so clients can reconnect).</summary>
    public void DropAll()
    {
        lock (_connections)
        {
            foreach (var connection in _connections)
            {
                try
                {
                    // A reset, as when a NAT or the server drops the connection, rather than a polite close.
                    connection.Client?.Close(timeout: 0);
                }
                catch (ObjectDisposedException)
                {
                }

                connection.Dispose();
            }

            _connections.Clear();
        }
    }

    private async Task AcceptAsync(TcpListener listener, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await listener.AcceptTcpClientAsync(cancellationToken);
            }
            catch (Exception) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }

            var upstream = new TcpClient();
            try
            {
                await upstream.ConnectAsync(IPAddress.Loopback, targetPort, cancellationToken);
            }
            catch (SocketException)
            {
                client.Dispose();
                upstream.Dispose();
                continue;
            }

            lock (_connections)
            {
                _connections.Add(client);
                _connections.Add(upstream);
            }

            _ = PumpAsync(client, upstream, rewrite: false, cancellationToken);
            _ = PumpAsync(upstream, client, rewrite: hideCapability is not null, cancellationToken);
        }
    }

    private async Task PumpAsync(TcpClient from, TcpClient to, bool rewrite, CancellationToken cancellationToken)
    {
        try
        {
            if (!rewrite)
            {
                await from.GetStream().CopyToAsync(to.GetStream(), cancellationToken);
            }
            else
            {
                var buffer = new byte[64 * 1024];
                int read;
                while ((read = await from.GetStream().ReadAsync(buffer, cancellationToken)) > 0)
                {
                    // Latin-1 maps bytes to chars one to one, so everything else passes unchanged.
                    var text = System.Text.Encoding.Latin1.GetString(buffer, 0, read).Replace($" {hideCapability}", string.Empty, StringComparison.Ordinal);
                    await to.GetStream().WriteAsync(System.Text.Encoding.Latin1.GetBytes(text), cancellationToken);
                }
            }
        }
        catch (Exception)
        {
            // One side went away: so does the other.
        }

        from.Dispose();
        to.Dispose();
    }

    private static int FreePort()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener?.Stop();
        if (_accepting is not null)
        {
            await _accepting;
        }

        DropAll();
        _stop.Dispose();
    }
}
