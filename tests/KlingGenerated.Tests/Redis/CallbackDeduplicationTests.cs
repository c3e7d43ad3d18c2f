using KlingGenerated.Redis;
using Microsoft.Extensions.Time.Testing;

namespace KlingGenerated.Tests.Redis;

[Collection("Redis")]
public sealed class CallbackDeduplicationTests(RedisFixture redis)
{
    [Fact]
    public async Task The_memory_deduplicator_admits_each_task_id_once_within_its_retention()
    {
        var dedup = new KlingMemoryCallbackDeduplicator();

        (await dedup.TryBeginAsync("task_a")).Should().BeTrue();
        (await dedup.TryBeginAsync("task_a")).Should().BeFalse("a redelivery of the same task is a repeat");
        (await dedup.TryBeginAsync("task_b")).Should().BeTrue();
        dedup.Count.Should().Be(2);
    }

    [Fact]
    public async Task The_memory_deduplicator_forgets_a_task_id_after_its_retention()
    {
        var time = new FakeTimeProvider();
        var dedup = new KlingMemoryCallbackDeduplicator(retention: TimeSpan.FromMinutes(10), timeProvider: time);
        (await dedup.TryBeginAsync("task_a")).Should().BeTrue();

        time.Advance(TimeSpan.FromMinutes(9));
        (await dedup.TryBeginAsync("task_a")).Should().BeFalse();
        time.Advance(TimeSpan.FromMinutes(1));
        dedup.Count.Should().Be(0, "the entry expired");
        (await dedup.TryBeginAsync("task_a")).Should().BeTrue();
    }

    [Fact]
    public async Task The_memory_deduplicator_holds_at_most_its_capacity_and_drops_the_oldest_first()
    {
        var dedup = new KlingMemoryCallbackDeduplicator(capacity: 100);
        for (var i = 0; i < 10_000; i++)
        {
            (await dedup.TryBeginAsync($"task_{i}")).Should().BeTrue();
        }

        dedup.Count.Should().Be(100, "a flood of distinct ids cannot grow it past its capacity");
        (await dedup.TryBeginAsync("task_9999")).Should().BeFalse("the newest ids are kept");
        (await dedup.TryBeginAsync("task_0")).Should().BeTrue("the oldest was dropped");
    }

    [Fact]
    public async Task Forgetting_a_task_id_lets_its_redelivery_through_in_memory_and_in_Redis()
    {
        using var connection = await redis.ConnectAsync();
        foreach (IKlingCallbackDeduplicator dedup in new IKlingCallbackDeduplicator[] { new KlingMemoryCallbackDeduplicator(), new KlingRedisCallbackDeduplicator(connection, keyPrefix: $"t{Guid.NewGuid():N}:") })
        {
            (await dedup.TryBeginAsync("task_retry")).Should().BeTrue();
            await dedup.ForgetAsync("task_retry");
            (await dedup.TryBeginAsync("task_retry")).Should().BeTrue("handling the first delivery failed, so the redelivery is handled");
            (await dedup.TryBeginAsync("task_retry")).Should().BeFalse();
        }
    }

    [Fact]
    public async Task The_Redis_deduplicator_admits_exactly_one_of_many_concurrent_deliveries_across_instances()
    {
        var prefix = $"t{Guid.NewGuid():N}:";
        var connections = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => redis.ConnectAsync()));
        try
        {
            var instances = connections.Select(c => new KlingRedisCallbackDeduplicator(c, keyPrefix: prefix)).ToArray();

            var answers = await Task.WhenAll(Enumerable.Range(0, 40).Select(i => instances[i % 4].TryBeginAsync("task_kling_dup").AsTask()));

            answers.Count(first => first).Should().Be(1, "one instance, and only one, handles the first delivery");
            (await instances[3].TryBeginAsync("task_kling_other")).Should().BeTrue();
        }
        finally
        {
            foreach (var connection in connections)
            {
                await connection.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task The_Redis_deduplicator_stores_a_hash_of_the_task_id_with_a_retention_beyond_the_redelivery_horizon()
    {
        using var connection = await redis.ConnectAsync();
        var prefix = $"t{Guid.NewGuid():N}:";
        var dedup = new KlingRedisCallbackDeduplicator(connection, keyPrefix: prefix);
        var hostileId = "task/../../" + new string('x', 5000) + "\r\nFLUSHALL";

        (await dedup.TryBeginAsync(hostileId)).Should().BeTrue();

        var keys = connection.GetServers()[0].Keys(pattern: prefix + "*").Select(k => k.ToString()).ToArray();
        keys.Should().ContainSingle().Which.Should().MatchRegex($"^{prefix}callback:[0-9a-f]{{64}}$", "the service's text never shapes the key");
        var ttl = await connection.GetDatabase().KeyTimeToLiveAsync(keys[0]);
        ttl.Should().NotBeNull();
        ttl!.Value.Should().BeGreaterThan(TimeSpan.FromHours(23), "the default retention is 24 h, far beyond the service's 3 redelivery attempts");
        dedup.Retention.Should().Be(KlingMemoryCallbackDeduplicator.DefaultRetention);
        (await dedup.TryBeginAsync(hostileId)).Should().BeFalse();
    }

    [Fact]
    public async Task The_Redis_deduplicator_admits_a_task_id_again_once_its_retention_expired()
    {
        using var connection = await redis.ConnectAsync();
        var dedup = new KlingRedisCallbackDeduplicator(connection, retention: TimeSpan.FromMilliseconds(200), keyPrefix: $"t{Guid.NewGuid():N}:");
        (await dedup.TryBeginAsync("task_short")).Should().BeTrue();
        (await dedup.TryBeginAsync("task_short")).Should().BeFalse();

        var admitted = false;
        for (var i = 0; i < 100 && !admitted; i++)
        {
            await Task.Delay(50);
            admitted = await dedup.TryBeginAsync("task_short");
        }

        admitted.Should().BeTrue("Redis expired the key (PX) after its retention");
    }
}
