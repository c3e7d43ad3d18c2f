using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text;
using KlingGenerated.Tests.Infrastructure;
using Microsoft.Extensions.Logging;
using WireMock.ResponseBuilders;
using WireMock.Server;
using WireMock.Settings;

namespace KlingGenerated.Tests.Telemetry;

/// <summary>No key, HMAC key, signature or signed-URL secret reaches any span, event, link, metric tag or log line.</summary>
[Collection("Telemetry")]
public sealed class TelemetryPrivacyTests(SimulatorFixture fixture) : IClassFixture<SimulatorFixture>
{
    [Fact]
    public async Task With_every_listener_and_content_capture_on_the_whole_flow_records_no_key_hmac_key_or_signature()
    {
        var recorded = new ConcurrentQueue<string>();
        using var activities = new ActivityListener
        {
            ShouldListenTo = _ => true,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity => recorded.Enqueue(Dump(activity)),
        };
        ActivitySource.AddActivityListener(activities);
        using var meters = new MeterListener
        {
            InstrumentPublished = (instrument, listener) => listener.EnableMeasurementEvents(instrument),
        };
        meters.SetMeasurementEventCallback<long>((instrument, value, tags, _) => recorded.Enqueue(Dump(instrument, value, tags)));
        meters.SetMeasurementEventCallback<double>((instrument, value, tags, _) => recorded.Enqueue(Dump(instrument, value, tags)));
        meters.SetMeasurementEventCallback<int>((instrument, value, tags, _) => recorded.Enqueue(Dump(instrument, value, tags)));
        meters.Start();
        using var capture = new TelemetryCapture(); // the SDK with its in-memory exporters too, as a user runs it
        Environment.SetEnvironmentVariable(KlingTelemetry.CaptureMessageContentVariable, "true");
        const string wrongKey = "wrong-key-7f3a9c";
        const string urlSecret = "signed-url-secret-5be1";
        var signatures = new List<string>();
        try
        {
            using var receiver = WireMockServer.Start(new WireMockServerSettings { Urls = ["http://127.0.0.1:0"] });
            receiver.Given(WireMock.RequestBuilders.Request.Create().WithPath("/hook").UsingPost()).RespondWith(Response.Create().WithStatusCode(200));
            var logger = capture.Logs.Factory().CreateLogger("Receiver");
            var client = Client(capture, fixture.Simulator.ApiKey, (request, _) => KlingOperation.IsBillable(request) && Interlocked.Increment(ref _creates) == 1 ? "rate-limited" : null);
            var folder = Directory.CreateTempSubdirectory("kling-privacy-");
            try
            {
                // Success, with a 429 retried on the way, a callback verified and a forged one, and the download.
                var record = await client.GenerateVideoAsync(TelemetryTests.Request(new Uri(receiver.Urls[0] + "/hook")), SimulatorFixture.FastPolling, progress: null, CancellationToken.None);
                await fixture.Simulator.CallbacksDrainedAsync();
                var delivery = receiver.LogEntries.First().RequestMessage;
                signatures.Add(delivery.Headers!["X-Webhook-Signature"].Single());
                var timestamp = delivery.Headers["X-Webhook-Timestamp"].Single();
                KlingWebhook.ParseAndVerify(delivery.Body!, timestamp, signatures[0], SimulatorFixture.HmacKey, tolerance: null, now: null, logger);
                var forged = KlingWebhook.ComputeSignature(record.TaskId, long.Parse(timestamp, System.Globalization.CultureInfo.InvariantCulture), "another-hmac-key");
                signatures.Add(forged);
                FluentActions.Invoking(() => KlingWebhook.ParseAndVerify(delivery.Body!, timestamp, forged, SimulatorFixture.HmacKey, tolerance: null, now: null, logger)).Should().Throw<KlingWebhookException>();
                FluentActions.Invoking(() => KlingWebhook.ParseAndVerify(delivery.Body!, "1", signatures[0], SimulatorFixture.HmacKey, tolerance: null, now: null, logger)).Should().Throw<KlingWebhookException>();
                KlingWebhook.Parse(delivery.Body!);
                var signed = new UriBuilder(record.GetResultUrls().Single()) { Query = "token=" + urlSecret }.Uri;
                await client.DownloadResultToFileAsync(signed, Path.Combine(folder.FullName, "video.mp4"));
                await client.Invoking(c => c.DownloadResultToFileAsync(new UriBuilder(signed) { Path = "/files/none.mp4" }.Uri, Path.Combine(folder.FullName, "none.mp4"))).Should().ThrowAsync<KlingDownloadException>();

                // Failures: a failed task, a create that may exist, a wrong key, a task nobody knows.
                await Client(capture, fixture.Simulator.ApiKey, (_, _) => "generation-failed").Invoking(c => c.GenerateVideoAsync(TelemetryTests.Request(), SimulatorFixture.FastPolling, progress: null, CancellationToken.None)).Should().ThrowAsync<KlingApiException>();
                await Client(capture, fixture.Simulator.ApiKey, (request, _) => KlingOperation.IsBillable(request) ? "drop-after-create" : null).Invoking(c => c.GenerateVideoAsync(TelemetryTests.Request(), SimulatorFixture.FastPolling, progress: null, CancellationToken.None)).Should().ThrowAsync<Exception>();
                await Client(capture, fixture.Simulator.ApiKey, (request, _) => KlingOperation.IsBillable(request) ? "server-error-after-create" : null).Invoking(c => c.CreateTaskAsync(TelemetryTests.Request())).Should().ThrowAsync<KlingApiException>();
                await Client(capture, wrongKey, null).Invoking(c => c.GenerateVideoAsync(TelemetryTests.Request(), SimulatorFixture.FastPolling, progress: null, CancellationToken.None)).Should().ThrowAsync<KlingApiException>();
                await Client(capture, wrongKey, null).Invoking(c => c.GetRemainingCreditsAsync()).Should().ThrowAsync<KlingApiException>();
                await client.GetRemainingCreditsAsync();
                await client.Invoking(c => c.GetTaskRecordAsync("task_nobody_knows")).Should().ThrowAsync<KlingApiException>();
            }
            finally
            {
                folder.Delete(recursive: true);
            }
        }
        finally
        {
            Environment.SetEnvironmentVariable(KlingTelemetry.CaptureMessageContentVariable, null);
        }

        var ours = capture.Spans();
        var everything = new StringBuilder();
        foreach (var line in recorded.Concat(ours.Select(Dump)).Concat(capture.Logs.Lines.Select(l => $"{l.Category} {l.Level} {l.Event} {l.Text} {l.Values}")))
        {
            everything.AppendLine(line);
        }

        var text = everything.ToString();
        text.Should().Contain(TelemetryTests.Prompt, "content capture is on, so the scan sees what was recorded")
            .And.Contain("receive_callback").And.Contain("download_result").And.Contain("kling.client.create_task.attempts").And.Contain("may_exist");
        foreach (var secret in new[] { fixture.Simulator.ApiKey, wrongKey, SimulatorFixture.HmacKey, urlSecret }.Concat(signatures))
        {
            text.Should().NotContain(secret);
        }
    }

    private static int _creates;

    private KlingClient Client(TelemetryCapture capture, string apiKey, Func<HttpRequestMessage, int, string?>? faults) =>
        new(new HttpClient(new KlingResilienceHandler(new KlingResilienceOptions { BaseDelay = TimeSpan.FromMilliseconds(10), MaxDelay = TimeSpan.FromMilliseconds(50), CreateTaskPermitLimit = 0, AttemptTimeout = TimeSpan.FromSeconds(10) })
        {
            InnerHandler = new FaultInjector(faults ?? ((_, _) => null)),
        }), new KlingClientOptions { ApiKey = apiKey, BaseUrl = fixture.Simulator.BaseUrl, LoggerFactory = capture.Logs.Factory() });

    private static string Dump(Activity activity) =>
        $"{activity.Source.Name} {activity.DisplayName} {activity.OperationName} {activity.StatusDescription} " +
        string.Join(" ", activity.TagObjects.Select(t => $"{t.Key}={Flat(t.Value)}")) + " " +
        string.Join(" ", activity.Baggage.Select(b => $"{b.Key}={b.Value}")) + " " +
        string.Join(" ", activity.Events.Select(e => e.Name + " " + string.Join(" ", e.Tags.Select(t => $"{t.Key}={Flat(t.Value)}")))) + " " +
        string.Join(" ", activity.Links.Select(l => l.Context.TraceId + " " + string.Join(" ", l.Tags?.Select(t => $"{t.Key}={Flat(t.Value)}") ?? [])));

    private static string Dump<T>(Instrument instrument, T value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var text = new StringBuilder($"{instrument.Meter.Name} {instrument.Name} {instrument.Unit} {value}");
        foreach (var tag in tags)
        {
            text.Append($" {tag.Key}={Flat(tag.Value)}");
        }

        return text.ToString();
    }

    private static string Flat(object? value) => value is System.Collections.IEnumerable list and not string ? string.Join(",", list.Cast<object?>()) : Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty;
}
