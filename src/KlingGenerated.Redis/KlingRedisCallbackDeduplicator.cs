using System.Security.Cryptography;
using System.Text;
using StackExchange.Redis;

namespace KlingGenerated.Redis;

/// <summary>
/// The <see cref="IKlingCallbackDeduplicator"/> for several receiver instances, in Redis: <see cref="TryBeginAsync"/> sets
/// a short-lived "in progress" mark only where there is none (atomically, in a script), <see cref="ConfirmAsync"/>
/// replaces it with a "handled" mark kept for <see cref="Retention"/>. So exactly one instance handles a delivery at a
/// time, and a callback is never dropped because of a mark its handler did not confirm: when Redis stalls and the
/// begin times out, the receiver answers an error, and the mark that lands late is released right behind it (or expires
/// after <see cref="InProgressTimeout"/>); when a receiver crashes before confirming, its mark expires the same way.
/// </summary>
public sealed class KlingRedisCallbackDeduplicator : IKlingCallbackDeduplicator
{
    private const string Handled = "handled";

    // KEYS[1]: the task's mark; ARGV[1]: this delivery's in-progress value; ARGV[2]: its life in ms.
    // Returns 1 when the mark was set (handle it), 0 when the task was handled, or -(ms left) of another delivery's mark.
    private const string BeginScript = """
        local v = redis.call('GET', KEYS[1])
        if not v then
          redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
          return 1
        end
        if v == 'handled' then return 0 end
        local left = redis.call('PTTL', KEYS[1])
        if left < 1 then left = 1 end
        return -left
        """;

    // KEYS[1]: the mark; ARGV[1]: an in-progress value. Deletes the mark only if it is still that one.
    private const string ReleaseScript = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
        return 0
        """;

    private static readonly TimeSpan LongestWait = TimeSpan.FromMilliseconds(100);
    private readonly IConnectionMultiplexer _redis;
    private readonly string _prefix;

    /// <summary>Creates the deduplicator; handled task ids are remembered for <paramref name="retention"/> (default 24 h, far beyond the service's redelivery).</summary>
    /// <param name="redis">The connection.</param>
    /// <param name="retention">How long a handled task id is remembered (default <see cref="KlingMemoryCallbackDeduplicator.DefaultRetention"/>).</param>
    /// <param name="keyPrefix">The prefix of the Redis keys (default <c>kling:</c>).</param>
    /// <param name="inProgressTimeout">How long an unconfirmed mark lives (default <see cref="KlingMemoryCallbackDeduplicator.DefaultInProgressTimeout"/>).</param>
    public KlingRedisCallbackDeduplicator(IConnectionMultiplexer redis, TimeSpan? retention = null, string keyPrefix = "kling:", TimeSpan? inProgressTimeout = null)
    {
        ArgumentNullException.ThrowIfNull(redis);
        ArgumentException.ThrowIfNullOrEmpty(keyPrefix);
        Retention = retention ?? KlingMemoryCallbackDeduplicator.DefaultRetention;
        ArgumentOutOfRangeException.ThrowIfLessThan(Retention, TimeSpan.FromMilliseconds(1), nameof(retention));
        InProgressTimeout = inProgressTimeout ?? KlingMemoryCallbackDeduplicator.DefaultInProgressTimeout;
        ArgumentOutOfRangeException.ThrowIfLessThan(InProgressTimeout, TimeSpan.FromMilliseconds(1), nameof(inProgressTimeout));
        _redis = redis;
        _prefix = keyPrefix + "callback:";
    }

    /// <summary>How long a handled task id is remembered.</summary>
    public TimeSpan Retention { get; }

    /// <summary>How long an unconfirmed "in progress" mark lives.</summary>
    public TimeSpan InProgressTimeout { get; }

    /// <inheritdoc />
    /// <remarks>Throws <see cref="RedisException"/> (or <see cref="OperationCanceledException"/>) when Redis cannot be reached in time: answer the callback with an error so the service delivers it again.</remarks>
    public async ValueTask<bool> TryBeginAsync(string taskId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(taskId);
        var key = KeyOf(taskId);
        var mine = "in-progress:" + Guid.NewGuid().ToString("N");
        var life = (long)Math.Ceiling(InProgressTimeout.TotalMilliseconds);
        var database = _redis.GetDatabase();
        while (true)
        {
            long answer;
            try
            {
                answer = (long)await database.ScriptEvaluateAsync(BeginScript, [key], [mine, life]).WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception exception) when (exception is RedisException or OperationCanceledException or TimeoutException)
            {
                // The script may still run when Redis comes back (a stall): release the mark right behind it, on the same
                // connection, so the redelivery the error answer asks for is not turned away. If this is lost too, the mark expires.
                try
                {
                    database.ScriptEvaluate(ReleaseScript, [key], [mine], CommandFlags.FireAndForget);
                }
                catch (RedisException)
                {
                    // Not even queued: the mark expires after InProgressTimeout.
                }

                throw;
            }

            if (answer >= 0)
            {
                return answer == 1;
            }

            // Another delivery holds an unconfirmed mark: wait for its confirmation, its release or its expiry.
            var left = TimeSpan.FromMilliseconds(-answer);
            await Task.Delay(left < LongestWait ? left : LongestWait, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public async ValueTask ConfirmAsync(string taskId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(taskId);
        await _redis.GetDatabase().StringSetAsync(KeyOf(taskId), Handled, Retention).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask ForgetAsync(string taskId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(taskId);
        await _redis.GetDatabase().KeyDeleteAsync(KeyOf(taskId)).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    // The task id is the service's text: hashed, so no length or byte of it shapes the key.
    internal RedisKey KeyOf(string taskId) => _prefix + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(taskId)));
}
