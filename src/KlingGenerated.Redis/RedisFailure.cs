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
            // Not the client's diagnostic text: it is long, and the failure type already says all the user can act on.
            return "refused the credentials (authentication failed). Check the password (and user) in the Redis connection string";
        }

        if (ErrorCode(failure) == "WRONGTYPE")
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
            if (e is RedisConnectionException { FailureType: ConnectionFailureType.AuthenticationFailure } || ErrorCode(e) is "NOAUTH" or "WRONGPASS")
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The error code of a Redis error reply: by the protocol, its first word (WRONGTYPE, NOAUTH, ...); null for other failures.</summary>
    private static string? ErrorCode(Exception failure) =>
        failure is RedisServerException ? failure.Message.Split(' ', 2)[0] : null;
}
