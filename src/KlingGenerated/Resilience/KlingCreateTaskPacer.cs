using System.Threading.RateLimiting;

namespace KlingGenerated;

/// <summary>
/// Paces createTask to the service's limit with a sliding window, so a burst waits on the client instead of getting 429s.
/// One pacer per API key: <c>AddKlingClient</c> registers one per service provider and shares it between handlers.
/// </summary>
public sealed class KlingCreateTaskPacer : IKlingCreateTaskPacer, IDisposable
{
    private const int Segments = 10;
    private readonly RateLimiter? _limiter;

    /// <summary>Creates a pacer for <paramref name="options"/>' limit; a limit of 0 paces nothing.</summary>
    public KlingCreateTaskPacer(KlingResilienceOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (options.CreateTaskPermitLimit == 0)
        {
            return;
        }

        // A sliding window frees a permit (Segments - 1) to Segments segments after it was taken. Stretch the window
        // so even the earliest release comes a full service window (plus the jitter margin) after the acquire.
        var window = TimeSpan.FromTicks((long)((options.CreateTaskWindow + options.CreateTaskPacingMargin).Ticks * Segments / (double)(Segments - 1)));
        _limiter = new SlidingWindowRateLimiter(new SlidingWindowRateLimiterOptions
        {
            PermitLimit = options.CreateTaskPermitLimit,
            Window = window,
            SegmentsPerWindow = Segments,
            QueueLimit = int.MaxValue,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
            AutoReplenishment = true,
        });
    }

    internal static ValueTask<RateLimitLease> NoWait => ValueTask.FromResult<RateLimitLease>(Unpaced.Instance);

    /// <summary>Waits for a permit to create one task.</summary>
    public ValueTask<RateLimitLease> AcquireAsync(CancellationToken cancellationToken) =>
        _limiter?.AcquireAsync(1, cancellationToken) ?? NoWait;

    /// <inheritdoc />
    public void Dispose() => _limiter?.Dispose();

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
