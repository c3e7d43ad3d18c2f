using System.Net;
using System.Net.Sockets;
using System.Text;
using KlingGenerated.Simulator;

namespace KlingGenerated.Tests;

/// <summary>
/// A callback receiver is untrusted: the simulator reads only the status line and headers of its answer, follows no
/// redirect, and so its memory does not grow with what a hostile receiver sends. Options that would overflow when added
/// up are refused at start, and binding beyond loopback with the default key is warned about.
/// </summary>
public sealed class SimulatorCallbackBoundsTests
{
    private const string Model = "kling/v2-5-turbo-text-to-video-pro";

    [Fact]
    public async Task A_receiver_that_answers_768_MiB_gets_its_headers_read_and_its_body_refused_after_a_few_MiB()
    {
        using var receiver = new HostileReceiver(announcedBytes: 768L * 1024 * 1024, status: "200 OK", location: null);
        await using var simulator = await StartAsync();

        await CreateWithCallbackAsync(simulator, receiver.Url);
        await simulator.CallbacksDrainedAsync();
        await receiver.Finished.WaitAsync(TimeSpan.FromMinutes(1));

        receiver.Requests.Should().Be(1, "a 200 is a delivered callback");
        receiver.BodyBytesSent.Should().BeLessThan(64L * 1024 * 1024, "the simulator stopped reading after the headers; what left is only what the sockets' buffers took");
    }

    [Fact]
    public async Task A_receiver_that_redirects_is_not_followed_and_counts_as_a_failed_delivery()
    {
        using var target = new HostileReceiver(announcedBytes: 0, status: "200 OK", location: null);
        using var receiver = new HostileReceiver(announcedBytes: 0, status: "307 Temporary Redirect", location: target.Url);
        await using var simulator = await StartAsync(attempts: 2);

        await CreateWithCallbackAsync(simulator, receiver.Url);
        await simulator.CallbacksDrainedAsync();

        receiver.Requests.Should().Be(2, "a redirect is a failed attempt, retried at the same URL");
        target.Requests.Should().Be(0, "the redirect was not followed");
    }

    [Theory]
    [InlineData(long.MaxValue / 20_000, 1, 1)]
    [InlineData(1, long.MaxValue / 20_000, long.MaxValue / 20_000)]
    public void Timing_options_that_overflow_when_added_up_are_refused_at_start(long waitingMs, long queuingMs, long generatingMs)
    {
        var options = new KlingSimulatorOptions
        {
            WaitingFor = TimeSpan.FromMilliseconds(Math.Min(waitingMs, (long)TimeSpan.MaxValue.TotalMilliseconds / 2)),
            QueuingFor = TimeSpan.FromMilliseconds(Math.Min(queuingMs, (long)TimeSpan.MaxValue.TotalMilliseconds / 2)),
            GeneratingFor = TimeSpan.FromMilliseconds(Math.Min(generatingMs, (long)TimeSpan.MaxValue.TotalMilliseconds / 2)),
        };

        options.Problems().Should().ContainSingle(p => p.Contains("add up to more than 100 years", StringComparison.Ordinal));
        FluentActions.Invoking(() => KlingSimulatorCommandLine.Parse(["--waiting-ms", "400000000000000", "--queuing-ms", "400000000000000", "--generating-ms", "400000000000000"]))
            .Should().Throw<KlingSimulatorCommandLineException>().WithMessage("*add up to more than 100 years*");
    }

    [Theory]
    [InlineData("http://0.0.0.0:4010", null, true)]
    [InlineData("http://[::]:4010", null, true)]
    [InlineData("http://*:4010", "--no-auth", true)]
    [InlineData("http://0.0.0.0:4010", "--api-key=a-secret", false)]
    [InlineData("http://127.0.0.1:4010", null, false)]
    [InlineData("http://localhost:4010", null, false)]
    [InlineData("http://[::1]:4010", null, false)]
    public void Binding_beyond_loopback_with_the_default_key_or_no_auth_is_warned_about(string urls, string? extra, bool warned)
    {
        var options = KlingSimulatorCommandLine.Parse(extra is null ? ["--urls", urls] : ["--urls", urls, extra]);

        KlingSimulatorCommandLine.Warnings(options).Should().HaveCount(warned ? 1 : 0);
        if (warned)
        {
            KlingSimulatorCommandLine.Warnings(options)[0].Should().Contain("beyond loopback").And.Contain("--api-key");
        }
    }

    private static Task<KlingSimulator> StartAsync(int attempts = 1) => KlingSimulator.StartAsync(new KlingSimulatorOptions
    {
        WaitingFor = TimeSpan.Zero,
        QueuingFor = TimeSpan.Zero,
        GeneratingFor = TimeSpan.Zero,
        CallbackAttempts = attempts,
        CallbackRetryDelay = TimeSpan.Zero,
    });

    private static async Task CreateWithCallbackAsync(KlingSimulator simulator, string callBackUrl)
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(simulator.BaseUrl, "api/v1/jobs/createTask"))
        {
            Content = new StringContent($$$"""{"model":"{{{Model}}}","callBackUrl":"{{{callBackUrl}}}","input":{"prompt":"a boat"}}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new("Bearer", simulator.ApiKey);
        using var response = await http.SendAsync(request);
        (await response.Content.ReadAsStringAsync()).Should().Contain("\"code\":200");
    }

    /// <summary>A raw TCP receiver: reads a request, answers a status with a body it announces and streams from one small buffer.</summary>
    private sealed class HostileReceiver : IDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly TaskCompletionSource _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _requests;
        private long _bodyBytesSent;

        public HostileReceiver(long announcedBytes, string status, string? location)
        {
            _listener.Start();
            _ = Task.Run(() => AcceptAsync(announcedBytes, status, location));
        }

        public string Url => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/callback";

        public int Requests => Volatile.Read(ref _requests);

        public long BodyBytesSent => Interlocked.Read(ref _bodyBytesSent);

        public Task Finished => _finished.Task;

        private async Task AcceptAsync(long announcedBytes, string status, string? location)
        {
            try
            {
                while (true)
                {
                    using var client = await _listener.AcceptTcpClientAsync();
                    var stream = client.GetStream();
                    await ReadRequestAsync(stream);
                    Interlocked.Increment(ref _requests);
                    var head = $"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {announcedBytes}\r\n{(location is null ? string.Empty : $"Location: {location}\r\n")}Connection: close\r\n\r\n";
                    await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
                    var chunk = new byte[64 * 1024];
                    try
                    {
                        for (var sent = 0L; sent < announcedBytes; sent += chunk.Length)
                        {
                            await stream.WriteAsync(chunk.AsMemory(0, (int)Math.Min(chunk.Length, announcedBytes - sent)));
                            Interlocked.Add(ref _bodyBytesSent, Math.Min(chunk.Length, announcedBytes - sent));
                        }
                    }
                    catch (IOException)
                    {
                        // The simulator closed the connection instead of reading on.
                    }

                    _finished.TrySetResult();
                }
            }
            catch (Exception exception) when (exception is ObjectDisposedException or SocketException)
            {
                _finished.TrySetResult();
            }
        }

        private static async Task ReadRequestAsync(NetworkStream stream)
        {
            var buffer = new byte[64 * 1024];
            var text = new StringBuilder();
            int read;
            while ((read = await stream.ReadAsync(buffer)) > 0)
            {
                text.Append(Encoding.UTF8.GetString(buffer, 0, read));
                var all = text.ToString();
                var end = all.IndexOf("\r\n\r\n", StringComparison.Ordinal);
                if (end >= 0)
                {
                    var length = System.Text.RegularExpressions.Regex.Match(all, @"(?im)^content-length:\s*(\d+)") is { Success: true } m ? int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : 0;
                    if (Encoding.UTF8.GetByteCount(all) - (end + 4) >= length)
                    {
                        return;
                    }
                }
            }
        }

        public void Dispose() => _listener.Stop();
    }
}
