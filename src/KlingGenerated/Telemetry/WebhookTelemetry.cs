using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace KlingGenerated;

/// <summary>
/// The span <c>receive_callback</c> of one callback, linked to the span that created its task when this process created
/// it, with the verification result as <c>kling.webhook.result</c>; also the verification counter and the log lines.
/// Never records the body, the signature, the timestamp header or the HMAC key.
/// </summary>
internal static class WebhookTelemetry
{
    /// <summary>The results of a check, as recorded.</summary>
    internal static class Results
    {
        public const string Verified = "verified";
        public const string Unsigned = "unsigned";
        public const string MissingHeader = "missing_header";
        public const string BadTimestamp = "bad_timestamp";
        public const string Stale = "stale";
        public const string BadSignature = "bad_signature";
        public const string Malformed = "malformed";
    }

    public static void Record(string result, string? taskId, ILogger? logger)
    {
        var printable = taskId is null ? "unknown" : KlingTelemetry.Printable(taskId);
        KlingTelemetry.WebhookVerifications.Add(1, new KeyValuePair<string, object?>(TelemetryTags.WebhookResult, result));
        if (KlingTelemetry.Source.HasListeners())
        {
            using var activity = KlingTelemetry.Source.StartActivity(ActivityKind.Consumer, name: "receive_callback", links: taskId is null ? null : CallbackLinks.For(printable));
            if (activity is { IsAllDataRequested: true })
            {
                activity.SetTag(TelemetryTags.OperationName, "receive_callback");
                activity.SetTag(TelemetryTags.ProviderName, TelemetryTags.Provider);
                activity.SetTag(TelemetryTags.WebhookResult, result);
                if (taskId is not null)
                {
                    activity.SetTag(TelemetryTags.ResponseId, printable);
                }

                if (result is not (Results.Verified or Results.Unsigned))
                {
                    activity.SetTag(TelemetryTags.ErrorType, result);
                    activity.SetStatus(ActivityStatusCode.Error, result);
                }
            }
        }

        if (logger is null)
        {
            return;
        }

        if (result is Results.Verified or Results.Unsigned)
        {
            KlingLog.CallbackAccepted(logger, printable, result);
        }
        else
        {
            KlingLog.CallbackRejected(logger, printable, result);
        }
    }
}

/// <summary>How far a webhook check went: what it would fail with, and the task id once the scan found one.</summary>
internal sealed class WebhookCheck
{
    public string Result { get; set; } = WebhookTelemetry.Results.MissingHeader;

    public string? TaskId { get; set; }

    /// <summary>Records the rejection; always false, for an exception filter.</summary>
    public bool Rejected(ILogger? logger)
    {
        WebhookTelemetry.Record(Result, TaskId, logger);
        return false;
    }
}
