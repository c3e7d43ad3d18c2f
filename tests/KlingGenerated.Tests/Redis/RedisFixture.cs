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

[CollectionDefinition("Redis")]
public sealed class RedisCollection : ICollectionFixture<RedisFixture>;
