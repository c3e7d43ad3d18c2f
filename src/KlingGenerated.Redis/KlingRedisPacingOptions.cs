namespace KlingGenerated.Redis;

/// <summary>What <see cref="KlingRedisCreateTaskPacer"/> does when Redis cannot be reached.</summary>
public enum RedisUnavailableMode
{
    /// <summary>
    /// Pace with this process's own pacer and log a warning (the default). Calls go on; with several processes the
    /// account may then see 429s, which the pipeline retries (nothing was created by them).
    /// </summary>
    FallBackToLocalPacer,

    /// <summary>Fail the createTask before sending it, with <see cref="KlingRedisPacingException"/>: nothing is created.</summary>
    Fail,
}

/// <summary>Options of the createTask pacing shared through Redis. The limit and window come from <see cref="KlingResilienceOptions"/>.</summary>
public sealed class KlingRedisPacingOptions
{
    /// <summary>The prefix of the Redis keys (default <c>kling:</c>). The key is this, <c>pacing:</c> and a hash of the API key; the key itself never reaches Redis.</summary>
    public string KeyPrefix { get; set; } = "kling:";

    /// <summary>What to do when Redis cannot be reached (default: fall back to the local pacer, with a logged warning).</summary>
    public RedisUnavailableMode WhenUnavailable { get; set; } = RedisUnavailableMode.FallBackToLocalPacer;

    /// <summary>How long one Redis round trip may take before Redis counts as unreachable for that attempt (default 2 s).</summary>
    public TimeSpan RedisTimeout { get; set; } = TimeSpan.FromSeconds(2);

    internal KlingRedisPacingOptions Clone() => (KlingRedisPacingOptions)MemberwiseClone();

    internal void Validate()
    {
        if (string.IsNullOrEmpty(KeyPrefix) || RedisTimeout <= TimeSpan.Zero || !Enum.IsDefined(WhenUnavailable))
        {
            throw new ArgumentException($"Invalid Redis pacing options: KeyPrefix must not be empty, RedisTimeout ({RedisTimeout}) must be positive and WhenUnavailable ({WhenUnavailable}) one of {string.Join(", ", Enum.GetNames<RedisUnavailableMode>())}.");
        }
    }
}

/// <summary>createTask was not sent because the shared pacer in Redis could not be reached (<see cref="RedisUnavailableMode.Fail"/>). Nothing was created.</summary>
public sealed class KlingRedisPacingException : Exception
{
    /// <summary>Creates the exception.</summary>
    public KlingRedisPacingException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
