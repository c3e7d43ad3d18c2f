using System.Diagnostics;
using KlingGenerated.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using WireMock.ResponseBuilders;
using WireMock.Server;
using WireMock.Settings;
using Xunit.Abstractions;

namespace KlingGenerated.Tests.Telemetry;

/// <summary>
/// The library's traces, metrics and logs through the OpenTelemetry SDK's in-memory exporters, against the in-process
/// simulator and its faults. One collection: the content-capture variable is process-wide.
/// </summary>
[Collection("Telemetry")]
public sealed class TelemetryTests(SimulatorFixture fixture, ITestOutputHelper output) : IClassFixture<SimulatorFixture>
{
    private const string Model = "kling/v2-5-turbo-text-to-video-pro";
    internal const string Prompt = "A paper boat on a rainy street, telemetry edition.";

    [Fact]
    public async Task Generating_a_video_is_one_task_span_with_the_create_as_a_child_and_the_polls_as_events()
    {
        using var capture = new TelemetryCapture();
        var firstCreate = 0;
        var client = Client(capture, (request, _) => KlingOperation.IsBillable(request) && Interlocked.Increment(ref firstCreate) == 1 ? "rate-limited" : null);

        var record = await client.GenerateVideoAsync(Request(), SimulatorFixture.FastPolling, progress: null, CancellationToken.None);
        var spans = capture.Spans();
        output.WriteLine(TelemetryCapture.Describe(spans)); // docs/telemetry.md shows this output

        var task = spans.Should().ContainSingle(s => s.DisplayName == $"generate_video {Model}").Subject;
        task.Kind.Should().Be(ActivityKind.Client);
        task.GetTagItem("gen_ai.operation.name").Should().Be("generate_video");
        task.GetTagItem("gen_ai.provider.name").Should().Be("kie.ai");
        task.GetTagItem("gen_ai.request.model").Should().Be(Model);
        task.GetTagItem("gen_ai.output.type").Should().Be("video");
        task.GetTagItem("gen_ai.response.id").Should().Be(record.TaskId);
        task.GetTagItem("kling.task.state").Should().Be("success");
        task.GetTagItem("kling.task.credits_consumed").Should().Be(record.CreditsConsumed);
        task.GetTagItem("gen_ai.input.messages").Should().BeNull("prompts are recorded only when content capture is switched on");
        task.GetTagItem("error.type").Should().BeNull();

        var polls = task.Events.Where(e => e.Name == "kling.task.poll").ToList();
        polls.Should().NotBeEmpty();
        task.GetTagItem("kling.task.polls").Should().Be(polls.Count);
        polls.Last().Tags.Should().Contain(new KeyValuePair<string, object?>("kling.task.state", "success"));
        var changes = task.Events.Where(e => e.Name == "kling.task.state_changed").Select(e => e.Tags.Single(t => t.Key == "kling.task.state").Value).ToList();
        changes.Should().EndWith("success").And.OnlyHaveUniqueItems();
        ((string[])task.GetTagItem("kling.result.urls")!).Should().ContainSingle().Which.Should().NotContain("?");

        var create = spans.Should().ContainSingle(s => s.DisplayName == $"create_task {Model}").Subject;
        create.ParentSpanId.Should().Be(task.SpanId);
        create.Kind.Should().Be(ActivityKind.Client);
        create.GetTagItem("gen_ai.response.id").Should().Be(record.TaskId);
        create.Events.Should().ContainSingle(e => e.Name == "kling.retry", "the first createTask was answered 429 and retried");
        spans.Should().NotContain(s => s.DisplayName == "get_task_record", "polls inside a task are events, not spans");
        spans.Should().OnlyContain(s => s.Source.Name == "KlingGenerated", "HTTP spans stay HttpClient's own; this library adds none");
    }

    [Fact]
    public async Task A_download_is_its_own_span_with_the_url_without_its_query_and_its_size()
    {
        using var capture = new TelemetryCapture();
        var client = Client(capture);
        var record = await client.GenerateVideoAsync(Request(), SimulatorFixture.FastPolling, progress: null, CancellationToken.None);
        var url = new UriBuilder(record.GetResultUrls().Single()) { Query = "token=secret-signature" }.Uri;
        var folder = Directory.CreateTempSubdirectory("kling-telemetry-");
        try
        {
            var path = await client.DownloadResultToFileAsync(url, Path.Combine(folder.FullName, "video.mp4"));
            var broken = new UriBuilder(url) { Path = "/files/none.mp4" }.Uri;
            await client.Invoking(c => c.DownloadResultToFileAsync(broken, Path.Combine(folder.FullName, "other.mp4"))).Should().ThrowAsync<KlingDownloadException>();

            var downloads = capture.Spans().Where(s => s.DisplayName == "download_result").ToList();
            downloads.Should().HaveCount(2);
            downloads[0].GetTagItem("kling.download.url").Should().Be(url.GetLeftPart(UriPartial.Path));
            downloads[0].GetTagItem("kling.download.bytes").Should().Be(new FileInfo(path).Length);
            downloads[1].GetTagItem("error.type").Should().Be(nameof(KlingDownloadFailure.HttpStatus));
            downloads[1].Status.Should().Be(ActivityStatusCode.Error);
            capture.Points("kling.client.download.size").Should().Contain(p => p.Value >= new FileInfo(path).Length);
            capture.Logs.Lines.Should().Contain(l => l.Event.Id == 9 && l.Level == LogLevel.Information).And.Contain(l => l.Event.Id == 10 && l.Level == LogLevel.Warning);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task A_failed_task_carries_its_failCode_as_error_type()
    {
        using var capture = new TelemetryCapture();
        var client = Client(capture, (_, _) => "generation-failed");

        var failure = (await client.Invoking(c => c.GenerateVideoAsync(Request(), SimulatorFixture.FastPolling, progress: null, CancellationToken.None)).Should().ThrowAsync<KlingApiException>()).Which;

        var task = capture.Spans().Should().ContainSingle(s => s.DisplayName == $"generate_video {Model}").Subject;
        task.Status.Should().Be(ActivityStatusCode.Error);
        task.GetTagItem("error.type").Should().Be(failure.FailCode);
        task.GetTagItem("kling.task.state").Should().Be("fail");
        capture.Points("gen_ai.client.operation.duration").Should().Contain(p => Equals(p.Tags.GetValueOrDefault("gen_ai.operation.name"), "generate_video") && Equals(p.Tags.GetValueOrDefault("error.type"), failure.FailCode));
        capture.Logs.Lines.Should().Contain(l => l.Event.Id == 8 && l.Level == LogLevel.Warning && l.Text.Contains(failure.TaskId!));
    }

    [Fact]
    public async Task A_429_on_createTask_is_retried_and_the_retry_is_an_event_with_its_delay_a_metric_and_a_log_line()
    {
        using var capture = new TelemetryCapture();
        var client = Client(capture, (request, _) => KlingOperation.IsBillable(request) && Interlocked.Increment(ref _throttled) % 2 == 1 ? "rate-limited" : null);

        var created = await client.CreateTaskAsync(Request());

        var create = capture.Spans().Should().ContainSingle(s => s.DisplayName == $"create_task {Model}").Subject;
        create.GetTagItem("gen_ai.response.id").Should().Be(created.Data!.TaskId);
        var retry = create.Events.Should().ContainSingle(e => e.Name == "kling.retry").Subject;
        retry.Tags.Should().Contain(t => t.Key == "kling.retry.attempt" && Equals(t.Value, 1));
        retry.Tags.Should().Contain(t => t.Key == "kling.retry.delay" && t.Value is double);
        retry.Tags.Should().Contain(new KeyValuePair<string, object?>("error.type", "HTTP 429 (code 429)"));
        capture.Points("kling.client.throttled").Should().Contain(p => Equals(p.Tags.GetValueOrDefault("gen_ai.operation.name"), "create_task") && p.Value >= 1);
        capture.Points("kling.client.create_task.attempts").Should().Contain(p => Equals(p.Tags.GetValueOrDefault("kling.create_task.outcome"), "created"));
        capture.Logs.Lines.Should().Contain(l => l.Event.Id == 4 && l.Level == LogLevel.Information).And.Contain(l => l.Event.Id == 1 && l.Text.Contains(created.Data.TaskId));
    }

    [Theory]
    [InlineData("drop-after-create")]
    [InlineData("server-error-after-create")]
    public async Task A_createTask_that_may_have_created_a_task_says_so_in_its_span_its_metric_and_a_warning(string fault)
    {
        using var capture = new TelemetryCapture();
        var client = Client(capture, (request, _) => KlingOperation.IsBillable(request) ? fault : null);

        await client.Invoking(c => c.GenerateVideoAsync(Request(), SimulatorFixture.FastPolling, progress: null, CancellationToken.None)).Should().ThrowAsync<Exception>();

        var spans = capture.Spans();
        var create = spans.Should().ContainSingle(s => s.DisplayName == $"create_task {Model}").Subject;
        create.GetTagItem("kling.task.may_exist").Should().Be(true);
        create.Status.Should().Be(ActivityStatusCode.Error);
        spans.Should().ContainSingle(s => s.DisplayName == $"generate_video {Model}").Which.GetTagItem("kling.task.may_exist").Should().Be(true);
        capture.Points("kling.client.create_task.attempts").Should().Contain(p => Equals(p.Tags.GetValueOrDefault("kling.create_task.outcome"), "may_exist"));
        capture.Logs.Lines.Should().Contain(l => l.Event.Id == 2 && l.Level == LogLevel.Warning);
    }

    [Fact]
    public async Task A_refused_createTask_is_rejected_without_may_exist()
    {
        using var capture = new TelemetryCapture();
        var client = Client(capture, apiKey: "not-the-key");

        await client.Invoking(c => c.CreateTaskAsync(Request())).Should().ThrowAsync<KlingApiException>();

        var create = capture.Spans().Should().ContainSingle(s => s.DisplayName == $"create_task {Model}").Subject;
        create.GetTagItem("kling.task.may_exist").Should().Be(false);
        create.GetTagItem("error.type").Should().Be(nameof(KlingErrorKind.Unauthorized));
        capture.Points("kling.client.create_task.attempts").Should().Contain(p => Equals(p.Tags.GetValueOrDefault("kling.create_task.outcome"), "rejected"));
    }

    [Fact]
    public async Task A_pacing_wait_is_an_event_of_the_create_and_a_metric()
    {
        using var capture = new TelemetryCapture();
        var client = Client(capture, resilience: new KlingResilienceOptions { CreateTaskPermitLimit = 1, CreateTaskWindow = TimeSpan.FromMilliseconds(200), CreateTaskPacingMargin = TimeSpan.Zero });

        await client.CreateTaskAsync(Request());
        await client.CreateTaskAsync(Request());

        var creates = capture.Spans().Where(s => s.DisplayName == $"create_task {Model}").ToList();
        creates.Should().HaveCount(2);
        var wait = creates[1].Events.Should().ContainSingle(e => e.Name == "kling.pacing.wait").Subject;
        wait.Tags.Should().Contain(t => t.Key == "kling.pacing.wait" && (double)t.Value! > 0);
        capture.Points("kling.client.pacing.wait.duration").Should().Contain(p => p.Count >= 2);
        capture.Logs.Lines.Should().Contain(l => l.Event.Id == 5 && l.Level == LogLevel.Debug);
    }

    [Fact]
    public async Task Single_calls_are_spans_named_after_their_operation()
    {
        using var capture = new TelemetryCapture();
        var client = Client(capture);
        var created = await client.CreateTaskAsync(Request());

        var credits = await client.GetRemainingCreditsAsync();
        var record = await client.GetTaskRecordAsync(created.Data!.TaskId);
        await client.WaitForCompletionAsync(created.Data.TaskId, SimulatorFixture.FastPolling);

        var spans = capture.Spans();
        spans.Should().ContainSingle(s => s.DisplayName == "get_credits").Which.GetTagItem("kling.credits").Should().Be(credits.Data);
        var query = spans.Should().ContainSingle(s => s.DisplayName == "get_task_record").Subject;
        query.GetTagItem("gen_ai.response.id").Should().Be(created.Data.TaskId);
        query.GetTagItem("kling.task.state").Should().Be(record.Data!.RawState);
        var wait = spans.Should().ContainSingle(s => s.DisplayName == "wait_for_task").Subject;
        wait.GetTagItem("kling.task.state").Should().Be("success");
        wait.GetTagItem("gen_ai.response.id").Should().Be(created.Data.TaskId);
        capture.Points("kling.client.task.polls").Should().Contain(p => Equals(p.Tags.GetValueOrDefault("gen_ai.operation.name"), "wait_for_task") && p.Count >= 1);
        capture.Points("kling.client.credits.consumed").Should().Contain(p => p.Value >= 42);
    }

    [Fact]
    public async Task A_callback_is_a_span_linked_to_its_task_with_the_verification_result()
    {
        using var receiver = WireMockServer.Start(new WireMockServerSettings { Urls = ["http://127.0.0.1:0"] });
        receiver.Given(WireMock.RequestBuilders.Request.Create().WithPath("/hook").UsingPost()).RespondWith(Response.Create().WithStatusCode(200));
        using var capture = new TelemetryCapture();
        var client = Client(capture);
        var logger = capture.Logs.Factory().CreateLogger("Receiver");

        var created = await client.CreateTaskAsync(Request(new Uri(receiver.Urls[0] + "/hook")));
        await fixture.Simulator.CallbacksDrainedAsync();
        // Callbacks are delivered at least once: on a loaded machine the simulator may resend one whose answer was slow.
        var deliveries = receiver.LogEntries.Select(e => e.RequestMessage).ToList();
        deliveries.Should().NotBeEmpty().And.OnlyContain(d => d.Body == deliveries[0].Body);
        var delivery = deliveries[0];
        var timestamp = delivery.Headers!["X-Webhook-Timestamp"].Single();
        var signature = delivery.Headers["X-Webhook-Signature"].Single();
        KlingWebhook.ParseAndVerify(delivery.Body!, timestamp, signature, SimulatorFixture.HmacKey, tolerance: null, now: null, logger);
        Action forged = () => KlingWebhook.ParseAndVerify(delivery.Body!, timestamp, Convert.ToBase64String(new byte[32]), SimulatorFixture.HmacKey, tolerance: null, now: null, logger);
        forged.Should().Throw<KlingWebhookException>();

        var spans = capture.Spans();
        var create = spans.Single(s => s.DisplayName.StartsWith("create_task", StringComparison.Ordinal));
        var callbacks = spans.Where(s => s.DisplayName == "receive_callback").ToList();
        callbacks.Should().HaveCount(2);
        callbacks.Should().OnlyContain(s => s.GetTagItem("gen_ai.response.id") as string == created.Data!.TaskId && s.Links.Any(l => l.Context.SpanId == create.SpanId));
        callbacks[0].GetTagItem("kling.webhook.result").Should().Be("verified");
        callbacks[1].GetTagItem("kling.webhook.result").Should().Be("bad_signature");
        callbacks[1].Status.Should().Be(ActivityStatusCode.Error);
        capture.Points("kling.webhook.verifications").Should().Contain(p => Equals(p.Tags.GetValueOrDefault("kling.webhook.result"), "verified"))
            .And.Contain(p => Equals(p.Tags.GetValueOrDefault("kling.webhook.result"), "bad_signature"));
        capture.Logs.Lines.Should().Contain(l => l.Event.Id == 11 && l.Level == LogLevel.Warning && l.Text.Contains("bad_signature"))
            .And.Contain(l => l.Event.Id == 12 && l.Level == LogLevel.Debug);
    }

    [Fact]
    public async Task Prompts_are_recorded_only_when_content_capture_is_switched_on()
    {
        using var capture = new TelemetryCapture();
        var client = Client(capture);
        var request = Request();
        request.Input.NegativePrompt = "no blur";

        await client.CreateTaskAsync(request);
        Environment.SetEnvironmentVariable(KlingTelemetry.CaptureMessageContentVariable, "true");
        try
        {
            await client.CreateTaskAsync(request);
        }
        finally
        {
            Environment.SetEnvironmentVariable(KlingTelemetry.CaptureMessageContentVariable, null);
        }

        var creates = capture.Spans().Where(s => s.DisplayName.StartsWith("create_task", StringComparison.Ordinal)).ToList();
        creates[0].TagObjects.Should().NotContain(t => t.Value is string && ((string)t.Value).Contains("paper boat"));
        creates[0].GetTagItem("kling.request.negative_prompt").Should().BeNull();
        ((string)creates[1].GetTagItem("gen_ai.input.messages")!).Should().Contain(Prompt).And.Contain("\"role\":\"user\"");
        creates[1].GetTagItem("kling.request.negative_prompt").Should().Be("no blur");
    }

    [Fact]
    public async Task AddKlingClient_hands_the_applications_logger_to_the_client_and_its_handler()
    {
        var logs = new LogCapture();
        var services = new ServiceCollection();
        services.AddLogging(builder => builder.SetMinimumLevel(LogLevel.Trace).AddProvider(logs));
        services.AddKlingClient(options =>
        {
            options.ApiKey = fixture.Simulator.ApiKey;
            options.BaseUrl = fixture.Simulator.BaseUrl;
        });
        await using var provider = services.BuildServiceProvider();

        var created = await provider.GetRequiredService<IKlingClient>().CreateTaskAsync(Request());

        logs.Lines.Should().Contain(l => l.Event.Id == 1 && l.Event.Name == "TaskCreated" && l.Text.Contains(created.Data!.TaskId) && l.Category == "KlingGenerated.KlingClient");
    }

    private static int _throttled;

    internal static CreateTaskRequest Request(Uri? callBack = null) => new() { CallBackUrl = callBack, Input = new CreateTaskInput { Prompt = Prompt } };

    private KlingClient Client(TelemetryCapture capture, Func<HttpRequestMessage, int, string?>? faults = null, KlingResilienceOptions? resilience = null, string? apiKey = null)
    {
        resilience ??= new KlingResilienceOptions { CreateTaskPermitLimit = 0 };
        resilience.BaseDelay = TimeSpan.FromMilliseconds(10);
        resilience.MaxDelay = TimeSpan.FromMilliseconds(50);
        var handler = new KlingResilienceHandler(resilience) { InnerHandler = new FaultInjector(faults ?? ((_, _) => null)) };
        return new KlingClient(new HttpClient(handler), new KlingClientOptions
        {
            ApiKey = apiKey ?? fixture.Simulator.ApiKey,
            BaseUrl = fixture.Simulator.BaseUrl,
            LoggerFactory = capture.Logs.Factory(),
        });
    }
}

[CollectionDefinition("Telemetry")]
public sealed class TelemetryCollection;
