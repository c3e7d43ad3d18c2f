using System.Threading.RateLimiting;

namespace KlingGenerated;

/// <summary>
/// Paces createTask to the service's limit, so a burst waits on the client instead of getting 429s. A create counts from
/// the latest moment it can reach the service: while its attempt is in flight it blocks a slot, and when the attempt ends
/// (the pipeline disposes the lease) it counts from that moment. A new permit is granted only while fewer than
/// <see cref="KlingResilienceOptions.CreateTaskPermitLimit"/> creates count within the last
/// <see cref="KlingResilienceOptions.CreateTaskWindow"/> plus <see cref="KlingResilienceOptions.CreateTaskPacingMargin"/>,
/// so no window at the service can hold more, however late each create arrived. Waiters are served first come, first served.
/// One pacer per API key: <c>AddKlingClient</c> registers one per service provider and shares it between handlers.
/// </summary>
/// <remarks>
/// Hand-written rather than System.Threading.RateLimiting's <c>SlidingWindowRateLimiter</c>: that limiter counts a permit
/// from its grant, so a create that reaches the service late (a cold connection, a busy host) meets the next window's
/// burst there (429s at a cold start), and its segments force a stretched window (about 86 % of the limit at best).
/// Measured with benchmarks/batch-throughput/run.sh; the figures are in docs/performance.md. It is the rule
/// KlingGenerated.Redis's pacer applies across processes, here in one process, where the end of an attempt is known exactly.
/// </remarks>
public sealed class KlingCreateTaskPacer : IKlingCreateTaskPacer, IDisposable
{
    private readonly object _gate = new();
    private readonly int _limit;
    private readonly long _window;
    private readonly long _inFlightBound;
    private readonly TimeProvider _time;
    private readonly List<Permit> _log = [];
    private readonly LinkedList<Waiter> _waiters = new();
    private readonly ITimer? _timer;
    private bool _disposed;

    /// <summary>Creates a pacer for <paramref name="options"/>' limit; a limit of 0 paces nothing.</summary>
    /// <param name="options">The limit, its window and margin, and the attempt timeout (how long a create may be in flight).</param>
    /// <param name="timeProvider">The clock (default <see cref="TimeProvider.System"/>).</param>
    public KlingCreateTaskPacer(KlingResilienceOptions options, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _time = timeProvider ?? TimeProvider.System;
        _limit = options.CreateTaskPermitLimit;
        _window = Ticks(options.CreateTaskWindow + options.CreateTaskPacingMargin);
        _inFlightBound = Ticks(options.AttemptTimeout);
        if (_limit > 0)
        {
            _timer = _time.CreateTimer(static state => ((KlingCreateTaskPacer)state!).Pump(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        }
    }

    internal static ValueTask<RateLimitLease> NoWait => ValueTask.FromResult<RateLimitLease>(Unpaced.Instance);

    /// <summary>Waits for a permit to create one task; dispose the lease when the attempt has ended.</summary>
    public ValueTask<RateLimitLease> AcquireAsync(CancellationToken cancellationToken)
    {
        if (_limit == 0)
        {
            return NoWait;
        }

        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<RateLimitLease>(cancellationToken);
        }

        var waiter = new Waiter();
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            waiter.Node = _waiters.AddLast(waiter);
        }

        if (cancellationToken.CanBeCanceled)
        {
            waiter.Registration = cancellationToken.Register(static state =>
            {
                var (pacer, waiter, token) = ((KlingCreateTaskPacer, Waiter, CancellationToken))state!;
                lock (pacer._gate)
                {
                    if (waiter.Node is null)
                    {
                        return; // already granted
                    }

                    pacer._waiters.Remove(waiter.Node);
                }

                waiter.Completion.TrySetCanceled(token);
            }, (this, waiter, cancellationToken));
        }

        Pump();
        return new ValueTask<RateLimitLease>(waiter.Completion.Task);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        List<Waiter> pending;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            pending = [.. _waiters];
            _waiters.Clear();
        }

        _timer?.Dispose();
        foreach (var waiter in pending)
        {
            waiter.Registration.Dispose();
            waiter.Completion.TrySetException(new ObjectDisposedException(nameof(KlingCreateTaskPacer)));
        }
    }

    /// <summary>Grants permits to the waiters in order while the window has room, then sets the timer for the next free slot.</summary>
    private void Pump()
    {
        List<(Waiter Waiter, Permit Permit)>? granted = null;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            var now = _time.GetTimestamp();
            // A create no longer counts once the latest moment it could have reached the service is a window ago.
            _log.RemoveAll(p => p.Latest <= now - _window);
            while (_waiters.First is { } first && _log.Count < _limit)
            {
                _waiters.RemoveFirst();
                first.Value.Node = null;
                // In flight, it may reach the service until its attempt times out; ending the attempt lowers that.
                var permit = new Permit(this, now + _inFlightBound);
                _log.Add(permit);
                (granted ??= []).Add((first.Value, permit));
            }

            if (_waiters.Count > 0)
            {
                // The earliest slot frees when the lowest-counted create leaves the window; an attempt that ends sooner pumps itself.
                var next = _log.Min(p => p.Latest) + _window - now;
                _timer!.Change(TimeSpan.FromTicks(Math.Max(TimeSpan.TicksPerMillisecond, (long)Math.Ceiling(next * (double)TimeSpan.TicksPerSecond / _time.TimestampFrequency))), Timeout.InfiniteTimeSpan);
            }
        }

        foreach (var (waiter, permit) in granted ?? [])
        {
            waiter.Registration.Dispose();
            if (!waiter.Completion.TrySetResult(permit))
            {
                permit.Dispose(); // cancelled at the same moment: the permit was never used (it still counts, which is safe)
            }
        }
    }

    private void Ended(Permit permit)
    {
        lock (_gate)
        {
            var now = _time.GetTimestamp();
            if (now < permit.Latest)
            {
                permit.Latest = now;
            }
        }

        Pump();
    }

    private long Ticks(TimeSpan span) => (long)(span.TotalSeconds * _time.TimestampFrequency);

    private sealed class Waiter
    {
        public TaskCompletionSource<RateLimitLease> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public LinkedListNode<Waiter>? Node { get; set; }

        public CancellationTokenRegistration Registration { get; set; }
    }

    private sealed class Permit(KlingCreateTaskPacer pacer, long latest) : RateLimitLease
    {
        private int _disposed;

        /// <summary>The latest moment (the pacer's timestamp) this create can reach the service.</summary>
        public long Latest { get; set; } = latest;

        public override bool IsAcquired => true;

        public override IEnumerable<string> MetadataNames => [];

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            metadata = null;
            return false;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing && Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                pacer.Ended(this);
            }

            base.Dispose(disposing);
        }
    }

    private sealed class Unpaced : RateLimitLease
    {
        public static readonly Unpaced Instance = new();

        public override bool IsAcquired => true;

        public override IEnumerable<string> MetadataNames => [];

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            metadata = null;
            return false;
        }
    }
}
