namespace KlingGenerated;

/// <summary>
/// A wait for a task ran out of time (<see cref="KlingPollingOptions.Timeout"/>). The task was created and may still
/// finish: <see cref="TaskId"/> names it, so the caller can query it later instead of paying for a new one.
/// </summary>
// CUSTOM: a paid task id must survive a timeout as data, not only as text in a message.
public sealed class KlingTimeoutException : TimeoutException
{
    /// <summary>Creates the exception for a wait on <paramref name="taskId"/> that ran out of time.</summary>
    /// <param name="taskId">The task that was waited on.</param>
    /// <param name="lastState">The last state the service reported, or null when the task was not visible yet.</param>
    /// <param name="message">The message; it names the task and says what to do next.</param>
    public KlingTimeoutException(string taskId, string? lastState, string message)
        : base(message)
    {
        ArgumentException.ThrowIfNullOrEmpty(taskId);
        TaskId = taskId;
        LastState = lastState;
    }

    /// <summary>The task that did not end in time; it exists and may still finish.</summary>
    public string TaskId { get; }

    /// <summary>The last state the service reported (its raw text), or null when the task never became visible.</summary>
    public string? LastState { get; }
}
