using System.Collections.Concurrent;
using KlingGenerated.Redis;
using KlingGenerated.Redis.ScaleOut;
using KlingGenerated.Simulator;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace KlingGenerated.Tests.Redis;

[Trait("Category", "Slow")] // seconds, not milliseconds: outside the inner loop (docs/testing.md)
[Collection("Redis")]
public sealed class RedisPacingTests(RedisFixture redis)
{
    private static CreateTaskRequest Request(string prompt) => new() { Input = new CreateTaskInput { Prompt = prompt } };

    [Fact]
    public async Task AddRedisPacing_replaces_the_local_pacer_in_the_resilience_handler()
    {
        var services = new ServiceCollection();
        services.AddKlingClient(o => o.ApiKey = "key-a").AddRedisPacing(redis.Server.Configuration);
        await using var provider = services.BuildServiceProvider();

        provider.GetRequiredService<IKlingCreateTaskPacer>().Should().BeOfType<KlingRedisCreateTaskPacer>();
        provider.GetRequiredService<IKlingClient>().Should().NotBeNull();
    }

    [Fact]
    public async Task Pacers_in_separate_service_providers_share_one_window_so_the_simulator_answers_no_429()
    {
        await using var simulator = await KlingSimulator.StartAsync(new KlingSimulatorOptions { RateLimit = 5, RateLimitWindow = TimeSpan.FromMilliseconds(500), Credits = 1_000_000 });
        var providers = Enumerable.Range(0, 3).Select(_ => Provider(simulator, limit: 5, window: TimeSpan.FromMilliseconds(500), margin: TimeSpan.FromMilliseconds(150))).ToArray();
        try
        {
            var created = await Task.WhenAll(providers.SelectMany((provider, p) => Enumerable.Range(0, 10).Select(i =>
                provider.GetRequiredService<IKlingClient>().CreateTaskAsync(Request($"p{p}-{i}"), CancellationToken.None))));

            created.Select(c => c.Data!.TaskId).Should().OnlyHaveUniqueItems().And.HaveCount(30);
            simulator.TaskCount.Should().Be(30, "each submission was created once");
            simulator.RateLimitedCount.Should().Be(0, "three clients on one key stayed within 5 per 500 ms together");
        }
        finally
        {
            foreach (var provider in providers)
            {
                await provider.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task A_full_window_waits_for_the_earliest_free_slot_and_no_window_of_Redis_time_holds_more_than_the_limit()
    {
        var connections = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => redis.ConnectAsync()));
        var apiKey = "key-" + Guid.NewGuid().ToString("N");
        var resilience = new KlingResilienceOptions { CreateTaskPermitLimit = 3, CreateTaskWindow = TimeSpan.FromMilliseconds(300), CreateTaskPacingMargin = TimeSpan.Zero };
        var pacers = connections.Select(c => new KlingRedisCreateTaskPacer(c, apiKey, resilience)).ToArray();
        try
        {
            await Task.WhenAll(Enumerable.Range(0, 15).Select(async i =>
            {
                using var lease = await pacers[i % 3].AcquireAsync(CancellationToken.None);
                lease.IsAcquired.Should().BeTrue("a full window waits, it does not fail");
            }));
            var log = await connections[0].GetDatabase().SortedSetRangeByScoreWithScoresAsync(pacers[0].Key);

            // All 15 went through; the log keeps at most the last window's 3.
            log.Length.Should().BeInRange(1, 3);
        }
        finally
        {
            foreach (var pacer in pacers)
            {
                pacer.Dispose();
            }

            foreach (var connection in connections)
            {
                await connection.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Every_pair_of_permits_granted_limit_apart_is_at_least_a_window_apart_in_Redis_time()
    {
        using var connection = await redis.ConnectAsync();
        var apiKey = "key-" + Guid.NewGuid().ToString("N");
        var resilience = new KlingResilienceOptions { CreateTaskPermitLimit = 2, CreateTaskWindow = TimeSpan.FromMilliseconds(200), CreateTaskPacingMargin = TimeSpan.Zero };
        using var pacer = new KlingRedisCreateTaskPacer(connection, apiKey, resilience);
        var scores = new List<long>();
        for (var i = 0; i < 8; i++)
        {
            using var lease = await pacer.AcquireAsync(CancellationToken.None);
            var newest = await connection.GetDatabase().SortedSetRangeByRankWithScoresAsync(pacer.Key, -1, -1);
            scores.Add((long)newest[0].Score);
        }

        for (var i = 2; i < scores.Count; i++)
        {
            (scores[i] - scores[i - 2]).Should().BeGreaterThanOrEqualTo(200_000, $"permit {i} and permit {i - 2} are in one window only if 3 permits shared it (Redis µs)");
        }
    }

    [Fact]
    public async Task Hosts_whose_clocks_disagree_by_hours_still_share_one_exact_window()
    {
        var connections = await Task.WhenAll(redis.ConnectAsync(), redis.ConnectAsync());
        var apiKey = "key-" + Guid.NewGuid().ToString("N");
        var resilience = new KlingResilienceOptions { CreateTaskPermitLimit = 2, CreateTaskWindow = TimeSpan.FromMilliseconds(200), CreateTaskPacingMargin = TimeSpan.Zero };
        using var ahead = new KlingRedisCreateTaskPacer(connections[0], apiKey, resilience, timeProvider: new SkewedClock(TimeSpan.FromHours(3)));
        using var behind = new KlingRedisCreateTaskPacer(connections[1], apiKey, resilience, timeProvider: new SkewedClock(TimeSpan.FromHours(-5)));
        var scores = new List<long>();
        try
        {
            for (var i = 0; i < 8; i++)
            {
                using var lease = await (i % 2 == 0 ? ahead : behind).AcquireAsync(CancellationToken.None);
                var newest = await connections[0].GetDatabase().SortedSetRangeByRankWithScoresAsync(ahead.Key, -1, -1);
                scores.Add((long)newest[0].Score);
            }
        }
        finally
        {
            foreach (var connection in connections)
            {
                await connection.DisposeAsync();
            }
        }

        for (var i = 2; i < scores.Count; i++)
        {
            (scores[i] - scores[i - 2]).Should().BeGreaterThanOrEqualTo(200_000, "the window runs on Redis's clock, so the hosts' clocks never enter");
        }
    }

    [Fact]
    public async Task A_permit_counts_from_the_end_of_the_attempt_timeout_while_in_flight_and_from_the_attempt_end_after()
    {
        using var connection = await redis.ConnectAsync();
        var db = connection.GetDatabase();
        var resilience = new KlingResilienceOptions { AttemptTimeout = TimeSpan.FromSeconds(30) };
        using var pacer = new KlingRedisCreateTaskPacer(connection, "key-" + Guid.NewGuid().ToString("N"), resilience);

        var lease = await pacer.AcquireAsync(CancellationToken.None);
        var inFlight = (await db.SortedSetRangeByRankWithScoresAsync(pacer.Key)).Single().Score;
        var redisNow = await RedisMicrosAsync(db);
        inFlight.Should().BeGreaterThan(redisNow + 29_000_000, "while the attempt runs, the create may still arrive until the attempt timeout");

        lease.Dispose();
        var ended = (await db.SortedSetRangeByRankWithScoresAsync(pacer.Key)).Single().Score;
        // The grant plus the time since just before asking for it: an upper bound of the arrival, far below the in-flight one.
        ended.Should().BeLessThan(inFlight - 20_000_000, "once the attempt ended, the permit moved down to the attempt's end");
        ended.Should().BeGreaterThan(redisNow - 10_000_000);
    }

    private static async Task<long> RedisMicrosAsync(IDatabase db)
    {
        var time = (RedisResult[])(await db.ExecuteAsync("TIME"))!;
        return (long)time[0] * 1_000_000 + (long)time[1];
    }

    [Fact]
    public async Task The_API_key_never_reaches_Redis_only_a_keyed_hash_of_it()
    {
        using var connection = await redis.ConnectAsync();
        var apiKey = "secret-" + Guid.NewGuid().ToString("N");
        var prefix = $"t{Guid.NewGuid():N}:";
        using var pacer = new KlingRedisCreateTaskPacer(connection, apiKey, new KlingResilienceOptions(), new KlingRedisPacingOptions { KeyPrefix = prefix });

        using (await pacer.AcquireAsync(CancellationToken.None))
        {
        }

        var keys = connection.GetServers()[0].Keys(pattern: prefix + "*").Select(k => k.ToString()).ToArray();
        keys.Should().ContainSingle().Which.Should().Be(pacer.Key).And.MatchRegex($"^{prefix}pacing:[0-9a-f]{{64}}$").And.NotContain(apiKey);
        var members = await connection.GetDatabase().SortedSetRangeByRankAsync(keys[0]);
        members.Should().ContainSingle().Which.ToString().Should().NotContain(apiKey);
        new KlingRedisCreateTaskPacer(connection, apiKey, new KlingResilienceOptions(), new KlingRedisPacingOptions { KeyPrefix = prefix }).Key.Should().Be(pacer.Key, "the same key is the same account in every process");
    }

    [Fact]
    public async Task Cancelling_while_waiting_for_a_slot_throws_and_takes_no_permit()
    {
        using var connection = await redis.ConnectAsync();
        var resilience = new KlingResilienceOptions { CreateTaskPermitLimit = 1, CreateTaskWindow = TimeSpan.FromMinutes(5) };
        using var pacer = new KlingRedisCreateTaskPacer(connection, "key-" + Guid.NewGuid().ToString("N"), resilience);
        using (await pacer.AcquireAsync(CancellationToken.None))
        {
        }

        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        var waiting = async () => await pacer.AcquireAsync(cancel.Token);

        await waiting.Should().ThrowAsync<OperationCanceledException>();
        (await connection.GetDatabase().SortedSetLengthAsync(pacer.Key)).Should().Be(1, "the cancelled wait took no permit");
    }

    [Fact]
    public async Task A_createTask_whose_total_timeout_ends_while_waiting_for_a_Redis_slot_is_not_sent_and_says_so()
    {
        await using var simulator = await KlingSimulator.StartAsync(new KlingSimulatorOptions { RateLimit = 100 });
        var window = TimeSpan.FromMinutes(5);
        await using var provider = Provider(simulator, limit: 1, window: window, margin: TimeSpan.Zero, configure: r =>
        {
            r.AttemptTimeout = TimeSpan.FromMilliseconds(500);
            r.TotalTimeout = TimeSpan.FromMilliseconds(500);
        });
        // Another process on the same key took the window's only permit.
        using var connection = await redis.ConnectAsync();
        using var otherProcess = new KlingRedisCreateTaskPacer(connection, simulator.ApiKey, new KlingResilienceOptions { CreateTaskPermitLimit = 1, CreateTaskWindow = window, CreateTaskPacingMargin = TimeSpan.Zero });
        (await otherProcess.AcquireAsync(CancellationToken.None)).Dispose();

        var create = async () => await provider.GetRequiredService<IKlingClient>().CreateTaskAsync(Request("waits"), CancellationToken.None);

        var timeout = (await create.Should().ThrowAsync<KlingApiException>()).Which;
        timeout.Kind.Should().Be(KlingErrorKind.Timeout);
        timeout.TaskMayExist.Should().BeFalse("the create never left the client");
        timeout.Message.Should().Contain("was not sent").And.Contain("nothing was created");
        simulator.RequestCount.Should().Be(0, "the create never left the client");
        simulator.TaskCount.Should().Be(0);
    }

    [Fact]
    public async Task With_Redis_down_the_default_falls_back_to_the_local_pacer_logs_a_warning_and_creates_each_task_once()
    {
        await using var ownRedis = await RedisServer.StartAsync();
        await using var simulator = await KlingSimulator.StartAsync(new KlingSimulatorOptions { RateLimit = 100 });
        var warnings = new ConcurrentQueue<string>();
        await using var provider = Provider(simulator, limit: 20, window: TimeSpan.FromSeconds(1), margin: TimeSpan.Zero, redisConfiguration: ownRedis.Configuration, warnings: warnings);
        var client = provider.GetRequiredService<IKlingClient>();
        await client.CreateTaskAsync(Request("before"), CancellationToken.None);
        warnings.Should().BeEmpty();

        ownRedis.Kill();
        var after = await Task.WhenAll(Enumerable.Range(0, 5).Select(i => client.CreateTaskAsync(Request($"after-{i}"), CancellationToken.None)));

        after.Select(c => c.Data!.TaskId).Should().OnlyHaveUniqueItems().And.HaveCount(5);
        simulator.CreatedTasks.Should().HaveCount(6, "each submission was created once: none lost, none sent twice");
        warnings.Should().ContainSingle("the fallback is logged once per outage").Which.Should().Contain("Redis is unreachable").And.Contain("own pacer");
    }

    [Fact]
    public async Task With_Redis_down_and_the_Fail_mode_createTask_fails_before_sending_with_a_clear_error()
    {
        await using var ownRedis = await RedisServer.StartAsync();
        await using var simulator = await KlingSimulator.StartAsync(new KlingSimulatorOptions { RateLimit = 100 });
        await using var provider = Provider(simulator, limit: 20, window: TimeSpan.FromSeconds(1), margin: TimeSpan.Zero, redisConfiguration: ownRedis.Configuration,
            mode: RedisUnavailableMode.Fail);
        var client = provider.GetRequiredService<IKlingClient>();
        await client.CreateTaskAsync(Request("before"), CancellationToken.None);
        var requestsBefore = simulator.RequestCount;

        ownRedis.Kill();
        var after = async () => await client.CreateTaskAsync(Request("after"), CancellationToken.None);

        var error = (await after.Should().ThrowAsync<KlingRedisPacingException>()).Which;
        error.Message.Should().Contain("was not sent").And.Contain("Nothing was created").And.Contain("Check that Redis is running");
        simulator.RequestCount.Should().Be(requestsBefore, "nothing reached the service");
        simulator.CreatedTasks.Values.Should().ContainSingle().Which.Should().Contain("before");
    }

    [Fact]
    public async Task A_pacer_key_of_another_type_is_reported_as_WRONGTYPE_not_as_unreachable()
    {
        using var connection = await redis.ConnectAsync();
        var resilience = new KlingResilienceOptions { CreateTaskPermitLimit = 20, CreateTaskWindow = TimeSpan.FromSeconds(10) };
        using var pacer = new KlingRedisCreateTaskPacer(connection, "key-" + Guid.NewGuid().ToString("N"), resilience, new KlingRedisPacingOptions { WhenUnavailable = RedisUnavailableMode.Fail });
        await connection.GetDatabase().StringSetAsync(pacer.Key, "another program's value");

        var error = (await FluentActions.Awaiting(async () => await pacer.AcquireAsync(CancellationToken.None)).Should().ThrowAsync<KlingRedisPacingException>()).Which;

        error.Message.Should().Contain("WRONGTYPE").And.Contain("another kind of value").And.Contain("KeyPrefix").And.NotContain("could not be reached");
    }

    [Fact]
    public async Task A_refused_Redis_password_is_reported_as_refused_credentials_not_as_unreachable_and_nothing_is_sent()
    {
        await using var guarded = await RedisServer.StartAsync(password: "right-" + Guid.NewGuid().ToString("N"));
        await using var simulator = await KlingSimulator.StartAsync(new KlingSimulatorOptions { RateLimit = 100 });
        await using var wrong = Provider(simulator, limit: 20, window: TimeSpan.FromSeconds(1), margin: TimeSpan.Zero,
            redisConfiguration: guarded.Configuration + ",password=not-the-password", mode: RedisUnavailableMode.Fail);
        await using var right = Provider(simulator, limit: 20, window: TimeSpan.FromSeconds(1), margin: TimeSpan.Zero,
            redisConfiguration: guarded.Configuration + ",password=" + guarded.Password, mode: RedisUnavailableMode.Fail);

        var refused = async () => await wrong.GetRequiredService<IKlingClient>().CreateTaskAsync(Request("refused"), CancellationToken.None);

        var error = (await refused.Should().ThrowAsync<KlingRedisPacingException>()).Which;
        error.Message.Should().Contain("refused the credentials").And.Contain("Check the password").And.NotContain("could not be reached").And.NotContain("not-the-password");
        simulator.RequestCount.Should().Be(0, "nothing is sent without a permit");
        (await right.GetRequiredService<IKlingClient>().CreateTaskAsync(Request("allowed"), CancellationToken.None)).Data!.TaskId
            .Should().NotBeNullOrEmpty("the same server takes the right password, so only the password was refused");
    }

    [Fact]
    public async Task Pacing_goes_back_to_Redis_when_Redis_is_back()
    {
        await using var ownRedis = await RedisServer.StartAsync();
        var resilience = new KlingResilienceOptions { CreateTaskPermitLimit = 20, CreateTaskWindow = TimeSpan.FromSeconds(10) };
        using var connection = await ConnectionMultiplexer.ConnectAsync(ownRedis.Configuration);
        using var pacer = new KlingRedisCreateTaskPacer(connection, "key-" + Guid.NewGuid().ToString("N"), resilience);
        ownRedis.Kill();
        using (await pacer.AcquireAsync(CancellationToken.None))
        {
        }

        await ownRedis.RestartAsync();
        for (var i = 0; i < 200 && !connection.IsConnected; i++)
        {
            await Task.Delay(50);
        }

        using (await pacer.AcquireAsync(CancellationToken.None))
        {
        }

        (await connection.GetDatabase().SortedSetLengthAsync(pacer.Key)).Should().Be(1, "the permit after the restart was taken in Redis");
    }

    private ServiceProvider Provider(KlingSimulator simulator, int limit, TimeSpan window, TimeSpan margin, Action<KlingResilienceOptions>? configure = null,
        string? redisConfiguration = null, RedisUnavailableMode mode = RedisUnavailableMode.FallBackToLocalPacer, ConcurrentQueue<string>? warnings = null)
    {
        var services = new ServiceCollection();
        services.AddLogging(logging => logging.AddProvider(new ListLoggerProvider(warnings ?? new ConcurrentQueue<string>())));
        services.AddKlingClient(o =>
        {
            o.ApiKey = simulator.ApiKey;
            o.BaseUrl = simulator.BaseUrl;
            o.Resilience.CreateTaskPermitLimit = limit;
            o.Resilience.CreateTaskWindow = window;
            o.Resilience.CreateTaskPacingMargin = margin;
            configure?.Invoke(o.Resilience);
        }).AddRedisPacing(redisConfiguration ?? redis.Server.Configuration, o => o.WhenUnavailable = mode);
        return services.BuildServiceProvider();
    }

    /// <summary>A host clock off by <paramref name="skew"/>; timers and durations stay real.</summary>
    private sealed class SkewedClock(TimeSpan skew) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + skew;
    }

    private sealed class ListLoggerProvider(ConcurrentQueue<string> warnings) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new Logger(warnings);

        public void Dispose()
        {
        }

        private sealed class Logger(ConcurrentQueue<string> warnings) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (logLevel >= LogLevel.Warning)
                {
                    warnings.Enqueue(formatter(state, exception));
                }
            }
        }
    }
}
