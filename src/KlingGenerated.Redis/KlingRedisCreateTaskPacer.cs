using System.Security.Cryptography;
using System.Text;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace KlingGenerated.Redis;

/// <summary>
/// Paces createTask for every process on one API key: a sliding-window log in Redis, so no window of
/// <see cref="KlingResilienceOptions.CreateTaskWindow"/> (plus the jitter margin) ever holds more than
/// <see cref="KlingResilienceOptions.CreateTaskPermitLimit"/> permits, whichever process took them.
/// A full window waits (it does not fail) for the earliest free slot, within the call's total timeout.
/// </summary>
/// <remarks>
/// Why StackExchange.Redis and a script rather than the RedisRateLimiting package: its window limiters reject at once
/// without queueing (its issue #202) and its synchronous AttemptAcquire always fails (#66), so waiting on it would mean
/// polling it blind; this script says when the earliest slot frees. A token bucket is not an option either: it
/// lets a full bucket plus a window's refill through in one window. The log below is exact: the script reads the clock
/// with Redis's own TIME, so the hosts' clocks never enter, and trims, counts and adds atomically.
/// </remarks>
public sealed class KlingRedisCreateTaskPacer : IKlingCreateTaskPacer, IDisposable
{
    // KEYS[1]: the account's log, a sorted set of permits scored by the latest moment (Redis time, µs) their create can
    // reach the service. ARGV[1]: the window in µs; ARGV[2]: the limit; ARGV[3]: a unique member for this permit;
    // ARGV[4]: how long an attempt may be in flight, in µs. A new permit is scored as if it arrived at the end of that
    // (its attempt is unfinished, so that is all that is known); the lease lowers it when the attempt ends.
    // Returns {1, now} with the permit recorded, or {0, µs until the lowest-scored permit leaves the window, 1 when that
    // permit is still in flight (its score can still move down, so the wait is an upper bound)}.
    private const string AcquireScript = """
        if redis.replicate_commands then redis.replicate_commands() end
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
        local window = tonumber(ARGV[1])
        local limit = tonumber(ARGV[2])
        local inflight = tonumber(ARGV[4])
        redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
        if redis.call('ZCARD', KEYS[1]) < limit then
          redis.call('ZADD', KEYS[1], now + inflight, ARGV[3])
          redis.call('PEXPIRE', KEYS[1], math.ceil((window + inflight) / 1000) + 1000)
          return {1, now}
        end
        local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
        local score = tonumber(oldest[2])
        local inflight_oldest = 0
        if score > now then inflight_oldest = 1 end
        return {0, score + window - now, inflight_oldest}
        """;

    // KEYS[1]: the log; ARGV[1]: a permit; ARGV[2]: its new score. Moves a permit still in the log, and only earlier
    // (as ZADD XX LT would, on Redis older than 6.2 too).
    private const string LowerScript = """
        local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
        if score and tonumber(ARGV[2]) < tonumber(score) then redis.call('ZADD', KEYS[1], 'XX', ARGV[2], ARGV[1]) end
        return 0
        """;

    private static readonly Action<ILogger, string, Exception?> LogFallback = LoggerMessage.Define<string>(LogLevel.Warning, new EventId(1, "RedisPacingFallback"),
        "Redis is unreachable for createTask pacing ({Reason}); pacing with this process's own pacer until it is back. Other processes on the same API key are not counted meanwhile, so the service may answer 429, which is retried.");

    private static readonly Action<ILogger, Exception?> LogRecovered = LoggerMessage.Define(LogLevel.Information, new EventId(2, "RedisPacingRecovered"),
        "Redis is reachable again; createTask pacing is shared across processes again.");

    private static readonly TimeSpan InFlightPoll = TimeSpan.FromMilliseconds(20);

    private readonly IConnectionMultiplexer _redis;
    private readonly RedisKey _key;
    private readonly long _windowMicros;
    private readonly long _inFlightMicros;
    private readonly int _limit;
    private readonly KlingRedisPacingOptions _options;
    private readonly IKlingCreateTaskPacer _fallback;
    private readonly bool _ownsFallback;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _head = new(1, 1);
    private int _degraded;

    /// <summary>
    /// Creates a pacer for the account of <paramref name="apiKey"/>, with the limit and window of <paramref name="resilience"/>
    /// (the window stretched by its jitter margin, as the local pacer does).
    /// </summary>
    /// <param name="redis">The connection; best made with <c>AbortOnConnectFail = false</c> so it reconnects by itself.</param>
    /// <param name="apiKey">The API key; only a keyed hash of it names the Redis key.</param>
    /// <param name="resilience">The limit, window and margin.</param>
    /// <param name="options">Key prefix, Redis timeout and what to do when Redis is unreachable.</param>
    /// <param name="fallback">The pacer used while Redis is unreachable (default: a new <see cref="KlingCreateTaskPacer"/>).</param>
    /// <param name="logger">Where the fallback warning goes.</param>
    /// <param name="timeProvider">The timer for the waits (the window's clock is Redis's).</param>
    public KlingRedisCreateTaskPacer(IConnectionMultiplexer redis, string apiKey, KlingResilienceOptions resilience, KlingRedisPacingOptions? options = null,
        IKlingCreateTaskPacer? fallback = null, ILogger? logger = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(redis);
        ArgumentException.ThrowIfNullOrEmpty(apiKey);
        ArgumentNullException.ThrowIfNull(resilience);
        _options = options?.Clone() ?? new KlingRedisPacingOptions();
        _options.Validate();
        _redis = redis;
        _key = _options.KeyPrefix + "pacing:" + AccountHash(apiKey);
        _limit = resilience.CreateTaskPermitLimit;
        _windowMicros = (resilience.CreateTaskWindow + resilience.CreateTaskPacingMargin).Ticks / 10;
        _inFlightMicros = (resilience.AttemptTimeout + _options.RedisTimeout).Ticks / 10;
        _ownsFallback = fallback is null;
        _fallback = fallback ?? new KlingCreateTaskPacer(resilience);
        _logger = logger ?? NullLogger.Instance;
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>The Redis key of the account's log: the prefix and a keyed SHA-256 of the API key.</summary>
    public string Key => _key!;

    /// <summary>The account's name in Redis: HMAC-SHA256 of the API key under a fixed label, so the key is neither stored nor guessable from it.</summary>
    internal static string AccountHash(string apiKey) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes("KlingGenerated.Redis account"), Encoding.UTF8.GetBytes(apiKey)));

    /// <inheritdoc />
    public async ValueTask<RateLimitLease> AcquireAsync(CancellationToken cancellationToken)
    {
        if (_limit == 0)
        {
            return await _fallback.AcquireAsync(cancellationToken).ConfigureAwait(false);
        }

        Exception? unreachable;
        // One waiter per process asks Redis at a time; the others queue here in order, so a busy process does not
        // flood Redis with polls while the window is full.
        await _head.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            while (true)
            {
                var (acquired, wait, failure) = await TryAcquireAsync(cancellationToken).ConfigureAwait(false);
                if (failure is not null)
                {
                    unreachable = failure;
                    break;
                }

                if (acquired is { } permit)
                {
                    if (Interlocked.Exchange(ref _degraded, 0) == 1)
                    {
                        LogRecovered(_logger, null);
                    }

                    return permit;
                }

                await Task.Delay(wait, _time, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            _head.Release();
        }

        if (_options.WhenUnavailable == RedisUnavailableMode.Fail)
        {
            throw new KlingRedisPacingException(
                $"createTask was not sent: the shared createTask pacer in Redis {RedisFailure.Describe(unreachable, _options.KeyPrefix)}. Nothing was created. " +
                "Then submit again; or set KlingRedisPacingOptions.WhenUnavailable to FallBackToLocalPacer.", unreachable);
        }

        if (Interlocked.Exchange(ref _degraded, 1) == 0)
        {
            LogFallback(_logger, unreachable.Message, null);
        }

        return await _fallback.AcquireAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _head.Dispose();
        if (_ownsFallback && _fallback is IDisposable fallback)
        {
            fallback.Dispose();
        }
    }

    private async Task<(Permit? Acquired, TimeSpan Wait, Exception? Failure)> TryAcquireAsync(CancellationToken cancellationToken)
    {
        if (!_redis.IsConnected && _options.WhenUnavailable != RedisUnavailableMode.Fail)
        {
            // A disconnected multiplexer would hold the command in its backlog until its own timeout; do not wait for that
            // on every createTask. When the failure is reported instead, the command is sent so its failure says why
            // (a refused password is not "unreachable"): a fail-fast connection answers at once, others within RedisTimeout.
            return (null, TimeSpan.Zero, new RedisConnectionException(ConnectionFailureType.UnableToConnect, "not connected"));
        }

        RedisResult result;
        var member = Guid.NewGuid().ToString("N");
        var asked = _time.GetTimestamp(); // before the grant: the attempt's duration is counted from here
        try
        {
            result = await _redis.GetDatabase()
                .ScriptEvaluateAsync(AcquireScript, [_key], [_windowMicros, _limit, member, _inFlightMicros])
                .WaitAsync(_options.RedisTimeout, _time, cancellationToken).ConfigureAwait(false);
        }
        // A cancellation nobody asked for is Redis failing too: a command in flight when the connection dies can end as
        // TaskCanceledException rather than RedisConnectionException; it must not escape the library raw.
        catch (Exception exception) when (exception is RedisException or TimeoutException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return (null, TimeSpan.Zero, exception);
        }

        var values = (RedisResult[])result!;
        if ((long)values[0] == 1)
        {
            return (new Permit(this, member, (long)values[1], asked), TimeSpan.Zero, null);
        }

        // Wake when the oldest permit leaves the window (at least 1 ms, so a rounding never spins). While that permit's
        // attempt is still in flight its score is only an upper bound, so look again soon.
        var wait = TimeSpan.FromTicks(Math.Max(10_000, (long)values[1] * 10));
        return (null, (long)values[2] == 1 && wait > InFlightPoll ? InFlightPoll : wait, null);
    }

    /// <summary>
    /// A permit in the log. The window is about when a create reaches the service, which lies between the grant and the
    /// end of the attempt; a cold connection or a busy host can put hundreds of milliseconds between them. The permit
    /// entered the log at the latest moment its attempt could end; when the attempt ends (the pipeline disposes the
    /// lease) it moves down to the grant's Redis time plus the attempt's duration, measured as a duration on this host
    /// from before the grant (no clock is compared). If this process dies first, the permit keeps the later score.
    /// </summary>
    private sealed class Permit(KlingRedisCreateTaskPacer pacer, string member, long grantedAtMicros, long askedAt) : RateLimitLease
    {
        private int _disposed;

        public override bool IsAcquired => true;

        protected override void Dispose(bool disposing)
        {
            if (disposing && Interlocked.Exchange(ref _disposed, 1) == 0 && pacer._redis.IsConnected)
            {
                var latest = grantedAtMicros + pacer._time.GetElapsedTime(askedAt).Ticks / 10;
                pacer._redis.GetDatabase().ScriptEvaluate(LowerScript, [pacer._key], [member, latest], CommandFlags.FireAndForget);
            }

            base.Dispose(disposing);
        }

        public override IEnumerable<string> MetadataNames => [];

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            metadata = null;
            return false;
        }
    }
}
