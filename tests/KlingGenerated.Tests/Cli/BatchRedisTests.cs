using KlingGenerated.Tests.Redis;
using Newtonsoft.Json.Linq;
using Xunit.Abstractions;

namespace KlingGenerated.Tests.Cli;

/// <summary>kling batch --redis: two batch processes on one key share the account's limit through a real redis-server.</summary>
[Trait("Category", "Slow")] // two batches paced through a real redis-server
[Collection("Redis")]
public sealed class BatchRedisTests(RedisFixture redis, ITestOutputHelper log)
{
    [Fact]
    public async Task Two_batches_paced_through_Redis_meet_no_429_and_create_each_line_once()
    {
        await using var run = await CliRun.StartAsync(o => { o.RateLimit = 4; o.RateLimitWindow = TimeSpan.FromSeconds(1); });
        var a = run.Write("a.jsonl", string.Concat(Enumerable.Range(1, 12).Select(i => $$"""{"prompt":"A {{i}}"}""" + "\n")));
        var b = run.Write("b.jsonl", string.Concat(Enumerable.Range(1, 12).Select(i => $$"""{"prompt":"B {{i}}"}""" + "\n")));
        string[] Batch(string file, string ledger) =>
            ["batch", file, "--out", Path.Combine(run.Folder, "v"), "--rate-limit", "4", "--rate-window", "1", "--redis", redis.Server.Configuration, "--json",
             "--base-url", run.Simulator.BaseUrl.ToString(), "--api-key", CliRun.Key, "--ledger", Path.Combine(run.Folder, ledger, "tasks.db")];

        var both = await Task.WhenAll(CliRun.InProcessAsync(Batch(a, "one")), CliRun.InProcessAsync(Batch(b, "two")));

        both.Should().OnlyContain(r => r.ExitCode == 0);
        run.Simulator.RateLimitedCount.Should().Be(0, "the two processes shared the limit through Redis");
        var prompts = run.Simulator.CreatedTasks.Values.Select(p => (string)JObject.Parse(p)["input"]!["prompt"]!).ToList();
        prompts.Should().HaveCount(24).And.OnlyHaveUniqueItems();
        foreach (var result in both)
        {
            log.WriteLine($"fraction of the limit: {JObject.Parse(result.Stdout)["throughput"]!["fractionOfLimit"]}");
        }
    }
}
