using System.Diagnostics;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Logging;
using Polly;

namespace KlingGenerated;

/// <summary>
/// What <see cref="KlingResilienceHandler"/> reports: retries and pacing waits as events of the current span (the
/// operation's or the task's) with their delay, 429s and pacing waits as metrics, and log lines through the logger the
/// client attached to the request. No HTTP spans: those are HttpClient's own.
/// </summary>
internal static class ResilienceTelemetry
{
    /// <summary>The client's logger, carried by each request to the handler (set in KlingClient.PrepareRequestAsync).</summary>
    internal static readonly HttpRequestOptionsKey<ILogger> LoggerKey = new("KlingGenerated.Logger");

    public static void Retrying(HttpRequestMessage request, int attempt, TimeSpan delay, Outcome<HttpResponseMessage> outcome)
    {
        var reason = outcome.Exception is { } exception ? exception.GetType().Name : $"HTTP {(int)outcome.Result!.StatusCode}{BodyCode(outcome.Result)}";
        Activity.Current?.AddEvent(new ActivityEvent(TelemetryTags.RetryEvent, tags: new ActivityTagsCollection
        {
            { TelemetryTags.RetryAttempt, attempt },
            { TelemetryTags.RetryDelay, delay.TotalSeconds },
            { TelemetryTags.ErrorType, reason },
        }));
        if (request.Options.TryGetValue(LoggerKey, out var logger))
        {
            KlingLog.Retrying(logger, request.Method.Method, request.RequestUri?.AbsolutePath ?? string.Empty, attempt, delay.TotalSeconds, reason);
        }
    }

    /// <summary>Counts an answer that said 429, in its status or in its body's code.</summary>
    public static void Answered(HttpRequestMessage request, HttpResponseMessage response)
    {
        if (!KlingTelemetry.Throttled.Enabled)
        {
            return;
        }

        if ((int)response.StatusCode == 429 || (response.Content is BufferedBody { TooLarge: false } body && ServiceEnvelope.TryRead(body.Memory.Span, out var code, out _) && code == 429))
        {
            KlingTelemetry.Throttled.Add(1, new KeyValuePair<string, object?>(TelemetryTags.OperationName, OperationOf(request)));
        }
    }

    /// <summary>Times a pacing permit; a wait that did not end at once becomes an event, a metric and a debug line.</summary>
    public static ValueTask<RateLimitLease> Timed(ValueTask<RateLimitLease> acquire, HttpRequestMessage request)
    {
        if (acquire.IsCompleted)
        {
            KlingTelemetry.PacingWait.Record(0);
            return acquire;
        }

        return TimedAsync(acquire, request, Stopwatch.GetTimestamp());
    }

    private static async ValueTask<RateLimitLease> TimedAsync(ValueTask<RateLimitLease> acquire, HttpRequestMessage request, long started)
    {
        try
        {
            return await acquire.ConfigureAwait(false);
        }
        finally
        {
            var waited = Stopwatch.GetElapsedTime(started).TotalSeconds;
            KlingTelemetry.PacingWait.Record(waited);
            Activity.Current?.AddEvent(new ActivityEvent(TelemetryTags.PacingEvent, tags: new ActivityTagsCollection { { TelemetryTags.PacingWait, waited } }));
            if (request.Options.TryGetValue(LoggerKey, out var logger))
            {
                KlingLog.PacingWaited(logger, waited);
            }
        }
    }

    private static string BodyCode(HttpResponseMessage response) =>
        response.Content is BufferedBody { TooLarge: false } body && ServiceEnvelope.TryRead(body.Memory.Span, out var code, out _) && code != 200 ? $" (code {code})" : string.Empty;

    private static string OperationOf(HttpRequestMessage request) =>
        OperationTelemetry.NameOf(KlingOperation.IdOf(request) ?? "other");
}
