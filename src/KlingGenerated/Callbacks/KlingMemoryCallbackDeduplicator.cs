using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Internal;

namespace KlingGenerated;

/// <summary>
/// The in-process <see cref="IKlingCallbackDeduplicator"/>: an expiring, size-bounded <see cref="MemoryCache"/> of marks,
/// "in progress" for <see cref="InProgressTimeout"/> and "handled" for <see cref="Retention"/>, at most
/// <see cref="Capacity"/> of them, so a flood of distinct ids cannot exhaust memory (when full, a new id is handled
/// without being remembered: a flood can cause a repeat, never a lost callback). For several receiver instances use a
/// shared store (KlingGenerated.Redis).
/// </summary>
// CUSTOM: expiry and the size bound are Microsoft.Extensions.Caching.Memory's; this file adds only the two-phase marks.
public sealed class KlingMemoryCallbackDeduplicator : IKlingCallbackDeduplicator, IDisposable
{
    /// <summary>
    /// The default retention of a handled task id, 24 hours: far longer than the service's redelivery (3 retries of a
    /// failed delivery, see kie-api.md), and as long as a result URL lives.
    /// </summary>
    public static readonly TimeSpan DefaultRetention = TimeSpan.FromHours(24);

    /// <summary>
    /// The default life of an unconfirmed "in progress" mark, 10 seconds: under the 15 s the service waits for an answer,
    /// so a redelivery waiting on a crashed receiver's mark is still handled, and answered, in time.
    /// </summary>
    public static readonly TimeSpan DefaultInProgressTimeout = TimeSpan.FromSeconds(10);

    private static readonly TimeSpan LongestWait = TimeSpan.FromMilliseconds(100);
    private readonly MemoryCache _cache;
    private readonly TimeProvider _time;
    private readonly object _gate = new();

    /// <summary>Creates a deduplicator remembering up to <paramref name="capacity"/> ids for <paramref name="retention"/> (default 24 h).</summary>
    /// <param name="capacity">The most task ids remembered.</param>
    /// <param name="retention">How long a handled task id is remembered (default <see cref="DefaultRetention"/>).</param>
    /// <param name="inProgressTimeout">How long an unconfirmed mark lives (default <see cref="DefaultInProgressTimeout"/>).</param>
    /// <param name="timeProvider">The clock (default <see cref="TimeProvider.System"/>).</param>
    public KlingMemoryCallbackDeduplicator(int capacity = 100_000, TimeSpan? retention = null, TimeSpan? inProgressTimeout = null, TimeProvider? timeProvider = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        Retention = retention ?? DefaultRetention;
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(Retention, TimeSpan.Zero, nameof(retention));
        InProgressTimeout = inProgressTimeout ?? DefaultInProgressTimeout;
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(InProgressTimeout, TimeSpan.Zero, nameof(inProgressTimeout));
        Capacity = capacity;
        _time = timeProvider ?? TimeProvider.System;
        _cache = new MemoryCache(new MemoryCacheOptions { SizeLimit = capacity, CompactionPercentage = 0.1, Clock = new Clock(_time) });
    }

    /// <summary>The most task ids remembered.</summary>
    public int Capacity { get; }

    /// <summary>How long a handled task id is remembered.</summary>
    public TimeSpan Retention { get; }

    /// <summary>How long an unconfirmed "in progress" mark lives.</summary>
    public TimeSpan InProgressTimeout { get; }

    /// <summary>The task ids remembered now (in progress or handled).</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                _cache.Compact(0); // removes the expired marks only
                return _cache.Count;
            }
        }
    }

    /// <inheritdoc />
    public async ValueTask<bool> TryBeginAsync(string taskId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(taskId);
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Task released;
            TimeSpan wait;
            lock (_gate)
            {
                if (!_cache.TryGetValue(taskId, out Mark? mark) || mark is null)
                {
                    Set(taskId, new Mark(Handled: false, _time.GetUtcNow() + InProgressTimeout), InProgressTimeout);
                    return true;
                }

                if (mark.Handled)
                {
                    return false;
                }

                // Another delivery holds it: wait for its confirmation, its release or its expiry.
                released = mark.Released.Task;
                wait = mark.ExpiresAt - _time.GetUtcNow();
                wait = wait <= TimeSpan.Zero ? TimeSpan.FromMilliseconds(1) : wait < LongestWait ? wait : LongestWait;
            }

            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            await Task.WhenAny(released, Task.Delay(wait, _time, stop.Token)).ConfigureAwait(false);
            await stop.CancelAsync().ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public ValueTask ConfirmAsync(string taskId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(taskId);
        lock (_gate)
        {
            var previous = _cache.Get<Mark>(taskId);
            Set(taskId, new Mark(Handled: true, _time.GetUtcNow() + Retention), Retention);
            previous?.Released.TrySetResult();
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask ForgetAsync(string taskId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(taskId);
        lock (_gate)
        {
            var previous = _cache.Get<Mark>(taskId);
            _cache.Remove(taskId);
            previous?.Released.TrySetResult();
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public void Dispose() => _cache.Dispose();

    private void Set(string taskId, Mark mark, TimeSpan life) =>
        _cache.Set(taskId, mark, new MemoryCacheEntryOptions { AbsoluteExpirationRelativeToNow = life, Size = 1 });

    private sealed record Mark(bool Handled, DateTimeOffset ExpiresAt)
    {
        public TaskCompletionSource Released { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

#pragma warning disable CS0618 // MemoryCacheOptions takes its clock only as ISystemClock
    private sealed class Clock(TimeProvider time) : ISystemClock
    {
        public DateTimeOffset UtcNow => time.GetUtcNow();
    }
#pragma warning restore CS0618
}
