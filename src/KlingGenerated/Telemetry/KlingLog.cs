using Microsoft.Extensions.Logging;

namespace KlingGenerated;

/// <summary>
/// Every log line of the library, with its event id (source-generated, so a disabled level costs a check and nothing
/// more). No line carries the API key, the HMAC key, a signature, a prompt or a URL's query.
/// </summary>
internal static partial class KlingLog
{
    [LoggerMessage(1, LogLevel.Information, "Created task {TaskId} ({Model}).")]
    public static partial void TaskCreated(ILogger logger, string taskId, string model);

    [LoggerMessage(2, LogLevel.Warning, "createTask ({Model}) ended with {ErrorType} after the request was sent: the task may exist and may be charged. Check the callback or the credits before submitting again.")]
    public static partial void CreateTaskMayExist(ILogger logger, string model, string errorType);

    [LoggerMessage(3, LogLevel.Information, "createTask ({Model}) was refused with {ErrorType}; no task was created.")]
    public static partial void CreateTaskRejected(ILogger logger, string model, string errorType);

    [LoggerMessage(4, LogLevel.Information, "Retrying {Method} {Path} (attempt {Attempt}) in {DelaySeconds:0.###} s after {Reason}.")]
    public static partial void Retrying(ILogger logger, string method, string path, int attempt, double delaySeconds, string reason);

    [LoggerMessage(5, LogLevel.Debug, "createTask waited {WaitSeconds:0.###} s for a pacing permit.")]
    public static partial void PacingWaited(ILogger logger, double waitSeconds);

    [LoggerMessage(6, LogLevel.Debug, "Task {TaskId} is {State} (poll {Poll}).")]
    public static partial void TaskStateChanged(ILogger logger, string taskId, string state, int poll);

    [LoggerMessage(7, LogLevel.Information, "Task {TaskId} succeeded after {Polls} polls ({Credits} credits).")]
    public static partial void TaskSucceeded(ILogger logger, string taskId, int polls, double? credits);

    [LoggerMessage(8, LogLevel.Warning, "Task {TaskId} ended with {ErrorType} after {Polls} polls.")]
    public static partial void TaskEnded(ILogger logger, string taskId, string errorType, int polls);

    [LoggerMessage(9, LogLevel.Information, "Downloaded {Bytes} bytes from {Url}.")]
    public static partial void Downloaded(ILogger logger, long bytes, string url);

    [LoggerMessage(10, LogLevel.Warning, "The download from {Url} failed: {ErrorType}.")]
    public static partial void DownloadFailed(ILogger logger, string url, string errorType);

    [LoggerMessage(11, LogLevel.Warning, "Rejected a callback for task {TaskId}: {Result}.")]
    public static partial void CallbackRejected(ILogger logger, string taskId, string result);

    [LoggerMessage(12, LogLevel.Debug, "Accepted a callback for task {TaskId} ({Result}).")]
    public static partial void CallbackAccepted(ILogger logger, string taskId, string result);

    [LoggerMessage(13, LogLevel.Warning, "{Operation} failed with {ErrorType}.")]
    public static partial void OperationFailed(ILogger logger, string operation, string errorType);
}
