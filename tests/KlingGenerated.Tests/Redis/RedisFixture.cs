using KlingGenerated.Redis.ScaleOut;
using StackExchange.Redis;

namespace KlingGenerated.Tests.Redis;

/// <summary>
/// A private redis-server on a free loopback port, started by the tests and stopped after them. When redis-server is
/// missing it is installed with apt-get; where that is impossible the tests fail saying what to install (never skip).
/// </summary>
public sealed class RedisFixture : IAsyncLifetime
{
    public RedisServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await RedisServer.StartAsync();

    public async Task DisposeAsync() => await Server.DisposeAsync();

    /// <summary>A new connection, as another process would have.</summary>
    public Task<ConnectionMultiplexer> ConnectAsync() => ConnectionMultiplexer.ConnectAsync(Server.Configuration);
}

/// <summary>The Redis tests share one redis-server, started once (tests that kill Redis start their own).</summary>
[CollectionDefinition("Redis")]
public sealed class RedisCollection : ICollectionFixture<RedisFixture>;

/// <summary>The scale-out runs (worker processes, seconds each) have a redis-server of their own, so they run beside the other Redis tests.</summary>
[CollectionDefinition("Redis scale-out")]
public sealed class RedisScaleOutCollection : ICollectionFixture<RedisFixture>;
