using System.Net;
using System.Net.Sockets;
using KlingGenerated.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace KlingGenerated.Tests;

/// <summary>Defects a hostile stand-in for the service found after issue 8 landed (the outside review before resolving).</summary>
public sealed class HostileReviewTests
{
    private const string ApiKey = "review-secret-key-9876";
    private static readonly CreateTaskRequest Create = new() { Input = new CreateTaskInput { Prompt = "a reviewed boat" } };

    private static CancellationToken Guard => new CancellationTokenSource(TimeSpan.FromSeconds(45)).Token;

    private static KlingClient Bare(Uri baseUrl) =>
        new(new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false }), new KlingClientOptions { ApiKey = ApiKey, BaseUrl = baseUrl });

    [Fact]
    public async Task A_wait_answered_with_the_record_of_another_task_is_refused_instead_of_taking_its_video()
    {
        await using var server = HostileServer.Start(HostileServer.Answer(200,
            """{"code":200,"msg":"success","data":{"taskId":"OTHER","model":"kling/v2-5-turbo-text-to-video-pro","state":"success","resultJson":"{\"resultUrls\":[\"https://files.example/other.mp4\"]}"}}"""));

        var error = (await Bare(server.BaseUrl).Invoking(c => c.WaitForCompletionAsync("mine1", cancellationToken: Guard)).Should().ThrowAsync<KlingApiException>()).Which;

        error.Message.Should().Contain("mine1").And.Contain("another task");
        server.Requests.Should().ContainSingle().Which.Query.Should().Contain("taskId=mine1");
    }

    [Theory]
    [InlineData("""{"code":200,"msg":"success","data":{"taskId":"trail"}} {"code":500""")]
    [InlineData("""{"code":99999999999999999999999,"msg":"success","data":{"taskId":"big"}}""")]
    public async Task A_createTask_answered_200_with_an_unreadable_body_says_the_task_may_exist_and_is_sent_once(string body)
    {
        await using var server = HostileServer.Start(HostileServer.Answer(200, body));

        var error = (await Bare(server.BaseUrl).Invoking(c => c.CreateTaskAsync(Create, Guard)).Should().ThrowAsync<KlingApiException>()).Which;

        error.Message.Should().Contain("may or may not have been created");
        error.Message.Should().NotContain("JSON envelope (", "the body is described once, not as 'not its JSON envelope ... instead of its JSON envelope'");
        server.Requests.Should().ContainSingle().Which.BodyText.Should().Contain("a reviewed boat");
    }

    [Fact]
    public async Task Service_text_that_echoes_the_API_key_reaches_the_exception_without_it()
    {
        await using var server = HostileServer.Start(HostileServer.Answer(200, $$"""{"code":401,"msg":"key {{ApiKey}} invalid"}"""));

        var error = (await Bare(server.BaseUrl).Invoking(c => c.GetRemainingCreditsAsync(Guard)).Should().ThrowAsync<KlingApiException>()).Which;

        server.Requests.Should().ContainSingle().Which.Header("Authorization").Should().Be($"Bearer {ApiKey}", "the key was sent, so the test can fail");
        error.Kind.Should().Be(KlingErrorKind.Unauthorized);
        error.Message.Should().NotContain(ApiKey).And.Contain("[API key]");
        error.ServerMessage.Should().NotContain(ApiKey);
    }

    [Theory]
    [InlineData("/video/a.mp4")]
    [InlineData(@"\\evilhost\share\x.mp4")]
    [InlineData("file:///etc/passwd")]
    public void A_result_URL_that_is_not_absolute_http_or_https_is_refused_not_turned_into_a_file_URL(string url)
    {
        var record = new TaskRecord { TaskId = "t1", ResultJson = Newtonsoft.Json.JsonConvert.SerializeObject(new { resultUrls = new[] { url } }) };

        record.Invoking(r => r.GetResultUrls()).Should().Throw<FormatException>().WithMessage("*not an absolute http or https URL*");
    }

    [Fact]
    public async Task A_connection_reset_as_soon_as_it_is_accepted_becomes_a_KlingApiException_not_a_raw_socket_error()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        using var stop = new CancellationTokenSource();
        var accepted = 0;
        var resetting = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                using var socket = await listener.AcceptSocketAsync(stop.Token);
                Interlocked.Increment(ref accepted);
                socket.LingerState = new LingerOption(true, 0);
                socket.Close(); // RST at once
            }
        });
        var services = new ServiceCollection();
        services.AddKlingClient(o =>
        {
            o.ApiKey = ApiKey;
            o.BaseUrl = new Uri($"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}/");
            o.Resilience = new KlingResilienceOptions { MaxRetries = 2, BaseDelay = TimeSpan.FromMilliseconds(1), MaxDelay = TimeSpan.FromMilliseconds(5), CreateTaskPermitLimit = 0 };
        });
        await using var provider = services.BuildServiceProvider();

        await provider.GetRequiredService<KlingClient>().Invoking(c => c.GetRemainingCreditsAsync(Guard)).Should().ThrowExactlyAsync<KlingApiException>();

        accepted.Should().Be(3, "a connection reset before an answer is retried like a dropped connection");
        await stop.CancelAsync();
        listener.Stop();
        await resetting.ContinueWith(_ => { }, TaskScheduler.Default);
    }
}
