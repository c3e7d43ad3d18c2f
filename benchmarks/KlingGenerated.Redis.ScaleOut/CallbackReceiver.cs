using StackExchange.Redis;

namespace KlingGenerated.Redis.ScaleOut;

/// <summary>
/// A callback receiver's de-duplication in its own process, for the crash test: for each task id read from stdin it calls
/// <see cref="KlingRedisCallbackDeduplicator.TryBeginAsync"/>, prints "handle ID" or "repeat ID", then does its "work":
/// it waits for a line "confirm" before confirming (the test kills it there, mid-callback).
/// Usage: callback-receiver REDIS_CONFIGURATION KEY_PREFIX IN_PROGRESS_MS
/// </summary>
public static class CallbackReceiver
{
    public static async Task<int> RunAsync(string[] args)
    {
        if (args is not [_, var configuration, var prefix, var inProgressMs])
        {
            Console.Error.WriteLine("usage: callback-receiver REDIS_CONFIGURATION KEY_PREFIX IN_PROGRESS_MS");
            return 2;
        }

        await using var redis = await ConnectionMultiplexer.ConnectAsync(configuration).ConfigureAwait(false);
        var seen = new KlingRedisCallbackDeduplicator(redis, keyPrefix: prefix, inProgressTimeout: TimeSpan.FromMilliseconds(int.Parse(inProgressMs, System.Globalization.CultureInfo.InvariantCulture)));
        Console.WriteLine("ready");
        while (await Console.In.ReadLineAsync().ConfigureAwait(false) is { } taskId)
        {
            if (!await seen.TryBeginAsync(taskId).ConfigureAwait(false))
            {
                Console.WriteLine($"repeat {taskId}");
                continue;
            }

            Console.WriteLine($"handle {taskId}");
            if (await Console.In.ReadLineAsync().ConfigureAwait(false) != "confirm")
            {
                return 1;
            }

            await seen.ConfirmAsync(taskId).ConfigureAwait(false);
            Console.WriteLine($"confirmed {taskId}");
        }

        return 0;
    }
}
