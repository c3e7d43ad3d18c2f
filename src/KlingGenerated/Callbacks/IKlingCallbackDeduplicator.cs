namespace KlingGenerated;

/// <summary>
/// Tells the first delivery of a task's callback from the repeats, without ever losing one: the service can deliver one
/// task more than once, and a retry can reach another instance of the receiver. Marking takes two steps: <see cref="TryBeginAsync"/>
/// sets a short-lived "in progress" mark, and <see cref="ConfirmAsync"/> turns it into a lasting "handled" mark once the
/// receiver's work is accepted. A delivery that finds a mark that was never confirmed (its receiver crashed, answered an
/// error, or its mark landed after it gave up on a stalled store) is handled once that mark expires or is released.
/// <see cref="KlingMemoryCallbackDeduplicator"/> serves one process; KlingGenerated.Redis's <c>KlingRedisCallbackDeduplicator</c> serves several.
/// </summary>
public interface IKlingCallbackDeduplicator
{
    /// <summary>
    /// True when this delivery should be handled: no delivery of <paramref name="taskId"/> was confirmed, and this one now
    /// holds the in-progress mark (call <see cref="ConfirmAsync"/> once the work is accepted, or <see cref="ForgetAsync"/>
    /// if it failed). False when a delivery of it was already confirmed: answer success without handling it again.
    /// While another delivery holds an unconfirmed mark, it waits (within <paramref name="cancellationToken"/>) until that
    /// one is confirmed (false), released or expired (true). Call it after verifying the callback, so forged ones cannot
    /// mark a task. When it throws, answer the callback with an error so the service delivers it again.
    /// </summary>
    ValueTask<bool> TryBeginAsync(string taskId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Marks <paramref name="taskId"/> as handled for the retention: call it once the receiver's work is accepted (queued
    /// or done). Until then, a crash or a failure never makes a redelivery look like a repeat.
    /// </summary>
    ValueTask ConfirmAsync(string taskId, CancellationToken cancellationToken = default);

    /// <summary>Forgets <paramref name="taskId"/>, so a redelivery is handled again at once: call it when handling a delivery failed.</summary>
    ValueTask ForgetAsync(string taskId, CancellationToken cancellationToken = default);
}
