using KlingGenerated.Redis;
using KlingGenerated.Redis.ScaleOut;

namespace KlingGenerated.Tests.Redis;

/// <summary>
/// Separate worker processes on one API key against the standalone simulator (its own process, limit scaled to 20 per 2 s),
/// checked against the simulator's record of every accepted create. Correctness only; the throughput is in docs/scale-out.md's
/// table (benchmarks/KlingGenerated.Redis.ScaleOut).
/// </summary>
[Trait("Category", "Slow")] // seconds, not milliseconds: outside the inner loop (docs/testing.md)
[Collection("Redis scale-out")]
public sealed class ScaleOutTests(RedisFixture redis)
{
    // The shipped margin is 0.5 s of jitter between the client and the service; the scaled window keeps it absolute.
    private const double Margin = 0.5;

    [Fact]
    public async Task Four_worker_processes_on_one_key_with_Redis_pacing_get_no_429_and_no_window_holds_more_than_the_limit()
    {
        var result = await ScaleOutRun.RunAsync(new Scenario(4, 60, UseRedis: true, MarginSeconds: Margin), redis.Server);

        result.Submitted.Should().Be(60);
        result.RateLimited.Should().Be(0, "the four processes paced together through Redis");
        result.MaxInWindow.Should().BeLessThanOrEqualTo(20, "no 2 s window at the simulator held more than 20 creates");
        result.Created.Should().Be(60);
        result.Duplicates.Should().Be(0);
        result.Lost.Should().Be(0);
        result.Failures.Should().BeEmpty();
    }

    [Fact]
    public async Task Four_worker_processes_pacing_each_on_its_own_collect_429s_so_the_test_above_can_fail()
    {
        var result = await ScaleOutRun.RunAsync(new Scenario(4, 60, UseRedis: false, MarginSeconds: Margin), redis.Server);

        result.RateLimited.Should().BeGreaterThan(0, "four local pacers each allow the whole limit");
        result.MaxInWindow.Should().BeLessThanOrEqualTo(20, "the simulator enforces the limit itself");
        result.Created.Should().Be(60, "every 429 was retried, since nothing was created by it");
        result.Duplicates.Should().Be(0);
        result.Lost.Should().Be(0);
    }

    [Fact]
    public async Task Killing_Redis_mid_run_in_the_default_mode_falls_back_to_local_pacing_and_creates_every_submission_exactly_once()
    {
        await using var ownRedis = await RedisServer.StartAsync();

        var result = await ScaleOutRun.RunAsync(new Scenario(4, 60, UseRedis: true, MarginSeconds: Margin, KillRedisAfterSeconds: 2), ownRedis);

        ownRedis.IsRunning.Should().BeFalse();
        result.Warnings.Should().BeGreaterThan(0, "the fallback is logged as a warning");
        result.Created.Should().Be(60);
        result.Failures.Should().BeEmpty();
        result.Duplicates.Should().Be(0);
        result.Lost.Should().Be(0);
        result.MaxInWindow.Should().BeLessThanOrEqualTo(20);
    }

    [Fact]
    public async Task Killing_Redis_mid_run_in_the_Fail_mode_fails_the_rest_before_sending_and_duplicates_or_loses_nothing()
    {
        await using var ownRedis = await RedisServer.StartAsync();

        var result = await ScaleOutRun.RunAsync(new Scenario(4, 60, UseRedis: true, MarginSeconds: Margin, WhenUnavailable: RedisUnavailableMode.Fail, KillRedisAfterSeconds: 2), ownRedis);

        result.Failures.Keys.Should().Equal([nameof(KlingRedisPacingException)], "the only failure is the documented one");
        result.Failures[nameof(KlingRedisPacingException)].Should().BeGreaterThan(0);
        (result.Created + result.Failures[nameof(KlingRedisPacingException)]).Should().Be(60, "each submission was either created or refused before sending");
        result.Duplicates.Should().Be(0);
        result.Lost.Should().Be(0, "no refused submission reached the simulator, and every created one was reported");
        result.RateLimited.Should().Be(0);
    }
}
