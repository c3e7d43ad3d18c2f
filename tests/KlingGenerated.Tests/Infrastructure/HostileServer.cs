using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace KlingGenerated.Tests.Infrastructure;

/// <summary>
/// A raw HTTP/1.1 server on 127.0.0.1 that answers whatever a test tells it to, including what a well-behaved server
/// never does: drip bytes, stall after the headers, cut a body short, redirect anywhere, never answer, or serve a
/// body of any size without holding it in memory. Every connection carries one exchange and is then closed.
/// </summary>
/// <example>
/// <code>
/// await using var server = HostileServer.Start(HostileServer.Truncate(declared: 1000, sent: 10));
/// // ... point the client at server.Url("/api/v1/jobs/recordInfo") ...
/// server.Requests.Should().ContainSingle();
/// </code>
/// </example>
public sealed class HostileServer : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly Func<HostileExchange, Task> _handler;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentQueue<HostileRequest> _requests = new();
    private readonly ConcurrentBag<Task> _connections = [];
    private readonly Task _accepting;
    private int _connectionCount;

    private HostileServer(Func<HostileExchange, Task> handler)
    {
        _handler = handler;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start(backlog: 64);
        BaseUrl = new Uri($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/");
        _accepting = AcceptAsync();
    }

    /// <summary>The server's address, with a trailing slash.</summary>
    public Uri BaseUrl { get; }

    /// <summary>Every request received so far, in arrival order (also those the handler never answered).</summary>
    public IReadOnlyList<HostileRequest> Requests => [.. _requests];

    /// <summary>How many TCP connections were accepted.</summary>
    public int ConnectionCount => Volatile.Read(ref _connectionCount);

    /// <summary>Cancelled when the server is disposed: a stalling handler waits on it.</summary>
    public CancellationToken Stopping => _stopping.Token;

    /// <summary>Starts a server whose every exchange is run by <paramref name="handler"/>.</summary>
    public static HostileServer Start(Func<HostileExchange, Task> handler) => new(handler);

    /// <summary>An absolute URL on this server.</summary>
    public Uri Url(string pathAndQuery = "/") => new(BaseUrl, pathAndQuery.TrimStart('/'));

    // ---- Ready-made behaviours -------------------------------------------------------------------------------

    /// <summary>Answers <paramref name="status"/> with <paramref name="body"/> and the given headers.</summary>
    public static Func<HostileExchange, Task> Answer(int status, string body, params (string Name, string Value)[] headers) =>
        exchange => exchange.RespondAsync(status, Encoding.UTF8.GetBytes(body), headers);

    /// <summary>Answers <paramref name="status"/> with a raw body.</summary>
    public static Func<HostileExchange, Task> Answer(int status, byte[] body, params (string Name, string Value)[] headers) =>
        exchange => exchange.RespondAsync(status, body, headers);

    /// <summary>Sends the headers and a Content-Length for all of <paramref name="body"/>, then one byte every <paramref name="interval"/>.</summary>
    public static Func<HostileExchange, Task> Drip(byte[] body, TimeSpan interval, int status = 200) => async exchange =>
    {
        await exchange.WriteHeadAsync(status, body.Length);
        for (var i = 0; i < body.Length; i++)
        {
            await Task.Delay(interval, exchange.Stopping);
            await exchange.WriteAsync(body.AsMemory(i, 1));
        }
    };

    /// <summary>Sends the headers (Content-Length <paramref name="declared"/>) and the first <paramref name="sent"/> bytes, then waits until the client gives up or the server stops.</summary>
    public static Func<HostileExchange, Task> StallAfterHeaders(long declared = 1000, byte[]? sent = null, int status = 200) => async exchange =>
    {
        await exchange.WriteHeadAsync(status, declared);
        if (sent is { Length: > 0 })
        {
            await exchange.WriteAsync(sent);
        }

        await exchange.StallAsync();
    };

    /// <summary>Declares <paramref name="declared"/> bytes, sends <paramref name="sent"/> of them, then closes the connection.</summary>
    public static Func<HostileExchange, Task> Truncate(long declared, byte[] sent, int status = 200, params (string Name, string Value)[] headers) => async exchange =>
    {
        await exchange.WriteHeadAsync(status, declared, headers);
        await exchange.WriteAsync(sent);
        // Returning closes the connection with the body incomplete.
    };

    /// <summary>Redirects to <paramref name="location"/> (any scheme, any host).</summary>
    public static Func<HostileExchange, Task> Redirect(string location, int status = 302) =>
        exchange => exchange.RespondAsync(status, [], ("Location", location));

    /// <summary>Reads the request and never answers, until the client gives up or the server stops.</summary>
    public static Func<HostileExchange, Task> NeverAnswer() => exchange => exchange.StallAsync();

    /// <summary>Serves <paramref name="length"/> bytes of <paramref name="fill"/> (with a Content-Length unless <paramref name="declareLength"/> is false) without allocating them.</summary>
    public static Func<HostileExchange, Task> Huge(long length, byte fill = (byte)'x', bool declareLength = true) => async exchange =>
    {
        await exchange.WriteHeadAsync(200, declareLength ? length : null, [("Content-Type", "video/mp4")]);
        var chunk = new byte[64 * 1024];
        Array.Fill(chunk, fill);
        for (long left = length; left > 0;)
        {
            var n = (int)Math.Min(chunk.Length, left);
            await exchange.WriteAsync(chunk.AsMemory(0, n));
            left -= n;
        }
    };

    /// <summary>Runs <paramref name="handlers"/> in turn, one per exchange; the last one repeats.</summary>
    public static Func<HostileExchange, Task> Sequence(params Func<HostileExchange, Task>[] handlers)
    {
        var next = -1;
        return exchange => handlers[Math.Min(Interlocked.Increment(ref next), handlers.Length - 1)](exchange);
    }

    /// <summary>Chooses the behaviour by request path (without the query); unknown paths get a 404.</summary>
    public static Func<HostileExchange, Task> ByPath(params (string Path, Func<HostileExchange, Task> Handler)[] routes) => exchange =>
    {
        foreach (var (path, handler) in routes)
        {
            if (exchange.Request.Path == path)
            {
                return handler(exchange);
            }
        }

        return exchange.RespondAsync(404, Encoding.UTF8.GetBytes("no route"));
    };

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _listener.Stop();
        try
        {
            await _accepting;
        }
        catch (Exception exception) when (exception is ObjectDisposedException or SocketException or OperationCanceledException)
        {
        }

        await Task.WhenAll(_connections);
        _stopping.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptSocketAsync(_stopping.Token);
            }
            // InvalidOperationException: Stop() ran between the loop's check and the accept ("Not listening").
            catch (Exception exception) when (exception is ObjectDisposedException or SocketException or OperationCanceledException or InvalidOperationException)
            {
                return;
            }

            Interlocked.Increment(ref _connectionCount);
            _connections.Add(Task.Run(() => ServeAsync(socket)));
        }
    }

    private async Task ServeAsync(Socket socket)
    {
        using var _ = socket;
        socket.NoDelay = true;
        await using var stream = new NetworkStream(socket, ownsSocket: false);
        try
        {
            var request = await HostileRequest.ReadAsync(stream, _stopping.Token);
            if (request is null)
            {
                return;
            }

            _requests.Enqueue(request);
            var exchange = new HostileExchange(request, stream, socket, _stopping.Token);
            await _handler(exchange);
            await stream.FlushAsync(_stopping.Token);
            // Half-close and wait for the client to close: closing at once could reset the connection before the
            // client read what was sent, turning "body cut off" into "connection reset" on a busy machine.
            socket.Shutdown(SocketShutdown.Send);
            using var linger = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
            linger.CancelAfter(TimeSpan.FromSeconds(5));
            var sink = new byte[4096];
            while (await stream.ReadAsync(sink, linger.Token) > 0)
            {
            }
        }
        catch (Exception exception) when (exception is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The client went away, or the server is stopping: both are normal here.
        }
    }
}

/// <summary>A request as the hostile server read it.</summary>
public sealed record HostileRequest(string Method, string Path, string Query, IReadOnlyDictionary<string, string> Headers, byte[] Body)
{
    /// <summary>The body as UTF-8 text.</summary>
    public string BodyText => Encoding.UTF8.GetString(Body);

    /// <summary>A header's value, or null.</summary>
    public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;

    internal static async Task<HostileRequest?> ReadAsync(Stream stream, CancellationToken cancellationToken)
    {
        var head = new List<byte>(1024);
        var one = new byte[1];
        while (!(head.Count >= 4 && head[^4] == '\r' && head[^3] == '\n' && head[^2] == '\r' && head[^1] == '\n'))
        {
            if (await stream.ReadAsync(one, cancellationToken) == 0)
            {
                return null;
            }

            head.Add(one[0]);
            if (head.Count > 64 * 1024)
            {
                throw new IOException("request head too large");
            }
        }

        var lines = Encoding.ASCII.GetString(head.ToArray()).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        var requestLine = lines[0].Split(' ');
        var target = requestLine[1];
        var question = target.IndexOf('?', StringComparison.Ordinal);
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            headers[line[..colon].Trim()] = line[(colon + 1)..].Trim();
        }

        var body = Array.Empty<byte>();
        if (headers.TryGetValue("Content-Length", out var lengthText) && int.TryParse(lengthText, out var length) && length > 0)
        {
            body = new byte[length];
            await stream.ReadExactlyAsync(body, cancellationToken);
        }

        return new HostileRequest(requestLine[0], question < 0 ? target : target[..question], question < 0 ? string.Empty : target[question..], headers, body);
    }
}

/// <summary>One exchange on the hostile server: the request, and raw control over the answer.</summary>
public sealed class HostileExchange
{
    private readonly Stream _stream;
    private readonly Socket _socket;

    internal HostileExchange(HostileRequest request, Stream stream, Socket socket, CancellationToken stopping)
    {
        Request = request;
        _stream = stream;
        _socket = socket;
        Stopping = stopping;
    }

    /// <summary>What the client sent.</summary>
    public HostileRequest Request { get; }

    /// <summary>Cancelled when the server stops.</summary>
    public CancellationToken Stopping { get; }

    /// <summary>Writes a complete answer.</summary>
    public async Task RespondAsync(int status, byte[] body, params (string Name, string Value)[] headers)
    {
        await WriteHeadAsync(status, body.Length, headers);
        await WriteAsync(body);
    }

    /// <summary>Writes the status line and headers; <paramref name="contentLength"/> null sends none (the body then ends when the connection closes).</summary>
    public async Task WriteHeadAsync(int status, long? contentLength, params (string Name, string Value)[] headers)
    {
        var head = new StringBuilder();
        head.Append("HTTP/1.1 ").Append(status).Append(' ').Append(Reason(status)).Append("\r\n");
        if (!headers.Any(h => h.Name.Equals("Content-Type", StringComparison.OrdinalIgnoreCase)))
        {
            head.Append("Content-Type: application/json\r\n");
        }

        foreach (var (name, value) in headers)
        {
            head.Append(name).Append(": ").Append(value).Append("\r\n");
        }

        if (contentLength is { } length)
        {
            head.Append("Content-Length: ").Append(length).Append("\r\n");
        }

        head.Append("Connection: close\r\n\r\n");
        await WriteAsync(Encoding.ASCII.GetBytes(head.ToString()));
    }

    /// <summary>Writes raw bytes and flushes them.</summary>
    public async Task WriteAsync(ReadOnlyMemory<byte> bytes)
    {
        await _stream.WriteAsync(bytes, Stopping);
        await _stream.FlushAsync(Stopping);
    }

    /// <summary>Waits until the client closes the connection or the server stops, writing nothing.</summary>
    public async Task StallAsync()
    {
        var sink = new byte[256];
        try
        {
            while (await _stream.ReadAsync(sink, Stopping) > 0)
            {
            }
        }
        catch (Exception exception) when (exception is IOException or OperationCanceledException)
        {
        }
    }

    /// <summary>Resets the connection (TCP RST) instead of closing it.</summary>
    public void Abort()
    {
        _socket.LingerState = new LingerOption(true, 0);
        _socket.Close();
    }

    private static string Reason(int status) => status switch
    {
        200 => "OK",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        404 => "Not Found",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        _ => "Status",
    };
}
