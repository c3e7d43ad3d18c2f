using StackExchange.Redis;

namespace KlingGenerated.Redis;

/// <summary>Says what went wrong with Redis in the user's terms: a refused password or a key of another type is not "unreachable".</summary>
internal static class RedisFailure
{
    /// <summary>The middle of a sentence about the pacer, with the advice that fits: "could not be reached (…). Check …".</summary>
    public static string Describe(Exception failure, string keyPrefix)
    {
        var text = failure.Message;
        if (IsAuthentication(failure))
        {
            return $"refused the credentials ({text}). Check the password (and user) in the Redis connection string";
        }

        if (text.Contains("WRONGTYPE", StringComparison.Ordinal))
        {
            return $"answered WRONGTYPE ({text}): a key under the prefix '{keyPrefix}' holds another kind of value, so another program uses it. " +
                "Give the pacer a prefix of its own (KlingRedisPacingOptions.KeyPrefix) or remove those keys";
        }

        return $"could not be reached ({text}). Check that Redis is running and reachable";
    }

    private static bool IsAuthentication(Exception failure)
    {
        for (var e = failure; e is not null; e = e.InnerException)
        {
            if (e is RedisConnectionException { FailureType: ConnectionFailureType.AuthenticationFailure }
                || e.Message.Contains("NOAUTH", StringComparison.Ordinal) || e.Message.Contains("WRONGPASS", StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }
}
