using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace KlingGenerated;

/// <summary>
/// The span, duration and log lines of one generated operation (create_task, get_task_record, get_credits,
/// get_download_url). Made only when something listens; the generated methods call it through
/// <c>KlingClient.StartOperation</c>, <c>Completed</c> and <c>Failed</c> (Templates/Client.Class.liquid).
/// </summary>
internal sealed class OperationTelemetry : IDisposable
{
    private readonly string _operation;
    private readonly string _operationId;
    private readonly string? _model;
    private readonly ILogger _logger;
    private readonly long _started = Stopwatch.GetTimestamp();
    private string? _errorType;

    private OperationTelemetry(string operationId, string operation, string? model, ILogger logger, Activity? activity)
    {
        _operationId = operationId;
        _operation = operation;
        _model = model;
        _logger = logger;
        Activity = activity;
    }

    public Activity? Activity { get; }

    public static OperationTelemetry? Start(string generatedName, object? argument, ILogger logger)
    {
        if (!KlingTelemetry.Enabled && !logger.IsEnabled(LogLevel.Critical))
        {
            return null;
        }

        var operation = NameOf(generatedName);
        var request = argument as VideoTaskRequest;
        var model = request?.Model;

        // A poll inside a task's span is an event of that span (TaskTelemetry), not a span of its own.
        var inTask = operation == "get_task_record" && Activity.Current?.GetCustomProperty(TaskTelemetry.PropertyName) is TaskTelemetry;
        var activity = inTask ? null : KlingTelemetry.Source.StartActivity(model is null ? operation : $"{operation} {model}", ActivityKind.Client);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag(TelemetryTags.OperationName, operation);
            activity.SetTag(TelemetryTags.ProviderName, TelemetryTags.Provider);
            if (request is not null)
            {
                TaskTelemetry.TagRequest(activity, request);
            }
            else if (argument is string taskId)
            {
                activity.SetTag(TelemetryTags.ResponseId, KlingTelemetry.Printable(taskId));
            }
        }

        return new OperationTelemetry(generatedName, operation, model, logger, activity);
    }

    /// <summary>The telemetry name of an operationId.</summary>
    internal static string NameOf(string operationId) => operationId switch
    {
        "CreateTask" => "create_task",
        "GetTaskRecord" => "get_task_record",
        "GetRemainingCredits" => "get_credits",
        "GetDownloadUrl" => "get_download_url",
        _ => operationId,
    };

    /// <summary>
    /// Set by KlingClient.Send.cs when a billable call ends without a <see cref="KlingOutcome"/> (the caller cancelled):
    /// whether its body had left, so a task may exist. The same decision the journal gets.
    /// </summary>
    internal bool? TaskMayExist { get; set; }

    public void Succeeded(object? result)
    {
        switch (result)
        {
            case CreateTaskResponse { Data.TaskId: { Length: > 0 } taskId }:
                var printable = KlingTelemetry.Printable(taskId);
                Activity?.SetTag(TelemetryTags.ResponseId, printable);
                KlingTelemetry.CreateTaskAttempts.Add(1, Tag(TelemetryTags.CreateOutcome, "created"), Tag(TelemetryTags.RequestModel, _model));
                KlingLog.TaskCreated(_logger, printable, _model ?? "unknown");
                CallbackLinks.Remember(printable, Activity ?? System.Diagnostics.Activity.Current);
                break;
            case TaskRecordResponse { Data: { } record }:
                Activity?.SetTag(TelemetryTags.TaskState, record.RawState is null ? null : KlingTelemetry.Printable(record.RawState));
                Activity?.SetTag(TelemetryTags.CreditsConsumed, record.CreditsConsumed);
                break;
            case CreditsResponse credits:
                Activity?.SetTag(TelemetryTags.Credits, credits.Data);
                break;
        }
    }

    public void Failed(Exception exception)
    {
        _errorType = KlingTelemetry.ErrorType(exception);
        Activity?.SetTag(TelemetryTags.ErrorType, _errorType);
        Activity?.SetStatus(ActivityStatusCode.Error, _errorType);
        if (!KlingOutcomeClassifier.Document.IsBillable(_operationId))
        {
            if (exception is not OperationCanceledException && !(exception is KlingApiException { Kind: KlingErrorKind.NotFound } && _operation == "get_task_record"))
            {
                KlingLog.OperationFailed(_logger, _operation, _errorType);
            }

            return;
        }

        var mayExist = exception is KlingApiException api ? api.Outcome.TaskMayExist : TaskMayExist ?? false;
        Activity?.SetTag(TelemetryTags.MayExist, mayExist);
        KlingTelemetry.CreateTaskAttempts.Add(1, Tag(TelemetryTags.CreateOutcome, mayExist ? "may_exist" : "rejected"), Tag(TelemetryTags.RequestModel, _model), Tag(TelemetryTags.ErrorType, _errorType));
        if (mayExist)
        {
            KlingLog.CreateTaskMayExist(_logger, _model ?? "unknown", _errorType);
        }
        else
        {
            KlingLog.CreateTaskRejected(_logger, _model ?? "unknown", _errorType);
        }
    }

    public void Dispose()
    {
        if (KlingTelemetry.OperationDuration.Enabled)
        {
            var tags = TelemetryTags.ForOperation(_operation, _model, _errorType);

            KlingTelemetry.OperationDuration.Record(Stopwatch.GetElapsedTime(_started).TotalSeconds, tags);
        }

        Activity?.Dispose();
    }

    private static KeyValuePair<string, object?> Tag(string key, object? value) => new(key, value);
}
