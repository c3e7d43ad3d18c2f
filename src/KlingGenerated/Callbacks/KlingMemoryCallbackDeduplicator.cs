namespace KlingGenerated;

/// <summary>
/// The in-process <see cref="IKlingCallbackDeduplicator"/>: remembers task ids for <see cref="Retention"/> and at most
/// <see cref="Capacity"/> of them (the oldest go first), so a flood of distinct ids cannot exhaust memory.
/// For several receiver instances use a shared store (KlingGenerated.Redis).
/// </summary>
public sealed class KlingMemoryCallbackDeduplicator : IKlingCallbackDeduplicator
{
    /// <summary>
    /// The default retention, 24 hours: far longer than the service's redelivery (3 retries of a failed delivery,
    /// see kie-api.md), and as long as a result URL lives.
    /// </summary>
    public static readonly TimeSpan DefaultRetention = TimeSpan.FromHours(24);

    private readonly Dictionary<string, long> _expiries = new(StringComparer.Ordinal);
    private readonly Queue<(string TaskId, long ExpiresAt)> _order = new();
    private readonly TimeProvider _time;

    /// <summary>Creates a deduplicator remembering up to <paramref name="capacity"/> ids for <paramref name="retention"/> (default 24 h).</summary>
    public KlingMemoryCallbackDeduplicator(int capacity = 100_000, TimeSpan? retention = null, TimeProvider? timeProvider = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        Retention = retention ?? DefaultRetention;
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(Retention, TimeSpan.Zero, nameof(retention));
        Capacity = capacity;
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>The most task ids remembered; beyond it the oldest is forgotten.</summary>
    public int Capacity { get; }

    /// <summary>How long a task id is remembered.</summary>
    public TimeSpan Retention { get; }

    /// <summary>The task ids remembered now.</summary>
    public int Count
    {
        get
        {
            lock (_expiries)
            {
                Expire(_time.GetTimestamp());
                return _expiries.Count;
            }
        }
    }

    /// <inheritdoc />
    public ValueTask<bool> TryBeginAsync(string taskId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(taskId);
        cancellationToken.ThrowIfCancellationRequested();
        var now = _time.GetTimestamp();
        lock (_expiries)
        {
            Expire(now);
            if (_expiries.ContainsKey(taskId))
            {
                return ValueTask.FromResult(false);
            }

            while (_expiries.Count >= Capacity && _order.TryDequeue(out var oldest))
            {
                if (_expiries.TryGetValue(oldest.TaskId, out var expiresAt) && expiresAt == oldest.ExpiresAt)
                {
                    _expiries.Remove(oldest.TaskId);
                }
            }

            var expires = now + (long)(Retention.TotalSeconds * _time.TimestampFrequency);
            _expiries[taskId] = expires;
            _order.Enqueue((taskId, expires));
            return ValueTask.FromResult(true);
        }
    }

    /// <inheritdoc />
    public ValueTask ForgetAsync(string taskId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(taskId);
        lock (_expiries)
        {
            _expiries.Remove(taskId); // its queue entry no longer matches and is skipped when it comes up
        }

        return ValueTask.CompletedTask;
    }

    private void Expire(long now)
    {
        while (_order.TryPeek(out var oldest) && oldest.ExpiresAt <= now)
        {
            _order.Dequeue();
            if (_expiries.TryGetValue(oldest.TaskId, out var expiresAt) && expiresAt == oldest.ExpiresAt)
            {
                _expiries.Remove(oldest.TaskId);
            }
        }

        // Forgotten ids leave stale queue entries; compact when they outnumber the live ones.
        if (_order.Count > 2 * Capacity)
        {
            var live = _order.Where(e => _expiries.TryGetValue(e.TaskId, out var x) && x == e.ExpiresAt).ToArray();
            _order.Clear();
            foreach (var entry in live)
            {
                _order.Enqueue(entry);
            }
        }
    }
}
