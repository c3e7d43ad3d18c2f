using KlingGenerated.Tests.Infrastructure;

namespace KlingGenerated.Tests.Telemetry;

/// <summary>
/// The installed tool's export: a real `kling` process (the export is flushed as the process ends, which is what this
/// checks) against a loopback OTLP/HTTP receiver.
/// </summary>
[Trait("Category", "Slow")] // a real kling process exporting to a loopback OTLP receiver
public sealed class CliOtlpExportTests
{
    [Fact]
    public async Task With_OTEL_EXPORTER_OTLP_ENDPOINT_set_kling_exports_its_spans_and_metrics_over_OTLP()
    {
        await using var receiver = await OtlpReceiver.StartAsync();
        var directory = KlingProcess.NewDirectory();
        try
        {
            var result = await KlingProcess.RunAsync(directory, new Dictionary<string, string>
            {
                ["OTEL_EXPORTER_OTLP_ENDPOINT"] = receiver.Endpoint.ToString().TrimEnd('/'),
                ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            }, "credits");

            result.ExitCode.Should().Be(0, result.Stderr);
            var spans = receiver.Spans();
            spans.Should().Contain(s => s.Scope == "KlingGenerated" && s.Span == "get_credits" && s.Attributes.Contains("gen_ai.provider.name") && s.Attributes.Contains("kling.credits"));
            spans.Should().Contain(s => s.Scope == "KlingGenerated.Cli" && s.Span == "kling credits");
            receiver.Requests.Should().OnlyContain(r => r.ContentType == "application/x-protobuf");
            receiver.MetricNames().Should().Contain("gen_ai.client.operation.duration");
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
            if (Directory.Exists(Path.GetDirectoryName(KlingProcess.LedgerFor(directory))))
            {
                Directory.Delete(Path.GetDirectoryName(KlingProcess.LedgerFor(directory))!, recursive: true);
            }
        }
    }

    [Fact]
    public async Task Without_the_endpoint_kling_exports_nothing()
    {
        await using var receiver = await OtlpReceiver.StartAsync();
        var directory = KlingProcess.NewDirectory();
        try
        {
            var result = await KlingProcess.RunAsync(directory, new Dictionary<string, string>
            {
                ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] = receiver.Endpoint + "v1/traces", // a signal variable alone does not switch the export on
                ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            }, "credits");

            result.ExitCode.Should().Be(0, result.Stderr);
            receiver.Requests.Should().BeEmpty();
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
