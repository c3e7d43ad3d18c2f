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
    /// <summary>Creates an exception for a code of the service.</summary>
    /// <param name="code">The service's code: the body <c>code</c>, or the HTTP status when there is no envelope.</param>
    /// <param name="httpStatus">The HTTP status of the answer, or null when there was none (a failed task).</param>
    /// <param name="serverMessage">The service's own message (<c>msg</c> or <c>message</c>).</param>
    /// <param name="retryAfter">The wait the service asked for, from <c>Retry-After</c>.</param>
    /// <param name="innerException">The cause, if any.</param>
    public KlingApiException(int code, int? httpStatus, string? serverMessage, TimeSpan? retryAfter = null, Exception? innerException = null)
        : this(KindOf(code, httpStatus), code, httpStatus, serverMessage, retryAfter, detail: null, innerException)
    {
    }

    private protected KlingApiException(KlingErrorKind kind, int code, int? httpStatus, string? serverMessage, TimeSpan? retryAfter, string? detail, Exception? innerException)
        : base(Describe(kind, code, httpStatus, serverMessage, retryAfter, detail), innerException)
    {
        Kind = kind;
        Code = code;
        HttpStatus = httpStatus;
        ServerMessage = serverMessage;
        RetryAfter = retryAfter;
    }

    // CUSTOM: the constructor NSwag's generated code calls when it cannot read a body it expected.
    internal KlingApiException(string message, int statusCode, string? response, IReadOnlyDictionary<string, IEnumerable<string>> headers, Exception? innerException)
        : this(KlingErrorKind.Unknown, statusCode, statusCode, serverMessage: null, retryAfter: null,
               detail: $"{message.TrimEnd('.')} ({innerException?.Message ?? "no details"}). The answer does not match openapi/kling.openapi.yaml: if the service changed, update the document and rebuild",
               innerException)
    {
        _ = response;
        _ = headers;
    }

    /// <summary>What kind of failure this is.</summary>
    public KlingErrorKind Kind { get; }

    /// <summary>The service's code: the body <c>code</c> where there is an envelope, the HTTP status otherwise.</summary>
    public int Code { get; }

    /// <summary>The HTTP status of the answer; null for a task that failed.</summary>
    public int? HttpStatus { get; }

    /// <summary>The service's message, from <c>msg</c> or the older <c>message</c>.</summary>
    public string? ServerMessage { get; }

    /// <summary>How long the service asked to wait, from the <c>Retry-After</c> header.</summary>
    public TimeSpan? RetryAfter { get; }

    /// <summary>For a failed task, the service's <c>failCode</c>.</summary>
    public string? FailCode { get; private init; }

    /// <summary>For a failed task, the service's <c>failMsg</c>.</summary>
    public string? FailMessage { get; private init; }

    /// <summary>The task this failure is about: a task that failed, a wait that timed out, or a task created whose journal record failed.</summary>
    public string? TaskId { get; private init; }

    /// <summary>
    /// True exactly when this failed createTask may have created a task, and so may have been charged: its request was
    /// sent and then there was no answer, an answer cut off, a timeout, any HTTP 5xx whatever its body code, an HTTP 200
    /// with body code 500/502/503/504, or an HTTP 200 that could not be read or named no task id. False for every other failure (the
    /// service said no task was created, or the request never left) and for every operation other than createTask.
    /// Never submit the same request again while this is true: check your callback, the kie.ai console or the credits.
    /// </summary>
    public bool TaskMayExist { get; internal set; }

    /// <summary>
    /// True when the same request may succeed later and sending it again cannot pay twice: 429, 455, 500 and HTTP
    /// 500/502/503/504 for queries, a connection that was never made, a timeout of a query or of a createTask that was
    /// never sent. Never true when <see cref="TaskMayExist"/> is true. A 501 generation failure and a failed task are final.
    /// </summary>
    public bool IsRetryable => !TaskMayExist && Kind != KlingErrorKind.TaskFailed
        && (_transient || Kind == KlingErrorKind.Timeout || Code is 429 or 455 or 500 or 502 or 503 or 504 || HttpStatus is 429 or 500 or 502 or 503 or 504);

    private bool _transient;

    /// <summary>For a wait that timed out (<see cref="KlingErrorKind.Timeout"/> with a <see cref="TaskId"/>), the last state the service reported (its raw text), or null when the task never became visible.</summary>
    public string? LastState { get; private init; }

    /// <summary>Creates the exception for a task that ended in the <c>fail</c> state.</summary>
    public static KlingApiException ForFailedTask(string taskId, string? failCode, string? failMessage)
    {
        var code = int.TryParse(failCode, NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed) ? parsed : 501;
        return new KlingApiException(KlingErrorKind.TaskFailed, code, httpStatus: null, failMessage, retryAfter: null,
            detail: $"Task {taskId} failed (failCode {(string.IsNullOrEmpty(failCode) ? "none" : failCode)}): {(string.IsNullOrEmpty(failMessage) ? "the service gave no reason" : failMessage)}. The task is final; submit a new one, perhaps with a changed prompt",
            innerException: null)
        {
            FailCode = failCode,
            FailMessage = failMessage,
            TaskId = taskId,
        };
    }

    /// <summary>Creates the exception for an error answer of the service; <paramref name="createTask"/> says whether it answers a createTask.</summary>
    internal static KlingApiException ForAnswer(int code, int httpStatus, string? serverMessage, TimeSpan? retryAfter, bool createTask)
    {
        // Any HTTP 5xx may come from a proxy after the service created the task, whatever body it carries.
        var mayExist = createTask && (httpStatus >= 500 || (httpStatus is >= 200 and <= 299 && code is 500 or 502 or 503 or 504));
        var kind = KindOf(code, httpStatus);
        return new KlingApiException(kind, code, httpStatus, serverMessage, retryAfter,
            detail: mayExist ? Head(kind, code, httpStatus, serverMessage, retryAfter) + " The createTask reached the service, so a task may have been created and charged; it was not retried. Check your callback, the kie.ai console or the credits before submitting again" : null,
            innerException: null)
        {
            TaskMayExist = mayExist,
        };
    }

    /// <summary>Creates the exception for an answer that is not the service's JSON (an HTML page, plain text, nothing).</summary>
    internal static KlingApiException ForUnreadableBody(int httpStatus, string what, TimeSpan? retryAfter, bool mayHaveCreated = false)
    {
        var kind = httpStatus is >= 200 and < 300 ? KlingErrorKind.Unknown : KindOf(httpStatus, httpStatus);
        var advice = httpStatus == 403 && what.Contains("1010", StringComparison.Ordinal)
            ? "The service's edge blocked the request (error 1010 means the User-Agent looks like a bot); send a User-Agent header"
            : mayHaveCreated
                ? "The createTask request arrived, so the task may or may not have been created: check your callback or the credits before submitting again"
                : kind == KlingErrorKind.Unknown ? "Try again later; if it persists, report the answer" : Advice(kind);
        return new KlingApiException(kind, httpStatus, httpStatus, serverMessage: null, retryAfter,
            detail: $"The service answered HTTP {httpStatus} with {what} instead of its JSON envelope. {advice}", innerException: null)
        {
            TaskMayExist = mayHaveCreated,
        };
    }

    /// <summary>Creates the exception for a createTask accepted with code 200 whose answer names no task id: a task may exist, and it cannot be followed.</summary>
    internal static KlingApiException ForAcceptedWithoutTaskId(string what) =>
        new(KlingErrorKind.Unknown, code: 200, httpStatus: 200, serverMessage: null, retryAfter: null,
            detail: $"The service accepted the createTask (code 200) but answered {what}, so the task cannot be followed. A task may have been created and charged: check your callback, the kie.ai console or the credits before submitting again",
            innerException: null)
        {
            TaskMayExist = true,
        };

    /// <summary>Creates the exception for a created task whose outcome the journal failed to record: the id is kept here, never lost.</summary>
    internal static KlingApiException ForUnjournaledTask(string taskId, Exception journalError) =>
        new(KlingErrorKind.Unknown, code: 200, httpStatus: 200, serverMessage: null, retryAfter: null,
            detail: $"Task {Printable(taskId)} was created and charged, but the create-task journal could not record it ({journalError.Message.TrimEnd('.')}). Keep this task id: query it with GetTaskRecordAsync; do not submit again",
            journalError)
        {
            TaskId = taskId,
            TaskMayExist = true,
        };

    /// <summary>Creates the exception for a createTask the spend gate refused: nothing was sent.</summary>
    internal static KlingApiException ForBudgetExceeded(string detail) =>
        new(KlingErrorKind.BudgetExceeded, code: 0, httpStatus: null, serverMessage: null, retryAfter: null, detail.TrimEnd('.'), innerException: null);

    /// <summary>Creates the exception for a call that got no complete answer in time.</summary>
    internal static KlingApiException ForTimeout(string detail, Exception? innerException, bool taskMayExist) =>
        new(KlingErrorKind.Timeout, code: 0, httpStatus: null, serverMessage: null, retryAfter: null, detail.TrimEnd('.'), innerException)
        {
            TaskMayExist = taskMayExist,
        };

    /// <summary>Creates the exception for a wait for <paramref name="taskId"/> that ran out of time: the task exists and may still finish.</summary>
    internal static KlingApiException ForWaitTimeout(string taskId, string? lastState, string message)
    {
        ArgumentException.ThrowIfNullOrEmpty(taskId);
        ArgumentNullException.ThrowIfNull(message);
        return new KlingApiException(KlingErrorKind.Timeout, code: 0, httpStatus: null, serverMessage: null, retryAfter: null, message.TrimEnd('.'), innerException: null)
        {
            TaskId = taskId,
            LastState = lastState,
        };
    }

    /// <summary>Creates the exception for a request that got no answer (a refused or dropped connection).</summary>
    /// <param name="detail">The message.</param>
    /// <param name="innerException">The cause.</param>
    /// <param name="taskMayExist">A createTask whose request left: it may have created a task.</param>
    /// <param name="nothingSent">No byte of the request left, so sending it again is safe.</param>
    internal static KlingApiException ForTransportFailure(string detail, Exception innerException, bool taskMayExist, bool nothingSent) =>
        new(KlingErrorKind.Unknown, code: 0, httpStatus: null, serverMessage: null, retryAfter: null, detail, innerException)
        {
            TaskMayExist = taskMayExist && !nothingSent,
            _transient = nothingSent || !taskMayExist,
        };

    /// <summary>Creates the exception for an answer whose body broke off after its headers: the request surely arrived.</summary>
    internal static KlingApiException ForBrokenAnswer(HttpRequestMessage? request, Exception innerException, int attempts, bool retried)
    {
        var creates = request is not null && KlingResilienceHandler.IsCreateTask(request);
        return ForTransportFailure(creates
            ? $"The answer to createTask broke off after the request was sent ({innerException.Message}). The task may or may not have been created, so it was not retried: check your callback or the credits before submitting again"
            : $"The answer to {request?.Method} {request?.RequestUri?.AbsolutePath} broke off before its end ({innerException.Message}){(retried ? $" on all {attempts} attempts" : string.Empty)}. Try again later", innerException,
            taskMayExist: creates, nothingSent: false);
    }

    /// <summary>Creates the exception for a query answered with the record of another task: that record is not used.</summary>
    internal static KlingApiException ForRecordOfAnotherTask(string taskId) =>
        new(KlingErrorKind.Unknown, code: 0, httpStatus: 200, serverMessage: null, retryAfter: null,
            detail: $"The query for task {Printable(taskId)} was answered with the record of another task, so that answer was not used. Query the task again; if it persists, report it",
            innerException: null);

    /// <summary>Creates the exception for a redirect from the API, which never redirects: it is not followed.</summary>
    internal static KlingApiException ForRedirect(int httpStatus, string? location) =>
        new(KlingErrorKind.Unknown, httpStatus, httpStatus, serverMessage: null, retryAfter: null,
            detail: $"The service answered HTTP {httpStatus} redirecting to {(location is null ? "no Location" : Printable(location))}; the API never redirects, so it was not followed and nothing was sent there. " +
                    $"Check the base URL (KlingClientOptions.BaseUrl, {KlingClientOptions.DefaultBaseUrl} for kie.ai); if it is right, a proxy or the service's edge redirected: report it",
            innerException: null);

    /// <summary>Creates the exception for a redirect that the caller's HttpClient followed before this client could refuse it.</summary>
    internal static KlingApiException ForFollowedRedirect(Uri baseUrl, Uri reached) =>
        new(KlingErrorKind.Unknown, code: 0, httpStatus: null, serverMessage: null, retryAfter: null,
            detail: $"The service at {baseUrl.GetLeftPart(UriPartial.Path)} redirected to {Printable(reached.GetLeftPart(UriPartial.Path))} and the HttpClient followed it; the API never redirects, so that answer was not used. " +
                    "Create the HttpClient with new SocketsHttpHandler { AllowAutoRedirect = false } (AddKlingClient does), and check the base URL",
            innerException: null);

    private static string Printable(string text) =>
        new(text.Take(300).Select(c => char.IsControl(c) ? '?' : c).ToArray());

    /// <summary>Maps a code of the service (or an HTTP status) to a kind.</summary>
    public static KlingErrorKind KindOf(int code, int? httpStatus) => code switch
    {
        401 or 403 => KlingErrorKind.Unauthorized,
        402 => KlingErrorKind.InsufficientCredits,
        404 => KlingErrorKind.NotFound,
        400 or 422 => KlingErrorKind.ValidationFailed,
        429 => KlingErrorKind.RateLimited,
        433 => KlingErrorKind.SubKeyLimitExceeded,
        455 => KlingErrorKind.Maintenance,
        500 or 502 or 503 or 504 => KlingErrorKind.ServerError,
        501 => KlingErrorKind.GenerationFailed,
        505 => KlingErrorKind.FeatureDisabled,
        _ when httpStatus is 429 => KlingErrorKind.RateLimited,
        _ when httpStatus is 502 or 503 or 504 => KlingErrorKind.ServerError,
        _ => KlingErrorKind.Unknown,
    };

    private static string Describe(KlingErrorKind kind, int code, int? httpStatus, string? serverMessage, TimeSpan? retryAfter, string? detail)
    {
        if (detail is not null)
        {
            return detail + ".";
        }

        return $"{Head(kind, code, httpStatus, serverMessage, retryAfter)} {Advice(kind)}.";
    }

    /// <summary>The code, kind, status, the service's words and the wait it asked for, without advice.</summary>
    private static string Head(KlingErrorKind kind, int code, int? httpStatus, string? serverMessage, TimeSpan? retryAfter)
    {
        var http = httpStatus is null or 200 ? string.Empty : $" (HTTP {httpStatus})";
        var said = string.IsNullOrWhiteSpace(serverMessage) ? "no message" : $"\"{serverMessage.Trim()}\"";
        var wait = retryAfter is { } r ? $" The service asked to wait {r.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture)} s." : string.Empty;
        return $"Kling API error {code.ToString(CultureInfo.InvariantCulture)} {kind}{http}: {said}.{wait}";
    }

    private static string Advice(KlingErrorKind kind) => kind switch
    {
        KlingErrorKind.Unauthorized => "Check the API key (KlingClientOptions.ApiKey or KIE_API_KEY); get one at https://kie.ai/api-key",
        KlingErrorKind.InsufficientCredits => "Top up the account's credits, then submit again",
        KlingErrorKind.NotFound => "Check the task id; a task just created can take a few seconds to become visible",
        KlingErrorKind.ValidationFailed => "Fix the request parameters named in the message; nothing was created",
        KlingErrorKind.RateLimited => "Slow down and retry later; nothing was created or charged",
        KlingErrorKind.SubKeyLimitExceeded => "Raise the sub-key's limit in the kie.ai console or use another key",
        KlingErrorKind.Maintenance => "The service is under maintenance; retry later, nothing was charged",
        KlingErrorKind.ServerError => "Retry later; for a createTask, check whether a task was created before submitting again",
        KlingErrorKind.GenerationFailed => "The generation failed and is final; submit a new task, perhaps with a changed prompt",
        KlingErrorKind.FeatureDisabled => "The feature is disabled for this account or model; contact kie.ai support",
        _ => "See the message; if it persists, report it with the code",
    };
}
