using System.Net;
using System.Net.Sockets;
using System.Text;
using KlingGenerated.Simulator;
using KlingGenerated.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace KlingGenerated.Tests;

/// <summary>Issue 8, findings 5, 6, 7, 10 and 11: answers that drip, stall, break off or redirect, and connections that never carry a request.</summary>
public sealed class HostileAnswerTests
{
    private const string ApiKey = "hostile-test-key";
    private const string CreditsOk = """{"code":200,"msg":"success","data":100}""";
    private const string CreatedOk = """{"code":200,"msg":"success","data":{"taskId":"task_hostile_1"}}""";
    private const string RecordOk = """{"code":200,"msg":"success","data":{"taskId":"task_hostile_1","model":"kling/v2-5-turbo-text-to-video-pro","state":"waiting"}}""";
    private const string DownloadUrlOk = """{"code":200,"msg":"success","data":"https://files.example/v.mp4"}""";

    // Tests fail instead of hanging when a timeout is not enforced.
    private static CancellationToken Guard => new CancellationTokenSource(TimeSpan.FromSeconds(45)).Token;

    private static readonly CreateTaskRequest Create = new() { Input = new CreateTaskInput { Prompt = "a hostile boat" } };

    private static (ServiceProvider Provider, KlingClient Client) Piped(Uri baseUrl, Action<KlingResilienceOptions>? tune = null, Action<KlingClientOptions>? options = null, Func<HttpMessageHandler>? primary = null)
    {
        var services = new ServiceCollection();
        var builder = services.AddKlingClient(o =>
        {
            o.ApiKey = ApiKey;
            o.BaseUrl = baseUrl;
            o.Resilience = new KlingResilienceOptions
            {
                MaxRetries = 3, BaseDelay = TimeSpan.FromMilliseconds(1), MaxDelay = TimeSpan.FromMilliseconds(10),
                // Long enough for a first request on a loaded machine; tests about timeouts set theirs.
                AttemptTimeout = TimeSpan.FromSeconds(10), TotalTimeout = TimeSpan.FromSeconds(40), CreateTaskPermitLimit = 0,
            };
            tune?.Invoke(o.Resilience);
            options?.Invoke(o);
        });
        if (primary is not null)
        {
            builder.ConfigurePrimaryHttpMessageHandler(primary);
        }

        var provider = services.BuildServiceProvider();
        return (provider, provider.GetRequiredService<KlingClient>());
    }

    private static KlingClient Bare(Uri baseUrl, HttpClient? http = null, int? maxResponseBytes = null) =>
        new(http ?? new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false }), new KlingClientOptions
        {
            ApiKey = ApiKey,
            BaseUrl = baseUrl,
            MaxResponseBytes = maxResponseBytes ?? 1024 * 1024,
        });

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    private static Task<object?> Call(KlingClient client, string operation, CancellationToken cancellationToken) => operation switch
    {
        "createTask" => Wrap(client.CreateTaskAsync(Create, cancellationToken)),
        "recordInfo" => Wrap(client.GetTaskRecordAsync("task_hostile_1", cancellationToken)),
        "credit" => Wrap(client.GetRemainingCreditsAsync(cancellationToken)),
        "download-url" => Wrap(client.GetDownloadUrlAsync(new DownloadUrlRequest { Url = new Uri("https://files.example/v.mp4") }, cancellationToken)),
        _ => throw new ArgumentOutOfRangeException(nameof(operation)),
    };

    private static async Task<object?> Wrap<T>(Task<T> task) => await task;

    private static string OkFor(string operation) => operation switch
    {
        "createTask" => CreatedOk,
        "recordInfo" => RecordOk,
        "credit" => CreditsOk,
        _ => DownloadUrlOk,
    };

    // ---- every byte of an answer is read under the attempt timeout and the total timeout ----

    [Fact]
    public async Task A_dripping_answer_to_a_query_is_cut_by_the_attempt_timeout_and_the_query_retried()
    {
        await using var server = HostileServer.Start(HostileServer.Sequence(
            HostileServer.Drip(Utf8(CreditsOk), TimeSpan.FromMilliseconds(300)),
            HostileServer.Answer(200, CreditsOk)));
        var (provider, client) = Piped(server.BaseUrl, r => r.AttemptTimeout = TimeSpan.FromSeconds(2));
        await using var _ = provider;

        var credits = await client.GetRemainingCreditsAsync(Guard);

        credits.Data.Should().Be(100);
        server.Requests.Should().HaveCount(2, "the dripping attempt was abandoned at the attempt timeout and retried");
        server.Requests.Should().AllSatisfy(r => r.Path.Should().Be("/api/v1/chat/credit"));
    }

    [Fact]
    public async Task A_createTask_answer_that_stalls_after_its_headers_ends_at_the_attempt_timeout_as_may_exist_and_is_not_resent()
    {
        await using var server = HostileServer.Start(HostileServer.StallAfterHeaders(declared: 200, sent: Utf8("{\"code\":200,")));
        var (provider, client) = Piped(server.BaseUrl, r => r.AttemptTimeout = TimeSpan.FromSeconds(1));
        await using var _ = provider;

        var error = (await client.Invoking(c => c.CreateTaskAsync(Create, Guard)).Should().ThrowExactlyAsync<KlingApiException>()).Which;

        error.Kind.Should().Be(KlingErrorKind.Timeout);

        error.Message.Should().Contain("may or may not have been created").And.Contain("within 1 s");
        server.Requests.Should().ContainSingle().Which.BodyText.Should().Contain("a hostile boat");
    }

    [Fact]
    public async Task The_total_timeout_covers_the_bodies_of_all_attempts()
    {
        await using var server = HostileServer.Start(HostileServer.StallAfterHeaders(declared: 100));
        var (provider, client) = Piped(server.BaseUrl, r =>
        {
            r.MaxRetries = 50;
            r.AttemptTimeout = TimeSpan.FromSeconds(1);
            r.TotalTimeout = TimeSpan.FromSeconds(2.5);
        });
        await using var _ = provider;

        var error = (await client.Invoking(c => c.GetTaskRecordAsync("task_hostile_1", Guard)).Should().ThrowExactlyAsync<KlingApiException>()).Which;

        error.Kind.Should().Be(KlingErrorKind.Timeout);

        error.Message.Should().Contain("within 2.5 s, retries included");
        server.Requests.Count.Should().BeInRange(2, 3, "attempts of 1 s fit into 2.5 s two or three times");
    }

    [Fact]
    public async Task Without_the_pipeline_the_HttpClient_Timeout_also_covers_the_body()
    {
        await using var server = HostileServer.Start(HostileServer.StallAfterHeaders(declared: 100, sent: Utf8("{")));
        var client = Bare(server.BaseUrl, new HttpClient { Timeout = TimeSpan.FromSeconds(1) });

        var error = (await client.Invoking(c => c.GetRemainingCreditsAsync(Guard)).Should().ThrowExactlyAsync<KlingApiException>()).Which;

        error.Kind.Should().Be(KlingErrorKind.Timeout);

        error.Message.Should().Contain("HttpClient.Timeout").And.Contain("GET /api/v1/chat/credit");
        server.Requests.Should().ContainSingle();
    }

    [Fact]
    public async Task A_query_whose_every_attempt_gets_no_answer_states_the_attempts_and_the_time_really_waited()
    {
        await using var server = HostileServer.Start(HostileServer.NeverAnswer());
        // 1 s, not less: on a loaded machine each attempt's request must reach the server before its timeout.
        var (provider, client) = Piped(server.BaseUrl, r => { r.MaxRetries = 2; r.AttemptTimeout = TimeSpan.FromSeconds(1); });
        await using var _ = provider;

        var error = (await client.Invoking(c => c.GetRemainingCreditsAsync(Guard)).Should().ThrowExactlyAsync<KlingApiException>()).Which;

        error.Kind.Should().Be(KlingErrorKind.Timeout);

        error.Message.Should().MatchRegex(@"GET /api/v1/chat/credit: 3 attempts of 1 s each timed out, \d+(\.\d)? s in all\.");
        server.Requests.Should().HaveCount(3);
    }

    // ---- a body cut off mid-read ----

    [Theory]
    [InlineData("recordInfo")]
    [InlineData("credit")]
    [InlineData("download-url")]
    public async Task A_query_answer_cut_mid_body_is_retried_like_a_dropped_connection(string operation)
    {
        var ok = Utf8(OkFor(operation));
        await using var server = HostileServer.Start(HostileServer.Sequence(
            HostileServer.Truncate(declared: ok.Length, sent: ok[..(ok.Length / 2)]),
            HostileServer.Answer(200, ok)));
        var (provider, client) = Piped(server.BaseUrl);
        await using var _ = provider;

        var answer = await Call(client, operation, Guard);

        answer.Should().NotBeNull();
        server.Requests.Should().HaveCount(2);
    }

    [Fact]
    public async Task A_createTask_answer_cut_mid_body_says_the_task_may_exist_and_is_not_resent()
    {
        var ok = Utf8(CreatedOk);
        await using var server = HostileServer.Start(HostileServer.Truncate(declared: ok.Length, sent: ok[..20]));
        var (provider, client) = Piped(server.BaseUrl);
        await using var _ = provider;

        var error = (await client.Invoking(c => c.CreateTaskAsync(Create, Guard)).Should().ThrowExactlyAsync<KlingApiException>()).Which;

        error.Message.Should().Contain("broke off").And.Contain("may or may not have been created").And.Contain("not retried");
        error.InnerException.Should().BeAssignableTo<IOException>();
        server.Requests.Should().ContainSingle().Which.BodyText.Should().Contain("a hostile boat");
    }

    [Fact]
    public async Task A_query_whose_every_answer_is_cut_ends_in_a_KlingApiException_after_its_retries()
    {
        await using var server = HostileServer.Start(HostileServer.Truncate(declared: 500, sent: Utf8("{\"code\":2")));
        var (provider, client) = Piped(server.BaseUrl, r => r.MaxRetries = 2);
        await using var _ = provider;

        var error = (await client.Invoking(c => c.GetRemainingCreditsAsync(Guard)).Should().ThrowExactlyAsync<KlingApiException>()).Which;

        error.Message.Should().Contain("broke off").And.Contain("GET /api/v1/chat/credit");
        server.Requests.Should().HaveCount(3);
    }

    [Theory]
    [InlineData("createTask")]
    [InlineData("recordInfo")]
    [InlineData("credit")]
    [InlineData("download-url")]
    public async Task Without_the_pipeline_a_body_cut_mid_read_becomes_a_KlingApiException_for_all_four_operations(string operation)
    {
        var ok = Utf8(OkFor(operation));
        await using var server = HostileServer.Start(HostileServer.Truncate(declared: ok.Length + 100, sent: ok[..10]));
        var client = Bare(server.BaseUrl);

        var error = (await client.Invoking(c => Call(c, operation, Guard)).Should().ThrowExactlyAsync<KlingApiException>()).Which;

        error.InnerException.Should().BeAssignableTo<IOException>();
        error.Message.Should().Contain("broke off");
        if (operation == "createTask")
        {
            error.Message.Should().Contain("may or may not have been created");
        }
        else
        {
            error.Message.Should().NotContain("may or may not");
        }

        server.Requests.Should().ContainSingle();
    }

    [Fact]
    public async Task The_simulators_truncate_fault_on_createTask_creates_the_task_and_the_client_says_it_may_exist_without_resending()
    {
        await using var simulator = await KlingSimulator.StartAsync(new KlingSimulatorOptions { Fault = "truncate" });
        var (provider, client) = Piped(simulator.BaseUrl, r => r.AttemptTimeout = TimeSpan.FromSeconds(15), o => o.ApiKey = simulator.ApiKey);
        await using var _ = provider;

        var error = (await client.Invoking(c => c.CreateTaskAsync(Create, Guard)).Should().ThrowExactlyAsync<KlingApiException>()).Which;

        error.Message.Should().Contain("broke off").And.Contain("may or may not have been created");
        simulator.CreatedTasks.Should().ContainSingle("the service created the task before its answer broke off, and the client did not resend");
        simulator.RequestCount.Should().Be(1);
    }

    [Fact]
    public async Task The_simulators_stall_fault_on_a_query_is_cut_by_the_attempt_timeout_and_retried()
    {
        await using var simulator = await KlingSimulator.StartAsync(new KlingSimulatorOptions { Fault = "stall" });
        var (provider, client) = Piped(simulator.BaseUrl, r => { r.MaxRetries = 1; r.AttemptTimeout = TimeSpan.FromSeconds(2); }, o => o.ApiKey = simulator.ApiKey);
        await using var _ = provider;

        // 2 s, not less: on a loaded machine a shorter attempt can end before its request reaches the simulator.
        var error = (await client.Invoking(c => c.GetRemainingCreditsAsync(Guard)).Should().ThrowExactlyAsync<KlingApiException>()).Which;

        error.Kind.Should().Be(KlingErrorKind.Timeout);

        error.Message.Should().Contain("GET /api/v1/chat/credit: 2 attempts of 2 s each timed out");
        simulator.RequestCount.Should().Be(2, "the stalled attempt was abandoned and retried once");
    }

    // ---- nothing was sent ----

    [Fact]
    public async Task A_refused_connection_on_createTask_says_nothing_was_sent_and_is_retried()
    {
        var port = FreePort();
        var (provider, client) = Piped(new Uri($"http://127.0.0.1:{port}/"), r => r.MaxRetries = 2);
        await using var _ = provider;

        var error = (await client.Invoking(c => c.CreateTaskAsync(Create, Guard)).Should().ThrowExactlyAsync<KlingApiException>()).Which;

        error.Message.Should().Contain("nothing was sent").And.Contain("no task was created").And.NotContain("may or may not");
        error.Message.Should().Contain("3 attempts");
    }

    [Fact]
    public async Task A_failed_name_lookup_on_createTask_says_nothing_was_sent_and_is_retried()
    {
        var lookups = 0;
        var (provider, client) = Piped(new Uri("http://kling-finding07.invalid/"), r => r.MaxRetries = 2, primary: () => new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            // The lookup fails as the system resolver fails it for an unknown name (the .invalid domain never resolves);
            // the error is raised here rather than by a DNS server, whose speed under a loaded test run is not ours to set.
            ConnectCallback = (context, cancellationToken) =>
            {
                Interlocked.Increment(ref lookups);
                throw new SocketException((int)SocketError.HostNotFound);
            },
        });
        await using var _ = provider;

        var error = (await client.Invoking(c => c.CreateTaskAsync(Create, Guard)).Should().ThrowExactlyAsync<KlingApiException>()).Which;

        error.Message.Should().Contain("nothing was sent").And.Contain("no task was created").And.NotContain("may or may not");
        lookups.Should().Be(3, "a createTask that surely was not sent is retried");
    }

    [Fact]
    public async Task A_failed_TLS_handshake_on_createTask_says_nothing_was_sent_and_is_retried()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var accepted = 0;
        using var stop = new CancellationTokenSource();
        var serving = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                using var socket = await listener.AcceptSocketAsync(stop.Token);
                Interlocked.Increment(ref accepted);
                await socket.SendAsync(Utf8("HTTP/1.1 400 Not TLS\r\n\r\n"));
                socket.Shutdown(SocketShutdown.Both);
            }
        });
        var (provider, client) = Piped(new Uri($"https://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}/"), r => r.MaxRetries = 2);
        await using var _ = provider;

        var error = (await client.Invoking(c => c.CreateTaskAsync(Create, Guard)).Should().ThrowExactlyAsync<KlingApiException>()).Which;
        await stop.CancelAsync();

        error.Message.Should().Contain("nothing was sent").And.Contain("no task was created").And.NotContain("may or may not");
        accepted.Should().Be(3);
    }

    // ---- MaxResponseBytes = int.MaxValue ----

    [Fact]
    public async Task MaxResponseBytes_of_int_MaxValue_reads_answers_with_and_without_the_pipeline()
        {
        await using var server = HostileServer.Start(HostileServer.Answer(200, CreditsOk));
        new KlingClientOptions { ApiKey = ApiKey, MaxResponseBytes = int.MaxValue }.GetProblems().Should().BeEmpty();

        (await Bare(server.BaseUrl, maxResponseBytes: int.MaxValue).GetRemainingCreditsAsync(Guard)).Data.Should().Be(100);
        var (provider, client) = Piped(server.BaseUrl, options: o => o.MaxResponseBytes = int.MaxValue);
        await using var _ = provider;
        (await client.GetRemainingCreditsAsync(Guard)).Data.Should().Be(100);
        server.Requests.Should().HaveCount(2);
    }

    // ---- redirects from the API ----

    [Theory]
    [InlineData(301)]
    [InlineData(302)]
    [InlineData(307)]
    [InlineData(308)]
    public async Task A_redirect_from_the_API_is_not_followed_and_names_its_location(int status)
    {
        await using var elsewhere = HostileServer.Start(HostileServer.Answer(200, CreatedOk));
        var location = elsewhere.Url("/api/v1/jobs/createTask").AbsoluteUri;
        await using var server = HostileServer.Start(HostileServer.Redirect(location, status));
        var (provider, client) = Piped(server.BaseUrl);
        await using var _ = provider;

        var error = (await client.Invoking(c => c.CreateTaskAsync(Create, Guard)).Should().ThrowExactlyAsync<KlingApiException>()).Which;

        error.HttpStatus.Should().Be(status);
        error.Message.Should().Contain(location).And.Contain("not followed");
        elsewhere.Requests.Should().BeEmpty("the prompt is never sent to another host");
        server.Requests.Should().ContainSingle().Which.BodyText.Should().Contain("a hostile boat");
    }

    [Fact]
    public async Task A_redirect_followed_by_an_HttpClient_of_the_caller_is_refused_and_its_answer_not_taken()
    {
        await using var elsewhere = HostileServer.Start(HostileServer.Answer(200, CreditsOk));
        await using var server = HostileServer.Start(HostileServer.Redirect(elsewhere.Url("/api/v1/chat/credit").AbsoluteUri, 302));
        var client = Bare(server.BaseUrl, new HttpClient());

        var error = (await client.Invoking(c => c.GetRemainingCreditsAsync(Guard)).Should().ThrowExactlyAsync<KlingApiException>()).Which;

        error.Message.Should().Contain("redirected").And.Contain(elsewhere.BaseUrl.Authority).And.Contain("AllowAutoRedirect");
        elsewhere.Requests.Should().ContainSingle().Which.Header("Authorization").Should().BeNull("HttpClient drops the key on a redirect");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
