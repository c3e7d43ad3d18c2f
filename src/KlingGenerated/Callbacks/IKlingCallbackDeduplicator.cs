namespace KlingGenerated;

/// <summary>
/// Tells the first delivery of a task's callback from the repeats: the service can deliver one task more than once,
/// and a retry can reach another instance of the receiver. <see cref="KlingMemoryCallbackDeduplicator"/> serves one
/// process; KlingGenerated.Redis's <c>KlingRedisCallbackDeduplicator</c> serves several.
/// </summary>
public interface IKlingCallbackDeduplicator
{
    /// <summary>
    /// Records <paramref name="taskId"/> and returns true the first time it is seen within the retention; false for a
    /// repeat. Call it after verifying the callback, so forged ones cannot mark a task as seen.
    /// </summary>
    ValueTask<bool> TryBeginAsync(string taskId, CancellationToken cancellationToken = default);

    /// <summary>Forgets <paramref name="taskId"/>, so a redelivery is handled again: call it when handling the first delivery failed.</summary>
    ValueTask ForgetAsync(string taskId, CancellationToken cancellationToken = default);
}
