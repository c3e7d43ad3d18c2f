using KlingGenerated.Redis;
using KlingGenerated.Redis.ScaleOut;

// dotnet run -c Release --project benchmarks/KlingGenerated.Redis.ScaleOut [CREATES]  (the table in docs/scale-out.md; 120 createTasks by default, fewer for the smoke job)
// dotnet run -c Release --project benchmarks/KlingGenerated.Redis.ScaleOut -- worker ... (one worker; the driver starts these)
if (args is ["worker", ..])
{
    return await Worker.RunAsync(WorkerSettings.Parse(args));
}

// dotnet run ... -- callback-receiver ... (the callback de-duplication crash test starts and kills these)
if (args is ["callback-receiver", ..])
{
    return await CallbackReceiver.RunAsync(args);
}

var creates = args is [var count] ? int.Parse(count, System.Globalization.CultureInfo.InvariantCulture) : 120;
Console.WriteLine($"{creates} createTasks in all, shared by 1, 2 and 4 worker processes on one API key; the standalone simulator allows 20 per 2 s;");
Console.WriteLine("pacing window 2 s + 0.1 s margin (the default 10 s + 0.5 s, scaled). Throughput: creates after the first window per second, over 20 / 2 s.");
await using var redis = await RedisServer.StartAsync();
Console.WriteLine(ScaleOutRun.Header);
foreach (var useRedis in new[] { false, true })
{
    foreach (var processes in new[] { 1, 2, 4 })
    {
        Console.WriteLine(ScaleOutRun.Row(await ScaleOutRun.RunAsync(new Scenario(processes, creates, useRedis), redis)));
    }
}

foreach (var mode in new[] { RedisUnavailableMode.FallBackToLocalPacer, RedisUnavailableMode.Fail })
{
    await redis.RestartAsync();
    var result = await ScaleOutRun.RunAsync(new Scenario(4, creates, UseRedis: true, WhenUnavailable: mode, KillRedisAfterSeconds: 4), redis);
    Console.WriteLine(ScaleOutRun.Row(result, $"Redis killed after 4 s, {mode}"));
}

return 0;
