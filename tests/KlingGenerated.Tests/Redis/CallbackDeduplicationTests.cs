using KlingGenerated.Redis;
using Microsoft.Extensions.Time.Testing;

namespace KlingGenerated.Tests.Redis;

[Collection("Redis")]
public sealed class CallbackDeduplicationTests(RedisFixture redis)
{
    [Fact]
    public async Task The_memory_deduplicator_turns_away_a_task_id_once_its_delivery_was_confirmed()
    {
        using var dedup = new KlingMemoryCallbackDeduplicator();

        (await dedup.TryBeginAsync("task_a")).Should().BeTrue();
        await dedup.ConfirmAsync("task_a");
        (await dedup.TryBeginAsync("task_a")).Should().BeFalse("a redelivery of a handled task is a repeat");
        (await dedup.TryBeginAsync("task_b")).Should().BeTrue();
        dedup.Count.Should().Be(2);
    }

    [Fact]
    public async Task The_memory_deduplicator_forgets_a_handled_task_id_after_its_retention()
    {
        var time = new FakeTimeProvider();
        using var dedup = new KlingMemoryCallbackDeduplicator(retention: TimeSpan.FromMinutes(10), timeProvider: time);
        (await dedup.TryBeginAsync("task_a")).Should().BeTrue();
        await dedup.ConfirmAsync("task_a");

        time.Advance(TimeSpan.FromMinutes(9));
        (await dedup.TryBeginAsync("task_a")).Should().BeFalse();
        time.Advance(TimeSpan.FromMinutes(1));
        dedup.Count.Should().Be(0, "the mark expired");
        (await dedup.TryBeginAsync("task_a")).Should().BeTrue();
    }

    [Fact]
    public async Task The_memory_deduplicator_holds_at_most_its_capacity_and_beyond_it_handles_rather_than_drops()
    {
        using var dedup = new KlingMemoryCallbackDeduplicator(capacity: 100);
        for (var i = 0; i < 10_000; i++)
        {
            (await dedup.TryBeginAsync($"task_{i}")).Should().BeTrue("every id is new");
            await dedup.ConfirmAsync($"task_{i}");
            dedup.Count.Should().BeLessThanOrEqualTo(100, "a flood of distinct ids cannot grow it past its capacity");
        }

        (await dedup.TryBeginAsync("task_new")).Should().BeTrue("a full cache never turns away a first delivery");
    }

    [Fact]
    public async Task A_delivery_that_finds_an_unconfirmed_mark_goes_through_once_the_mark_expires_in_memory_and_in_Redis()
    {
        using var connection = await redis.ConnectAsync();
        var life = TimeSpan.FromMilliseconds(300);
        using var memory = new KlingMemoryCallbackDeduplicator(inProgressTimeout: life);
        foreach (IKlingCallbackDeduplicator dedup in new IKlingCallbackDeduplicator[] { memory, new KlingRedisCallbackDeduplicator(connection, keyPrefix: $"t{Guid.NewGuid():N}:", inProgressTimeout: life) })
        {
            (await dedup.TryBeginAsync("task_crashed")).Should().BeTrue("the first delivery; its receiver then dies without confirming");

            (await dedup.TryBeginAsync("task_crashed")).Should().BeTrue("the mark was never confirmed, so the redelivery is handled (after waiting for the mark)");
            await dedup.ConfirmAsync("task_crashed");
            (await dedup.TryBeginAsync("task_crashed")).Should().BeFalse("now it was handled");
        }
    }

    [Fact]
    public async Task A_delivery_waiting_on_another_ones_mark_is_turned_away_when_that_one_confirms_in_memory_and_in_Redis()
    {
        using var connection = await redis.ConnectAsync();
        using var memory = new KlingMemoryCallbackDeduplicator(inProgressTimeout: TimeSpan.FromMinutes(5));
        foreach (IKlingCallbackDeduplicator dedup in new IKlingCallbackDeduplicator[] { memory, new KlingRedisCallbackDeduplicator(connection, keyPrefix: $"t{Guid.NewGuid():N}:", inProgressTimeout: TimeSpan.FromMinutes(5)) })
        {
            (await dedup.TryBeginAsync("task_slow")).Should().BeTrue();
            var second = dedup.TryBeginAsync("task_slow").AsTask();
            second.IsCompleted.Should().BeFalse("the first delivery is still being handled");

            await dedup.ConfirmAsync("task_slow");
            (await second).Should().BeFalse("the first delivery's work was accepted");
        }
    }

    [Fact]
    public async Task Forgetting_a_task_id_lets_its_redelivery_through_at_once_in_memory_and_in_Redis()
    {
        using var connection = await redis.ConnectAsync();
        using var memory = new KlingMemoryCallbackDeduplicator(inProgressTimeout: TimeSpan.FromMinutes(5));
        foreach (IKlingCallbackDeduplicator dedup in new IKlingCallbackDeduplicator[] { memory, new KlingRedisCallbackDeduplicator(connection, keyPrefix: $"t{Guid.NewGuid():N}:", inProgressTimeout: TimeSpan.FromMinutes(5)) })
        {
            (await dedup.TryBeginAsync("task_retry")).Should().BeTrue();
            await dedup.ForgetAsync("task_retry");
            (await dedup.TryBeginAsync("task_retry")).Should().BeTrue("handling the first delivery failed, so the redelivery is handled");
            await dedup.ConfirmAsync("task_retry");
            (await dedup.TryBeginAsync("task_retry")).Should().BeFalse();
        }
    }

    [Fact]
    public async Task The_Redis_deduplicator_has_exactly_one_of_many_concurrent_deliveries_handled_across_instances()
    {
        var prefix = $"t{Guid.NewGuid():N}:";
        var connections = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => redis.ConnectAsync()));
        try
        {
            var instances = connections.Select(c => new KlingRedisCallbackDeduplicator(c, keyPrefix: prefix)).ToArray();

            var handled = await Task.WhenAll(Enumerable.Range(0, 40).Select(async i =>
            {
                var seen = instances[i % 4];
                if (!await seen.TryBeginAsync("task_kling_dup"))
                {
                    return false;
                }

                await seen.ConfirmAsync("task_kling_dup"); // the work was accepted
                return true;
            }));

            handled.Count(h => h).Should().Be(1, "one instance, and only one, handles the task");
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
    public async Task The_Redis_deduplicator_stores_a_hash_of_the_task_id_short_lived_until_confirmed_then_beyond_the_redelivery_horizon()
    {
        using var connection = await redis.ConnectAsync();
        var prefix = $"t{Guid.NewGuid():N}:";
        var dedup = new KlingRedisCallbackDeduplicator(connection, keyPrefix: prefix);
        var hostileId = "task/../../" + new string('x', 5000) + "\r\nFLUSHALL";

        (await dedup.TryBeginAsync(hostileId)).Should().BeTrue();

        var keys = connection.GetServers()[0].Keys(pattern: prefix + "*").Select(k => k.ToString()).ToArray();
        keys.Should().ContainSingle().Which.Should().MatchRegex($"^{prefix}callback:[0-9a-f]{{64}}$", "the service's text never shapes the key");
        var inProgress = await connection.GetDatabase().KeyTimeToLiveAsync(keys[0]);
        inProgress.Should().NotBeNull();
        inProgress!.Value.Should().BeLessThanOrEqualTo(KlingMemoryCallbackDeduplicator.DefaultInProgressTimeout, "an unconfirmed mark is short-lived");

        await dedup.ConfirmAsync(hostileId);
        var handled = await connection.GetDatabase().KeyTimeToLiveAsync(keys[0]);
        handled!.Value.Should().BeGreaterThan(TimeSpan.FromHours(23), "the default retention is 24 h, far beyond the service's 3 redelivery attempts");
        dedup.Retention.Should().Be(KlingMemoryCallbackDeduplicator.DefaultRetention);
        (await dedup.TryBeginAsync(hostileId)).Should().BeFalse();
    }

    [Fact]
    public async Task The_Redis_deduplicator_handles_a_task_id_again_once_its_retention_expired()
    {
        using var connection = await redis.ConnectAsync();
        var dedup = new KlingRedisCallbackDeduplicator(connection, retention: TimeSpan.FromMilliseconds(200), keyPrefix: $"t{Guid.NewGuid():N}:");
        (await dedup.TryBeginAsync("task_short")).Should().BeTrue();
        await dedup.ConfirmAsync("task_short");
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
