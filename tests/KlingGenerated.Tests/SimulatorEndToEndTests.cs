using System.Net.Http.Headers;
using System.Text;
using KlingGenerated.Simulator;
using KlingGenerated.Tests.Infrastructure;
using Newtonsoft.Json.Linq;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using WireMock.Settings;

namespace KlingGenerated.Tests;

/// <summary>The client against the in-process simulator, end to end.</summary>
[Collection("Simulator")]
public sealed class SimulatorEndToEndTests(SimulatorFixture fixture)
{
    private static CreateTaskRequest Request(Uri? callBack = null) => new() { CallBackUrl = callBack, Input = new CreateTaskInput { Prompt = "A paper boat on a rainy street.", CfgScale = 0.7 } };

    [Fact]
    public async Task Generating_a_video_walks_every_state_and_downloads_a_real_MP4()
    {
        var client = fixture.NewClient();
        var seen = new List<string?>();

        var record = await client.GenerateVideoAsync(Request(), SimulatorFixture.FastPolling, new SyncProgress(r => seen.Add(r.RawState)), CancellationToken.None);

        record.State.Should().Be(TaskState.Success);
        string[] lifecycle = ["waiting", "queuing", "generating", "success"];
        seen.Distinct().Should().BeSubsetOf(lifecycle).And.EndWith("success");
        seen.Select(state => Array.IndexOf(lifecycle, state)).Should().BeInAscendingOrder("states only move forward");
        JToken.DeepEquals(JToken.Parse(record.Param!), JToken.Parse(Newtonsoft.Json.JsonConvert.SerializeObject(Request()))).Should().BeTrue("param echoes the request");
        using var http = new HttpClient();
        var video = await http.GetByteArrayAsync(record.GetResultUrls().Single());
        Mp4.ShouldBeThePlayableSample(video);
        video.Should().Equal(KlingSimulator.SampleVideo());
    }

    [Fact]
    public async Task The_signed_callback_reaches_a_local_listener_and_verifies()
    {
        using var receiver = WireMockServer.Start(new WireMockServerSettings { Urls = ["http://127.0.0.1:0"] });
        receiver.Given(WireMock.RequestBuilders.Request.Create().WithPath("/hook").UsingPost()).RespondWith(Response.Create().WithStatusCode(200).WithBody("""{"code":200,"msg":"success"}"""));
        var client = fixture.NewClient();

        var created = await client.CreateTaskAsync(Request(new Uri(receiver.Urls[0] + "/hook")), CancellationToken.None);
        await fixture.Simulator.CallbacksDrainedAsync();

        var delivery = receiver.LogEntries.Should().ContainSingle().Subject.RequestMessage;
        var callback = KlingWebhook.ParseAndVerify(delivery.Body!, delivery.Headers!["X-Webhook-Timestamp"].Single(), delivery.Headers["X-Webhook-Signature"].Single(), SimulatorFixture.HmacKey);
        callback.TaskId.Should().Be(created.Data!.TaskId);
        callback.Code.Should().Be(200);
        callback.Record.State.Should().Be(TaskState.Success);
        callback.Record.GetResultUrls().Should().ContainSingle();
    }

    [Fact]
    public async Task A_failed_callback_delivery_is_retried_three_times_in_all()
    {
        using var receiver = WireMockServer.Start(new WireMockServerSettings { Urls = ["http://127.0.0.1:0"] });
        receiver.Given(WireMock.RequestBuilders.Request.Create().WithPath("/down").UsingPost()).RespondWith(Response.Create().WithStatusCode(503));
        var client = fixture.NewClient();

        await client.CreateTaskAsync(Request(new Uri(receiver.Urls[0] + "/down")), CancellationToken.None);
        await fixture.Simulator.CallbacksDrainedAsync();

        receiver.LogEntries.Should().HaveCount(3);
    }

    [Fact]
    public async Task Creating_more_than_the_rate_limit_in_the_window_gets_a_429_with_Retry_After()
    {
        await using var simulator = await KlingSimulator.StartAsync(new KlingSimulatorOptions { RateLimit = 20 });
        var client = new KlingClient(new HttpClient(), new KlingClientOptions { ApiKey = simulator.ApiKey, BaseUrl = simulator.BaseUrl });
        for (var i = 0; i < 20; i++)
        {
            await client.CreateTaskAsync(Request(), CancellationToken.None);
        }

        var error = (await client.Invoking(c => c.CreateTaskAsync(Request(), CancellationToken.None)).Should().ThrowAsync<KlingApiException>()).Which;

        error.Kind.Should().Be(KlingErrorKind.RateLimited);
        error.HttpStatus.Should().Be(429);
        error.RetryAfter.Should().BeGreaterThan(TimeSpan.Zero);
        simulator.TaskCount.Should().Be(20, "the 21st submission created nothing");
    }

    [Theory]
    [InlineData("maintenance", KlingErrorKind.Maintenance, 200, false)]
    [InlineData("server-error", KlingErrorKind.ServerError, 500, true)]
    [InlineData("rate-limited", KlingErrorKind.RateLimited, 429, false)]
    public async Task Every_injected_fault_surfaces_as_its_kind(string fault, KlingErrorKind kind, int httpStatus, bool taskMayExist)
    {
        var before = fixture.Simulator.TaskCount;
        var client = fixture.NewClient(fault);

        var error = (await client.Invoking(c => c.CreateTaskAsync(Request(), CancellationToken.None)).Should().ThrowAsync<KlingApiException>()).Which;

        error.Kind.Should().Be(kind);
        error.HttpStatus.Should().Be(httpStatus);
        error.TaskMayExist.Should().Be(taskMayExist, "an HTTP 5xx to a createTask may stand for a created task");
        error.IsRetryable.Should().Be(!taskMayExist, "a createTask that may exist is never retryable");
        fixture.Simulator.TaskCount.Should().Be(before);
    }

    [Fact]
    public async Task An_injected_generation_failure_ends_the_wait_with_TaskFailed_and_the_fail_code()
    {
        var client = fixture.NewClient("generation-failed");

        var error = (await client.Invoking(c => c.GenerateVideoAsync(Request(), SimulatorFixture.FastPolling, null, CancellationToken.None)).Should().ThrowAsync<KlingApiException>()).Which;

        error.Kind.Should().Be(KlingErrorKind.TaskFailed);
        error.FailCode.Should().Be("500");
        error.FailMessage.Should().Contain("Simulated generation failure");
        error.IsRetryable.Should().BeFalse();
    }

    [Fact]
    public async Task A_slow_answer_waits_its_delay_on_the_simulator_clock_and_still_answers()
    {
        // The delay runs on the simulator's TimeProvider: a fake clock shows it waited 300 ms without asserting wall time (finding 24).
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var simulator = await KlingSimulator.StartAsync(new KlingSimulatorOptions { TimeProvider = clock });
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(simulator.BaseUrl, "api/v1/chat/credit"));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", simulator.ApiKey);
        request.Headers.Add(SimulatorFault.Header, "slow:300");

        var answer = http.SendAsync(request);
        var advanced = TimeSpan.Zero;
        while (!answer.IsCompleted)
        {
            await Task.Delay(20);
            if (simulator.RequestCount == 1 && !answer.IsCompleted)
            {
                clock.Advance(TimeSpan.FromMilliseconds(50));
                advanced += TimeSpan.FromMilliseconds(50);
            }
        }

        using var response = await answer;
        ((int)JObject.Parse(await response.Content.ReadAsStringAsync())["code"]!).Should().Be(200);
        advanced.Should().BeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(300), "the answer waited for 300 ms of the simulator's clock");
    }

    [Fact]
    public async Task A_dropped_connection_surfaces_as_a_KlingApiException_even_from_a_bare_client()
    {
        var client = fixture.NewClient("drop");

        var error = (await client.Invoking(c => c.GetRemainingCreditsAsync(CancellationToken.None)).Should().ThrowAsync<KlingApiException>()).Which;

        error.InnerException.Should().BeOfType<HttpRequestException>();
        error.TaskMayExist.Should().BeFalse("a query creates nothing");
    }

    [Fact]
    public async Task A_wrong_key_gets_the_401_envelope()
    {
        var client = fixture.NewClient(apiKey: "not-the-key");

        (await client.Invoking(c => c.GetRemainingCreditsAsync(CancellationToken.None)).Should().ThrowAsync<KlingApiException>()).Which.Kind.Should().Be(KlingErrorKind.Unauthorized);
    }

    [Fact]
    public async Task An_unknown_task_id_is_not_found()
    {
        var client = fixture.NewClient();

        (await client.Invoking(c => c.GetTaskRecordAsync("task_nobody_made", CancellationToken.None)).Should().ThrowAsync<KlingApiException>()).Which.Kind.Should().Be(KlingErrorKind.NotFound);
    }

    [Fact]
    public async Task Waiting_rides_out_recordInfo_is_null_just_after_creation()
    {
        await using var simulator = await KlingSimulator.StartAsync(new KlingSimulatorOptions { RecordVisibleAfter = TimeSpan.FromMilliseconds(400), WaitingFor = TimeSpan.FromMilliseconds(100), QueuingFor = TimeSpan.Zero, GeneratingFor = TimeSpan.FromMilliseconds(600) });
        var client = new KlingClient(new HttpClient(), new KlingClientOptions { ApiKey = simulator.ApiKey, BaseUrl = simulator.BaseUrl });

        var record = await client.GenerateVideoAsync(Request(), SimulatorFixture.FastPolling, null, CancellationToken.None);

        record.State.Should().Be(TaskState.Success);
    }

    public static TheoryData<string, bool> CfgScales() => new()
    {
        { "0", true }, { "0.1", true }, { "0.2", true }, { "0.3", true }, { "0.4", true }, { "0.5", true }, { "0.6", true }, { "0.7", true },
        { "0.8", true }, { "0.9", true }, { "1", true }, { "1.0", true }, { "0.30000000000000004", true },
        { "0.55", false }, { "-0.1", false }, { "1.1", false }, { "0.05", false }, { "\"0.5\"", false },
    };

    [Theory]
    [MemberData(nameof(CfgScales))]
    public async Task The_simulator_judges_cfg_scale_by_the_document_including_multipleOf(string cfgScale, bool accepted)
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(fixture.Simulator.BaseUrl, "api/v1/jobs/createTask"))
        {
            Content = new StringContent("""{"model":"kling/v2-5-turbo-text-to-video-pro","input":{"prompt":"p","cfg_scale":""" + cfgScale + "}}", Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", fixture.Simulator.ApiKey);

        var body = JObject.Parse(await (await http.SendAsync(request)).Content.ReadAsStringAsync());

        ((int)body["code"]!).Should().Be(accepted ? 200 : 422, body.ToString());
        if (!accepted)
        {
            ((string)body["msg"]!).Should().Contain("input.cfg_scale");
        }
    }

    private sealed class SyncProgress(Action<TaskRecord> report) : IProgress<TaskRecord>
    {
        public void Report(TaskRecord value) => report(value);
    }
}
