namespace KlingGenerated;

/// <summary>
/// What one attempt of one operation came to, decided once by the classifier generated from the document
/// (<c>x-error-classification</c>) and never changed afterwards. <see cref="KlingApiException.Outcome"/> carries it;
/// the retry handler, the createTask journal, telemetry, the CLI and the AI tools read it.
/// </summary>
public sealed class KlingOutcome
{
    internal KlingOutcome(string? operationId, string rule, bool isSuccess, KlingErrorKind kind, int code, int? httpStatus, bool billable, bool bodyLeft, bool isRetryable, bool taskMayExist, string? taskId)
    {
        OperationId = operationId;
        Rule = rule;
        IsSuccess = isSuccess;
        Kind = kind;
        Code = code;
        HttpStatus = httpStatus;
        IsBillable = billable;
        BodyLeft = bodyLeft;
        IsRetryable = isRetryable;
        TaskMayExist = taskMayExist;
        TaskId = taskId;
    }

    /// <summary>The operationId of the document the attempt was made for (<c>CreateTask</c>, <c>GetTaskRecord</c>...), or null when it is not known.</summary>
    public string? OperationId { get; }

    /// <summary>
    /// Which rule decided: the <c>id</c> of a rule in the document's <c>x-error-classification</c> (<c>http-5xx</c>,
    /// <c>not-sent</c>...), or, for what the client decides itself, <c>task-failed</c>, <c>wait-timeout</c>,
    /// <c>journal-failed</c>, <c>budget-exceeded</c> or <c>not-used</c>.
    /// </summary>
    public string Rule { get; }

    /// <summary>True for a success.</summary>
    public bool IsSuccess { get; }

    /// <summary>The kind of failure (meaningless for a success).</summary>
    public KlingErrorKind Kind { get; }

    /// <summary>The effective code: the body <c>code</c> where there is an envelope and it is not 200, the HTTP status otherwise; 0 without an answer.</summary>
    public int Code { get; }

    /// <summary>The HTTP status of the answer; null when there was none.</summary>
    public int? HttpStatus { get; }

    /// <summary>True when the operation creates a task that is charged (the document marks it <c>x-kling-billable</c>).</summary>
    public bool IsBillable { get; }

    /// <summary>True when a byte of the request's body started to leave in this attempt.</summary>
    public bool BodyLeft { get; }

    /// <summary>True when the same request may be sent again (now or later) without paying twice.</summary>
    public bool IsRetryable { get; }

    /// <summary>
    /// True when a paid task may exist although no task id came back, or (with <see cref="TaskId"/>) exists: never
    /// submit the same request again while this is true. Always false for an operation that is not billable.
    /// </summary>
    public bool TaskMayExist { get; }

    /// <summary>The task this outcome is about, when known.</summary>
    public string? TaskId { get; }

    /// <summary>The same outcome about <paramref name="taskId"/>.</summary>
    internal KlingOutcome WithTaskId(string? taskId) =>
        new(OperationId, Rule, IsSuccess, Kind, Code, HttpStatus, IsBillable, BodyLeft, IsRetryable, TaskMayExist, taskId);

    /// <summary>A task that ended in the <c>fail</c> state: final.</summary>
    internal static KlingOutcome TaskFailed(string taskId, int code) =>
        new("GetTaskRecord", "task-failed", false, KlingErrorKind.TaskFailed, code, null, false, false, false, false, taskId);

    /// <summary>A wait for a task that ran out of time: the task exists and may still finish.</summary>
    internal static KlingOutcome WaitTimedOut(string taskId) =>
        new("GetTaskRecord", "wait-timeout", false, KlingErrorKind.Timeout, 0, null, false, false, true, false, taskId);

    /// <summary>A task created and charged whose journal record failed: the id is kept, the task exists.</summary>
    internal static KlingOutcome JournalFailed(string? operationId, string taskId) =>
        new(operationId, "journal-failed", false, KlingErrorKind.Unknown, 200, 200, true, true, false, true, taskId);

    /// <summary>A createTask the spend gate refused before anything was sent: nothing exists; sending it again is refused the same way until the budget allows it.</summary>
    internal static KlingOutcome BudgetExceeded() =>
        new("CreateTask", "budget-exceeded", false, KlingErrorKind.BudgetExceeded, 0, null, true, false, false, false, null);

    /// <summary>An answer the client does not use (a record of another task, a redirect an HttpClient followed): not retried as is.</summary>
    internal static KlingOutcome NotUsed(string? operationId, int code, int? httpStatus) =>
        new(operationId, "not-used", false, KlingErrorKind.Unknown, code, httpStatus, false, true, false, false, null);
}
