using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Reflection;

namespace KlingGenerated;

/// <summary>
/// The names under which this library emits traces (<see cref="ActivitySource"/>) and metrics (<see cref="Meter"/>).
/// Both are always on: they cost nothing until something listens, such as OpenTelemetry's
/// <c>AddSource("KlingGenerated*")</c> and <c>AddMeter("KlingGenerated*")</c>. Spans and attributes follow the
/// OpenTelemetry GenAI conventions; HTTP spans stay HttpClient's own.
/// </summary>
// CUSTOM: the generated client has no telemetry; one source and one meter per library, as the Azure SDK and openai-dotnet do.
public static class KlingTelemetry
{
    /// <summary>The name of the ActivitySource and of the Meter: <c>KlingGenerated</c>.</summary>
    public const string SourceName = "KlingGenerated";

    /// <summary>
    /// The standard switch for recording prompts: only when this environment variable is <c>true</c> do spans carry the
    /// prompt and the negative prompt. Nothing else that was sent or received is ever recorded.
    /// </summary>
    public const string CaptureMessageContentVariable = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT";

    private static readonly string Version =
        typeof(KlingTelemetry).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    internal static readonly ActivitySource Source = new(SourceName, Version);

    internal static readonly Meter Meter = new(SourceName, Version);

    internal static readonly Histogram<double> OperationDuration = Meter.CreateHistogram<double>(
        "gen_ai.client.operation.duration", "s", "Duration of client operations: whole tasks (generate_video, wait_for_task) and single calls.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92, 163.84, 327.68, 655.36, 1310.72] });

    internal static readonly Counter<long> CreateTaskAttempts = Meter.CreateCounter<long>(
        "kling.client.create_task.attempts", "{attempt}", "createTask calls by outcome (kling.create_task.outcome: created, rejected, may_exist).");

    internal static readonly Counter<long> Throttled = Meter.CreateCounter<long>(
        "kling.client.throttled", "{response}", "Answers that said 429 (HTTP status or body code), retried or not.");

    internal static readonly Histogram<double> PacingWait = Meter.CreateHistogram<double>(
        "kling.client.pacing.wait.duration", "s", "Time a createTask attempt waited for a pacing permit before it was sent.");

    internal static readonly Histogram<long> PollsPerTask = Meter.CreateHistogram<long>(
        "kling.client.task.polls", "{poll}", "Record queries made while waiting for one task.");

    internal static readonly Histogram<long> DownloadSize = Meter.CreateHistogram<long>(
        "kling.client.download.size", "By", "Bytes received per result download.");

    internal static readonly Histogram<double> DownloadDuration = Meter.CreateHistogram<double>(
        "kling.client.download.duration", "s", "Duration of result downloads, by outcome.");

    internal static readonly Counter<double> CreditsConsumed = Meter.CreateCounter<double>(
        "kling.client.credits.consumed", "{credit}", "Credits the service reported as consumed by tasks that ended.");

    internal static readonly Counter<long> WebhookVerifications = Meter.CreateCounter<long>(
        "kling.webhook.verifications", "{callback}", "Callbacks checked, by result (kling.webhook.result).");

    /// <summary>True when prompts may be recorded: the environment variable is exactly <c>true</c> (any case).</summary>
    internal static bool CaptureMessageContent =>
        string.Equals(Environment.GetEnvironmentVariable(CaptureMessageContentVariable), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>Something listens to spans or to any instrument: only then is bookkeeping done.</summary>
    internal static bool Enabled => Source.HasListeners() || OperationDuration.Enabled || CreateTaskAttempts.Enabled || PollsPerTask.Enabled;

    /// <summary>A URL as recorded: scheme, host, port and path; never the user info, the query (signed links carry their secret there) or the fragment.</summary>
    internal static string Sanitized(Uri url) =>
        KlingSecrets.Mask(url.IsAbsoluteUri ? $"{url.Scheme}://{url.Authority}{url.AbsolutePath}" : url.OriginalString.Split('?', '#')[0]);

    /// <summary>Text from the service or a caller, with any secret masked (<see cref="KlingSecrets"/>), cut to a sane length and without control characters, before it is recorded.</summary>
    internal static string Printable(string? text) =>
        text is null ? string.Empty : new string(KlingSecrets.Mask(text).Take(120).Select(c => char.IsControl(c) ? '?' : c).ToArray());

    /// <summary>The error.type of an exception: the error kind, the download failure, or the exception's type name.</summary>
    internal static string ErrorType(Exception exception) => exception switch
    {
        KlingApiException { Kind: KlingErrorKind.TaskFailed, FailCode: { Length: > 0 } failCode } => Printable(failCode),
        KlingApiException api => api.Kind.ToString(),
        KlingDownloadException download => download.Reason.ToString(),
        OperationCanceledException => "Cancelled",
        _ => exception.GetType().FullName ?? exception.GetType().Name,
    };

    /// <summary>May a createTask that ended with this exception have created a task? Read from the library's own answer, never re-decided here.</summary>
    internal static bool MayExist(Exception exception) => exception is KlingApiException { TaskMayExist: true };
}
