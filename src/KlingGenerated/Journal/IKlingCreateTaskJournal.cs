namespace KlingGenerated;

/// <summary>
/// Told about every createTask a <see cref="KlingClient"/> makes: before it is sent, each time its body starts to leave,
/// and with its outcome (the task id, surely nothing, or "may exist"). Implement it to persist what you paid for (a
/// database row per submission, the CLI's task ledger); set it in <see cref="KlingClientOptions.CreateTaskJournal"/>, or
/// register it in the service collection before <c>AddKlingClient</c>.
/// </summary>
/// <remarks>
/// Calls for one submission come in order, never at once: <see cref="CreatingAsync"/> once, then
/// <see cref="SendingAsync"/> for each attempt whose body starts to leave (a retry after an answer that surely created
/// nothing sends again, and <see cref="RetryingAsync"/> comes between the two), then <see cref="CompletedAsync"/> once,
/// whatever happened, unless <see cref="CreatingAsync"/> threw. An exception from <see cref="CreatingAsync"/> or <see cref="SendingAsync"/> stops the submission before that
/// body leaves (nothing is created). An exception from <see cref="CompletedAsync"/> with a failure is not thrown: the
/// createTask's own failure is (its record then stays at "sending", the safe side). One after a task was created never loses
/// its id: the call then fails with a <see cref="KlingApiException"/> whose <see cref="KlingApiException.TaskId"/> names
/// the task and whose <see cref="KlingApiException.TaskMayExist"/> is true.
/// </remarks>
public interface IKlingCreateTaskJournal
{
    /// <summary>Before the createTask is paced or sent. Persist the request here; nothing has left yet.</summary>
    ValueTask CreatingAsync(KlingCreateTaskSubmission submission, CancellationToken cancellationToken);

    /// <summary>
    /// Just before the body of an attempt starts to leave, after pacing and the wait for a connection. From here on a task
    /// may exist until <see cref="CompletedAsync"/> says otherwise; commit that before returning.
    /// </summary>
    ValueTask SendingAsync(KlingCreateTaskSubmission submission, CancellationToken cancellationToken);

    /// <summary>
    /// After an attempt that was answered with "surely nothing created" (HTTP 429, body code 429 or 455) and will be sent
    /// again: told before the backoff and the wait for the next pacing permit, so a record need not say "on the wire"
    /// while nothing is. The next attempt calls <see cref="SendingAsync"/> again as its body starts to leave. An exception
    /// here is ignored (the record then stays at "sending", the safe side). The default does nothing.
    /// </summary>
    ValueTask RetryingAsync(KlingCreateTaskSubmission submission, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    /// <summary>With the outcome, once. Runs even when the caller cancelled (its token is then not passed on).</summary>
    ValueTask CompletedAsync(KlingCreateTaskSubmission submission, KlingCreateTaskOutcome outcome, CancellationToken cancellationToken);
}

/// <summary>One createTask as the journal sees it. The same instance is passed to every call about it.</summary>
public sealed class KlingCreateTaskSubmission
{
    private readonly Lock _gate = new();
    private bool _prevented;
    private int _attempts;

    internal KlingCreateTaskSubmission(VideoTaskRequest? request) => Request = request;

    /// <summary>The request being submitted: the instance passed to <c>CreateTaskAsync</c> (null only if the client was handed no body).</summary>
    public VideoTaskRequest? Request { get; }

    /// <summary>How many attempts' bodies started to leave so far; 0 means nothing was sent.</summary>
    public int Attempts
    {
        get
        {
            lock (_gate)
            {
                return _attempts;
            }
        }
    }

    /// <summary>True once any attempt's body started to leave: from then on a task may exist until the outcome says otherwise.</summary>
    public bool Sent => Attempts > 0;

    /// <summary>
    /// Makes sure no body of this submission leaves from now on, if none has yet: returns true when nothing was sent and
    /// nothing will be (the call then ends with <see cref="OperationCanceledException"/> and the outcome "surely nothing"),
    /// false when a body already started to leave (its answer is worth waiting for).
    /// </summary>
    public bool TryPreventSending()
    {
        lock (_gate)
        {
            if (_attempts > 0)
            {
                return false;
            }

            _prevented = true;
            return true;
        }
    }

    /// <summary>Takes back an attempt whose body did not leave after all (the journal refused it).</summary>
    internal void UndoAttempt()
    {
        lock (_gate)
        {
            _attempts--;
        }
    }

    /// <summary>Counts an attempt whose body starts to leave; throws when sending was prevented.</summary>
    internal void BeginAttempt()
    {
        lock (_gate)
        {
            if (_prevented)
            {
                throw new OperationCanceledException("The createTask was cancelled before it was sent; nothing was sent.");
            }

            _attempts++;
        }
    }
}

/// <summary>What became of one createTask: created (with its id), surely nothing, or a task may exist.</summary>
public sealed class KlingCreateTaskOutcome
{
    private KlingCreateTaskOutcome(string? taskId, bool taskMayExist, Exception? error)
    {
        TaskId = taskId;
        TaskMayExist = taskMayExist;
        Error = error;
    }

    /// <summary>The new task's id when the service created it; null otherwise.</summary>
    public string? TaskId { get; }

    /// <summary>True when the service created the task (<see cref="TaskId"/> names it).</summary>
    public bool Created => TaskId is not null;

    /// <summary>
    /// True when no task id came back but a task may have been created and charged (the same rule as
    /// <see cref="KlingApiException.TaskMayExist"/>); false when created or when surely nothing was created.
    /// </summary>
    public bool TaskMayExist { get; }

    /// <summary>True when surely no task was created: nothing was sent, or the service said so. Sending it again cannot pay twice.</summary>
    public bool SurelyNothingCreated => TaskId is null && !TaskMayExist;

    /// <summary>Why there is no task id: a <see cref="KlingApiException"/>, an <see cref="OperationCanceledException"/>, a validation error; null when created.</summary>
    public Exception? Error { get; }

    internal static KlingCreateTaskOutcome ForCreated(string taskId) => new(taskId, taskMayExist: false, error: null);

    internal static KlingCreateTaskOutcome ForFailure(Exception error, bool taskMayExist) => new(null, taskMayExist, error);
}
