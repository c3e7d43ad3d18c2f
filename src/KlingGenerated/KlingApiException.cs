using System.Globalization;

namespace KlingGenerated;

/// <summary>
/// The one exception for what the service says: an error code in the body of an HTTP 200, an HTTP error status,
/// an answer that is not the service's JSON, or a task that ended in failure.
/// </summary>
/// <remarks>The message never contains the API key; it ends with what to do next.</remarks>
// CUSTOM: nswag.json sets exceptionClass to this type, so generated code and the hand-written mapping throw the same thing.
public class KlingApiException : Exception
{
    /// <summary>Creates an exception for a code of the service, classified by the document's rules as an answer to an operation that creates nothing.</summary>
    /// <param name="code">The service's code: the body <c>code</c>, or the HTTP status when there is no envelope.</param>
    /// <param name="httpStatus">The HTTP status of the answer, or null when there was none (a failed task).</param>
    /// <param name="serverMessage">The service's own message (<c>msg</c> or <c>message</c>).</param>
    /// <param name="retryAfter">The wait the service asked for, from <c>Retry-After</c>.</param>
    /// <param name="innerException">The cause, if any.</param>
    public KlingApiException(int code, int? httpStatus, string? serverMessage, TimeSpan? retryAfter = null, Exception? innerException = null)
        : this(OutcomeOfCode(code, httpStatus), serverMessage, retryAfter, detail: null, innerException)
    {
    }

    private protected KlingApiException(KlingOutcome outcome, string? serverMessage, TimeSpan? retryAfter, string? detail, Exception? innerException)
        : base(KlingSecrets.Mask(Describe(outcome, serverMessage, retryAfter, detail)), innerException) // the service's words may echo the key
    {
        Outcome = outcome;
        ServerMessage = KlingSecrets.Mask(serverMessage);
        RetryAfter = retryAfter;
    }

    // CUSTOM: the constructor NSwag's generated code calls when it cannot read a body it expected.
    internal KlingApiException(string message, int statusCode, string? response, IReadOnlyDictionary<string, IEnumerable<string>> headers, Exception? innerException)
        : this(KlingOutcome.NotUsed(operationId: null, statusCode, statusCode), serverMessage: null, retryAfter: null,
               detail: $"{message.TrimEnd('.')} ({innerException?.Message ?? "no details"}). The answer does not match openapi/kling.openapi.yaml: if the service changed, update the document and rebuild",
               innerException)
    {
        _ = response;
        _ = headers;
    }

    /// <summary>
    /// The outcome of the attempt, decided once by the classifier generated from the document and carried unchanged:
    /// kind, code, HTTP status, whether the body started to leave, whether it may be retried, whether a paid task may exist.
    /// </summary>
    public KlingOutcome Outcome { get; }

    /// <summary>What kind of failure this is.</summary>
    public KlingErrorKind Kind => Outcome.Kind;

    /// <summary>The service's code: the body <c>code</c> where there is an envelope, the HTTP status otherwise.</summary>
    public int Code => Outcome.Code;

    /// <summary>The HTTP status of the answer; null for a task that failed.</summary>
    public int? HttpStatus => Outcome.HttpStatus;

    /// <summary>The service's message, from <c>msg</c> or the older <c>message</c>.</summary>
    public string? ServerMessage { get; }

    /// <summary>How long the service asked to wait, from the <c>Retry-After</c> header.</summary>
    public TimeSpan? RetryAfter { get; }

    /// <summary>For a failed task, the service's <c>failCode</c>.</summary>
    public string? FailCode { get; private init; }

    /// <summary>For a failed task, the service's <c>failMsg</c>.</summary>
    public string? FailMessage { get; private init; }

    /// <summary>The task this failure is about: a task that failed, a wait that timed out, or a task created whose journal record failed.</summary>
    public string? TaskId => Outcome.TaskId;

    /// <summary>
    /// True exactly when this failed createTask (the operation the document marks <c>x-kling-billable</c>) may have
    /// created a task, and so may have been charged: <see cref="KlingOutcome.TaskMayExist"/>, decided by the document's
    /// rules (<c>x-error-classification</c>) once its body started to leave. Always false for every other operation.
    /// Never submit the same request again while this is true: check your callback, the kie.ai console or the credits.
    /// </summary>
    public bool TaskMayExist => Outcome.TaskMayExist;

    /// <summary>
    /// True when the same request may succeed later and sending it again cannot pay twice (<see cref="KlingOutcome.IsRetryable"/>,
    /// from the document's rules). Never true when <see cref="TaskMayExist"/> is true. A failed task is final.
    /// </summary>
    public bool IsRetryable => Outcome.IsRetryable;

    /// <summary>For a wait that timed out (<see cref="KlingErrorKind.Timeout"/> with a <see cref="TaskId"/>), the last state the service reported (its raw text), or null when the task never became visible.</summary>
    public string? LastState { get; private init; }

    /// <summary>Creates the exception for a task that ended in the <c>fail</c> state.</summary>
    public static KlingApiException ForFailedTask(string taskId, string? failCode, string? failMessage)
    {
        var code = int.TryParse(failCode, NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed) ? parsed : 501;
        return new KlingApiException(KlingOutcome.TaskFailed(taskId, code), failMessage, retryAfter: null,
            detail: $"Task {taskId} failed (failCode {(string.IsNullOrEmpty(failCode) ? "none" : failCode)}): {(string.IsNullOrEmpty(failMessage) ? "the service gave no reason" : failMessage)}. The task is final; submit a new one, perhaps with a changed prompt",
            innerException: null)
        {
            FailCode = KlingSecrets.Mask(failCode),
            FailMessage = KlingSecrets.Mask(failMessage),
        };
    }

    /// <summary>Creates the exception for an error answer (the envelope's verdict) of the service.</summary>
    internal static KlingApiException ForAnswer(KlingOutcome outcome, string? serverMessage, TimeSpan? retryAfter) =>
        new(outcome, serverMessage, retryAfter,
            detail: outcome.TaskMayExist ? Head(outcome, serverMessage, retryAfter) + " The createTask reached the service, so a task may have been created and charged; it was not retried. Check your callback, the kie.ai console or the credits before submitting again" : null,
            innerException: null);

    /// <summary>Creates the exception for an answer that is not the service's JSON (an HTML page, plain text, nothing).</summary>
    internal static KlingApiException ForUnreadableBody(KlingOutcome outcome, string what, TimeSpan? retryAfter)
    {
        var advice = outcome.HttpStatus == 403 && what.Contains("1010", StringComparison.Ordinal)
            ? "The service's edge blocked the request (error 1010 means the User-Agent looks like a bot); send a User-Agent header"
            : outcome.TaskMayExist
                ? "The createTask request arrived, so the task may or may not have been created: check your callback or the credits before submitting again"
                : TooLarge(outcome) ?? (outcome.Kind == KlingErrorKind.Unknown ? (outcome.IsRetryable ? "Try again later" : "Try again later; if it persists, report the answer") : Advice(outcome));
        return new KlingApiException(outcome, serverMessage: null, retryAfter,
            detail: $"The service answered HTTP {outcome.HttpStatus} with {what} instead of its JSON envelope. {advice}", innerException: null);
    }

    /// <summary>Creates the exception for a createTask accepted with code 200 whose answer names no task id: a task may exist, and it cannot be followed.</summary>
    internal static KlingApiException ForAcceptedWithoutTaskId(KlingOutcome outcome, string what) =>
        new(outcome, serverMessage: null, retryAfter: null,
            detail: outcome.TaskMayExist
                ? $"The service accepted the createTask (code 200) but answered {what}, so the task cannot be followed. A task may have been created and charged: check your callback, the kie.ai console or the credits before submitting again"
                : $"The service answered code 200 but with {what}. Try again later; if it persists, report the answer",
            innerException: null);

    /// <summary>Creates the exception for a created task whose outcome the journal failed to record: the id is kept here, never lost.</summary>
    internal static KlingApiException ForUnjournaledTask(string? operationId, string taskId, Exception journalError) =>
        new(KlingOutcome.JournalFailed(operationId, taskId), serverMessage: null, retryAfter: null,
            detail: $"Task {Printable(taskId)} was created and charged, but the create-task journal could not record it ({journalError.Message.TrimEnd('.')}). Keep this task id: query it with GetTaskRecordAsync; do not submit again",
            journalError);

    /// <summary>Creates the exception for an attempt the classifier decided (a timeout, a transport failure, a broken answer) with its message.</summary>
    internal static KlingApiException ForOutcome(KlingOutcome outcome, string detail, Exception? innerException) =>
        new(outcome, serverMessage: null, retryAfter: null, detail.TrimEnd('.'), innerException);

    /// <summary>Creates the exception for a createTask the spend gate refused: nothing was sent.</summary>
    internal static KlingApiException ForBudgetExceeded(string detail) =>
        new(KlingOutcome.BudgetExceeded(), serverMessage: null, retryAfter: null, detail.TrimEnd('.'), innerException: null);

    /// <summary>Creates the exception for a wait for <paramref name="taskId"/> that ran out of time: the task exists and may still finish.</summary>
    internal static KlingApiException ForWaitTimeout(string taskId, string? lastState, string message)
    {
        ArgumentException.ThrowIfNullOrEmpty(taskId);
        ArgumentNullException.ThrowIfNull(message);
        return new KlingApiException(KlingOutcome.WaitTimedOut(taskId), serverMessage: null, retryAfter: null, message.TrimEnd('.'), innerException: null)
        {
            LastState = KlingSecrets.Mask(lastState),
        };
    }

    /// <summary>Creates the exception for a query answered with the record of another task: that record is not used.</summary>
    internal static KlingApiException ForRecordOfAnotherTask(string taskId) =>
        new(KlingOutcome.NotUsed("GetTaskRecord", code: 0, httpStatus: 200), serverMessage: null, retryAfter: null,
            detail: $"The query for task {Printable(taskId)} was answered with the record of another task, so that answer was not used. Query the task again; if it persists, report it",
            innerException: null);

    /// <summary>Creates the exception for a redirect from the API, which never redirects: it is not followed.</summary>
    internal static KlingApiException ForRedirect(KlingOutcome outcome, string? location) =>
        new(outcome, serverMessage: null, retryAfter: null,
            detail: $"The service answered HTTP {outcome.HttpStatus} redirecting to {(location is null ? "no Location" : Printable(location))}; the API never redirects, so it was not followed and nothing was sent there. " +
                    $"Check the base URL (KlingClientOptions.BaseUrl, {KlingClientOptions.DefaultBaseUrl} for kie.ai); if it is right, a proxy or the service's edge redirected: report it",
            innerException: null);

    /// <summary>Creates the exception for a redirect that the caller's HttpClient followed before this client could refuse it.</summary>
    internal static KlingApiException ForFollowedRedirect(string? operationId, Uri baseUrl, Uri reached) =>
        new(KlingOutcome.NotUsed(operationId, code: 0, httpStatus: null), serverMessage: null, retryAfter: null,
            detail: $"The service at {baseUrl.GetLeftPart(UriPartial.Path)} redirected to {Printable(reached.GetLeftPart(UriPartial.Path))} and the HttpClient followed it; the API never redirects, so that answer was not used. " +
                    "Create the HttpClient with new SocketsHttpHandler { AllowAutoRedirect = false } (AddKlingClient does), and check the base URL",
            innerException: null);

    private static KlingOutcome OutcomeOfCode(int code, int? httpStatus)
    {
        var outcome = KlingOutcomeClassifier.Document.Classify(operationId: null, billable: false, KlingAttempt.Http(httpStatus ?? 200, envelope: true, code));
        return httpStatus is null
            ? new KlingOutcome(null, outcome.Rule, false, outcome.Kind, code, null, false, false, outcome.IsRetryable, false, null)
            : outcome;
    }

    private static string Printable(string text) =>
        new(text.Take(300).Select(c => char.IsControl(c) ? '?' : c).ToArray());

    /// <summary>The kind the document's rules (<c>x-error-classification</c>) give a code of the service (or an HTTP status) in an envelope.</summary>
    public static KlingErrorKind KindOf(int code, int? httpStatus) =>
        KlingOutcomeClassifier.Document.Classify(operationId: null, billable: false, KlingAttempt.Http(httpStatus ?? 200, envelope: true, code)).Kind;

    private static string Describe(KlingOutcome outcome, string? serverMessage, TimeSpan? retryAfter, string? detail)
    {
        if (detail is not null)
        {
            return detail + ".";
        }

        return $"{Head(outcome, serverMessage, retryAfter)} {Advice(outcome)}.";
    }

    /// <summary>The code, kind, status, the service's words and the wait it asked for, without advice.</summary>
    private static string Head(KlingOutcome outcome, string? serverMessage, TimeSpan? retryAfter)
    {
        var http = outcome.HttpStatus is null or 200 ? string.Empty : $" (HTTP {outcome.HttpStatus})";
        var said = string.IsNullOrWhiteSpace(serverMessage) ? "no message" : $"\"{serverMessage.Trim()}\"";
        var wait = retryAfter is { } r ? $" The service asked to wait {r.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture)} s." : string.Empty;
        return $"Kling API error {outcome.Code.ToString(CultureInfo.InvariantCulture)} {outcome.Kind}{http}: {said}.{wait}";
    }

    // HTTP 413 and 414 (RFC 9110) refuse a request for its size before the service reads it: waiting changes nothing.
    // Said only when the outcome is that nothing can exist (a 413/414 whose envelope says 500 keeps the may-exist advice).
    private static string? TooLarge(KlingOutcome outcome) => outcome is { HttpStatus: 413 or 414, TaskMayExist: false }
        ? $"The request was too long for the service (HTTP {outcome.HttpStatus} {(outcome.HttpStatus == 414 ? "URI Too Long" : "Content Too Large")}), so it did nothing with it" +
          (outcome.IsBillable ? ": nothing was created or charged" : string.Empty) +
          ". Shorten the prompt, the URLs or the task id, then send it again"
        : null;

    // What to do next. Only a billable operation's outcome speaks of charges, and only as its TaskMayExist says.
    private static string Advice(KlingOutcome outcome)
    {
        if (TooLarge(outcome) is { } tooLarge)
        {
            return tooLarge;
        }

        var nothingCharged = outcome.IsBillable && !outcome.TaskMayExist;
        return outcome.Kind switch
        {
            KlingErrorKind.Unauthorized => "Check the API key (KlingClientOptions.ApiKey or KIE_API_KEY); get one at https://kie.ai/api-key",
            KlingErrorKind.InsufficientCredits => "Top up the account's credits, then submit again",
            KlingErrorKind.NotFound => "Check the task id; a task just created can take a few seconds to become visible",
            KlingErrorKind.ValidationFailed => "Fix the request parameters named in the message" + (nothingCharged ? "; nothing was created" : string.Empty),
            KlingErrorKind.RateLimited => "Slow down and retry later" + (nothingCharged ? "; nothing was created or charged" : string.Empty),
            KlingErrorKind.SubKeyLimitExceeded => "Raise the sub-key's limit in the kie.ai console or use another key",
            KlingErrorKind.Maintenance => "The service is under maintenance; retry later" + (nothingCharged ? ", nothing was charged" : string.Empty),
            KlingErrorKind.ServerError when outcome.TaskMayExist => "A task may have been created and charged: check your callback, the kie.ai console or the credits before submitting again",
            KlingErrorKind.ServerError => "Retry later",
            KlingErrorKind.GenerationFailed => "The generation failed and is final; submit a new task, perhaps with a changed prompt",
            KlingErrorKind.FeatureDisabled => "The feature is disabled for this account or model; contact kie.ai support",
            _ => "See the message; if it persists, report it with the code",
        };
    }
}
