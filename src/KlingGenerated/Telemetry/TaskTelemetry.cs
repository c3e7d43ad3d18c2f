using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace KlingGenerated;

/// <summary>
/// The span of a whole task: <c>generate_video {model}</c> (create, then wait) or <c>wait_for_task</c>. Polls and state
/// changes are its events, not spans; at the end it carries the final state, the polls, the credits and error.type,
/// and the task's duration, polls and credits go to the metrics. Made only when something listens.
/// </summary>
internal sealed class TaskTelemetry : IDisposable
{
    internal const string PropertyName = "KlingGenerated.Task";

    private readonly string _operation;
    private readonly string? _model;
    private readonly ILogger _logger;
    private readonly long _started = Stopwatch.GetTimestamp();
    private string _taskId;
    private string? _state;
    private string? _errorType;
    private int _polls;

    private TaskTelemetry(string operation, string? model, string taskId, ILogger logger, Activity? activity)
    {
        _operation = operation;
        _model = model;
        _taskId = taskId;
        _logger = logger;
        Activity = activity;
        activity?.SetCustomProperty(PropertyName, this);
    }

    public Activity? Activity { get; }

    /// <summary>Starts <c>generate_video {model}</c>; the createTask call becomes its child span.</summary>
    public static TaskTelemetry? StartGenerate(VideoTaskRequest request, ILogger logger)
    {
        if (!KlingTelemetry.Enabled && !logger.IsEnabled(LogLevel.Critical))
        {
            return null;
        }

        var model = request.Model;
        var activity = KlingTelemetry.Source.StartActivity($"generate_video {model}", ActivityKind.Client);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag(TelemetryTags.OperationName, "generate_video");
            activity.SetTag(TelemetryTags.ProviderName, TelemetryTags.Provider);
            TagRequest(activity, request);
        }

        return new TaskTelemetry("generate_video", model, string.Empty, logger, activity);
    }

    /// <summary>Starts <c>wait_for_task</c> for a task created elsewhere.</summary>
    public static TaskTelemetry? StartWait(string taskId, ILogger logger)
    {
        if (!KlingTelemetry.Enabled && !logger.IsEnabled(LogLevel.Critical))
        {
            return null;
        }

        var printable = KlingTelemetry.Printable(taskId);
        var activity = KlingTelemetry.Source.StartActivity("wait_for_task", ActivityKind.Client);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag(TelemetryTags.OperationName, "wait_for_task");
            activity.SetTag(TelemetryTags.ProviderName, TelemetryTags.Provider);
            activity.SetTag(TelemetryTags.OutputType, TelemetryTags.Video);
            activity.SetTag(TelemetryTags.ResponseId, printable);
        }

        return new TaskTelemetry("wait_for_task", null, printable, logger, activity);
    }

    /// <summary>The request's model and settings; the prompts only when capture is switched on.</summary>
    internal static void TagRequest(Activity activity, VideoTaskRequest request)
    {
        activity.SetTag(TelemetryTags.RequestModel, request.Model);
        activity.SetTag(TelemetryTags.OutputType, TelemetryTags.Video);

        // Read as JSON, whatever the model's input type: a model without a field simply has no tag for it.
        if (request.InputObject is not { } typed || Newtonsoft.Json.Linq.JObject.FromObject(typed) is not { } input)
        {
            return;
        }

        if ((string?)input["duration"] is { } duration)
        {
            activity.SetTag(TelemetryTags.Duration, duration);
        }

        if ((string?)input["aspect_ratio"] is { } ratio)
        {
            activity.SetTag(TelemetryTags.AspectRatio, ratio);
        }

        if (KlingTelemetry.CaptureMessageContent)
        {
            activity.SetTag(TelemetryTags.InputMessages, System.Text.Json.JsonSerializer.Serialize(new[]
            {
                new { role = "user", parts = new[] { new { type = "text", content = (string?)input["prompt"] } } },
            }));
            if ((string?)input["negative_prompt"] is { Length: > 0 } negativePrompt)
            {
                activity.SetTag(TelemetryTags.NegativePrompt, negativePrompt);
            }
        }
    }

    /// <summary>The createTask inside generate_video answered with a task id.</summary>
    public void Created(string taskId)
    {
        _taskId = KlingTelemetry.Printable(taskId);
        Activity?.SetTag(TelemetryTags.ResponseId, _taskId);
    }

    /// <summary>One query answered: a record, or null while the task is not visible yet.</summary>
    public void Polled(TaskRecord? record)
    {
        _polls++;
        var state = record is null ? "not_visible" : KlingTelemetry.Printable(record.RawState ?? (record.State is { } known ? TaskStates.ToWire(known) : "unknown"));
        if (Activity is { IsAllDataRequested: true } activity)
        {
            activity.AddEvent(new ActivityEvent(TelemetryTags.PollEvent, tags: new ActivityTagsCollection
            {
                { TelemetryTags.PollNumber, _polls },
                { TelemetryTags.TaskState, state },
            }));
            if (state != _state)
            {
                activity.AddEvent(new ActivityEvent(TelemetryTags.StateChangedEvent, tags: new ActivityTagsCollection
                {
                    { TelemetryTags.PreviousState, _state ?? "none" },
                    { TelemetryTags.TaskState, state },
                }));
            }
        }

        if (state != _state)
        {
            KlingLog.TaskStateChanged(_logger, _taskId, state, _polls);
        }

        _state = state;
        if (record is { State: TaskState.Success or TaskState.Fail })
        {
            Ended(record);
        }
    }

    /// <summary>The task or the call ended with an exception; always false, for an exception filter.</summary>
    public bool Failed(Exception exception)
    {
        if (_errorType is not null)
        {
            return false; // a failed task was already described by its record
        }

        _errorType = KlingTelemetry.ErrorType(exception);
        Activity?.SetTag(TelemetryTags.ErrorType, _errorType);
        Activity?.SetStatus(ActivityStatusCode.Error, _errorType);
        if (_taskId.Length == 0)
        {
            Activity?.SetTag(TelemetryTags.MayExist, KlingTelemetry.MayExist(exception));
        }
        else if (exception is not OperationCanceledException)
        {
            KlingLog.TaskEnded(_logger, _taskId, _errorType, _polls);
        }

        return false;
    }

    public void Dispose()
    {
        Activity?.SetTag(TelemetryTags.Polls, _polls);
        if (_state is not null)
        {
            Activity?.SetTag(TelemetryTags.TaskState, _state);
        }

        var tags = TelemetryTags.ForOperation(_operation, _model, _errorType);

        if (_state is not null)
        {
            tags.Add(TelemetryTags.TaskState, _state);
        }

        KlingTelemetry.OperationDuration.Record(Stopwatch.GetElapsedTime(_started).TotalSeconds, tags);
        if (_polls > 0)
        {
            KlingTelemetry.PollsPerTask.Record(_polls, tags);
        }

        Activity?.Dispose();
    }

    private void Ended(TaskRecord record)
    {
        if (record.CreditsConsumed is { } credits)
        {
            Activity?.SetTag(TelemetryTags.CreditsConsumed, credits);
            if (credits > 0)
            {
                KlingTelemetry.CreditsConsumed.Add(credits, new KeyValuePair<string, object?>(TelemetryTags.RequestModel, _model ?? record.Model), new KeyValuePair<string, object?>(TelemetryTags.TaskState, _state));
            }
        }

        if (record.State == TaskState.Success)
        {
            Activity?.SetTag(TelemetryTags.ResultUrls, SafeUrls(record));
            KlingLog.TaskSucceeded(_logger, _taskId, _polls, record.CreditsConsumed);
            return;
        }

        _errorType = string.IsNullOrEmpty(record.FailCode) ? nameof(KlingErrorKind.TaskFailed) : KlingTelemetry.Printable(record.FailCode);
        Activity?.SetTag(TelemetryTags.ErrorType, _errorType);
        Activity?.SetStatus(ActivityStatusCode.Error, _errorType);
        KlingLog.TaskEnded(_logger, _taskId, _errorType, _polls);
    }

    private static string[] SafeUrls(TaskRecord record)
    {
        try
        {
            return [.. record.GetResultUrls().Select(KlingTelemetry.Sanitized)];
        }
        catch (Exception exception) when (exception is KlingApiException or FormatException or Newtonsoft.Json.JsonException)
        {
            return [];
        }
    }
}
