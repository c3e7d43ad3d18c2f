using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace KlingGenerated.Tests.Telemetry;

/// <summary>
/// The OpenTelemetry SDK with its in-memory exporters, subscribed as a user would (<c>AddSource("KlingGenerated*")</c>),
/// and a test root span: the library's sources are process-wide, so only spans of this root's trace are this test's.
/// </summary>
internal sealed class TelemetryCapture : IDisposable
{
    private static readonly ActivitySource TestSource = new("KlingGenerated.Tests.Telemetry");
    private readonly List<Activity> _spans = [];
    private readonly List<Metric> _metrics = [];
    private readonly TracerProvider _tracer;
    private readonly MeterProvider _meter;
    private readonly Activity _root;

    public TelemetryCapture()
    {
        _tracer = Sdk.CreateTracerProviderBuilder().AddSource("KlingGenerated*").AddInMemoryExporter(_spans).Build()!;
        _meter = Sdk.CreateMeterProviderBuilder().AddMeter("KlingGenerated*").AddInMemoryExporter(_metrics).Build()!;
        _root = TestSource.StartActivity("test root")!;
    }

    public LogCapture Logs { get; } = new();

    /// <summary>The spans of this test's trace, in the order they ended.</summary>
    public IReadOnlyList<Activity> Spans()
    {
        _tracer.ForceFlush();
        // Other tests, running in parallel, end spans of the process-wide source while this reads: the exporter adds
        // to the list without this lock, so copy it without enumerating (an enumerator would throw) and skip a slot
        // still being filled.
        return [.. _spans.ToArray().Where(span => span is not null && span.TraceId == _root.TraceId && span != _root)];
    }

    /// <summary>The metrics collected so far (cumulative, so other tests' measurements may be in them too).</summary>
    public IReadOnlyList<Metric> Metrics()
    {
        _metrics.Clear();
        _meter.ForceFlush();
        return [.. _metrics];
    }

    /// <summary>The points of one metric, each as its tags and its value (sum, last value or histogram sum and count).</summary>
    public IReadOnlyList<(Dictionary<string, object?> Tags, double Value, long Count)> Points(string name)
    {
        var points = new List<(Dictionary<string, object?>, double, long)>();
        foreach (var metric in Metrics().Where(m => m.Name == name))
        {
            foreach (ref readonly var point in metric.GetMetricPoints())
            {
                var tags = new Dictionary<string, object?>();
                foreach (var tag in point.Tags)
                {
                    tags[tag.Key] = tag.Value;
                }

                var (value, count) = metric.MetricType switch
                {
                    MetricType.LongSum => (point.GetSumLong(), 1L),
                    MetricType.DoubleSum => (point.GetSumDouble(), 1L),
                    MetricType.Histogram => (point.GetHistogramSum(), point.GetHistogramCount()),
                    _ => (0d, 0L),
                };
                points.Add((tags, value, count));
            }
        }

        return points;
    }

    public static string Describe(IEnumerable<Activity> spans) => string.Join("\n", spans.OrderBy(s => s.StartTimeUtc).Select(span =>
        $"{span.DisplayName} [{span.Kind}] status={span.Status}{(span.Parent?.Source.Name == "KlingGenerated" ? $" parent={span.Parent.DisplayName}" : string.Empty)}\n" +
        string.Concat(span.TagObjects.Select(tag => $"    {tag.Key} = {Value(tag.Value)}\n")) +
        string.Concat(span.Links.Select(link => $"    link -> {link.Context.SpanId}\n")) +
        string.Concat(span.Events.Select(e => $"    event {e.Name} {string.Join(", ", e.Tags.Select(tag => $"{tag.Key}={Value(tag.Value)}"))}\n"))));

    private static string Value(object? value) => value is string[] array ? "[" + string.Join(", ", array) + "]" : Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? "null";

    public void Dispose()
    {
        _root.Dispose();
        _tracer.Dispose();
        _meter.Dispose();
        Logs.Dispose();
    }
}

/// <summary>An ILoggerProvider that keeps every line at every level: its event, level, text and structured values.</summary>
internal sealed class LogCapture : ILoggerProvider
{
    public ConcurrentQueue<(string Category, LogLevel Level, EventId Event, string Text, string Values)> Lines { get; } = new();

    public ILoggerFactory Factory() => LoggerFactory.Create(builder => builder.SetMinimumLevel(LogLevel.Trace).AddProvider(this));

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(LogCapture capture, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var values = state is IEnumerable<KeyValuePair<string, object?>> pairs ? string.Join("; ", pairs.Select(p => $"{p.Key}={p.Value}")) : string.Empty;
            capture.Lines.Enqueue((category, logLevel, eventId, formatter(state, exception) + (exception is null ? string.Empty : " " + exception), values));
        }
    }
}

/// <summary>Puts the simulator's fault header on the requests <paramref name="faultFor"/> picks (by their order).</summary>
internal sealed class FaultInjector(Func<HttpRequestMessage, int, string?> faultFor) : DelegatingHandler(new SocketsHttpHandler())
{
    private int _count;

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        request.Headers.Remove(KlingGenerated.Simulator.SimulatorFault.Header); // a retry sends the same request again
        if (faultFor(request, Interlocked.Increment(ref _count)) is { } fault)
        {
            request.Headers.Add(KlingGenerated.Simulator.SimulatorFault.Header, fault);
        }

        return base.SendAsync(request, cancellationToken);
    }
}
