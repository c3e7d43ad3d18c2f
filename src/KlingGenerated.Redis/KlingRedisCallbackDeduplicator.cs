using System.Security.Cryptography;
using System.Text;
using StackExchange.Redis;

namespace KlingGenerated.Redis;

/// <summary>
/// The <see cref="IKlingCallbackDeduplicator"/> for several receiver instances: <c>SET key 1 NX PX retention</c> in Redis,
/// so exactly one instance sees the first delivery of a task, however the service's retries are spread.
/// </summary>
public sealed class KlingRedisCallbackDeduplicator : IKlingCallbackDeduplicator
{
    private readonly IConnectionMultiplexer _redis;
    private readonly string _prefix;

    /// <summary>Creates the deduplicator; task ids are remembered for <paramref name="retention"/> (default 24 h, far beyond the service's redelivery).</summary>
    /// <param name="redis">The connection.</param>
    /// <param name="retention">How long a task id is remembered (default <see cref="KlingMemoryCallbackDeduplicator.DefaultRetention"/>).</param>
    /// <param name="keyPrefix">The prefix of the Redis keys (default <c>kling:</c>).</param>
    public KlingRedisCallbackDeduplicator(IConnectionMultiplexer redis, TimeSpan? retention = null, string keyPrefix = "kling:")
    {
        ArgumentNullException.ThrowIfNull(redis);
        ArgumentException.ThrowIfNullOrEmpty(keyPrefix);
        Retention = retention ?? KlingMemoryCallbackDeduplicator.DefaultRetention;
        ArgumentOutOfRangeException.ThrowIfLessThan(Retention, TimeSpan.FromMilliseconds(1), nameof(retention));
        _redis = redis;
        _prefix = keyPrefix + "callback:";
    }

    /// <summary>How long a task id is remembered.</summary>
    public TimeSpan Retention { get; }

    /// <inheritdoc />
    /// <remarks>Throws <see cref="RedisException"/> when Redis cannot be reached: answer the callback with an error so the service delivers it again.</remarks>
    public async ValueTask<bool> TryBeginAsync(string taskId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(taskId);
        return await _redis.GetDatabase().StringSetAsync(KeyOf(taskId), 1, Retention, When.NotExists).WaitAsync(cancellationToken).ConfigureAwait(false);
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
