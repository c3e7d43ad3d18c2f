using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace KlingGenerated.Redis;

/// <summary>Turns on the Redis scale-out of KlingGenerated.</summary>
public static class KlingRedisServiceCollectionExtensions
{
    /// <summary>
    /// Paces createTask through Redis, shared by every process on the same API key, instead of per process.
    /// Call it on the builder <c>AddKlingClient</c> returns; the rest of the pipeline is unchanged.
    /// </summary>
    /// <param name="builder">The builder <c>AddKlingClient</c> returned.</param>
    /// <param name="redis">The connection (best made with <c>AbortOnConnectFail = false</c>, and <c>BacklogPolicy = BacklogPolicy.FailFast</c> so a refused password is reported as such).</param>
    /// <param name="configure">Key prefix, Redis timeout, and what to do when Redis is unreachable.</param>
    public static IHttpClientBuilder AddRedisPacing(this IHttpClientBuilder builder, IConnectionMultiplexer redis, Action<KlingRedisPacingOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(redis);
        return builder.AddRedisPacing(_ => redis, configure);
    }

    /// <summary>Paces createTask through Redis at <paramref name="redisConfiguration"/> (a StackExchange.Redis configuration string such as <c>localhost:6379</c>).</summary>
    /// <param name="builder">The builder <c>AddKlingClient</c> returned.</param>
    /// <param name="redisConfiguration">Where Redis is; the connection is made on first use, retries by itself, and is disposed with the service provider.</param>
    /// <param name="configure">Key prefix, Redis timeout, and what to do when Redis is unreachable.</param>
    public static IHttpClientBuilder AddRedisPacing(this IHttpClientBuilder builder, string redisConfiguration, Action<KlingRedisPacingOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(redisConfiguration);
        var configuration = ConfigurationOptions.Parse(redisConfiguration);
        configuration.AbortOnConnectFail = false; // start even when Redis is down; the failure mode decides
        configuration.BacklogPolicy = BacklogPolicy.FailFast; // a command without a connection fails at once, with the reason (a refused password is not "unreachable")
        builder.Services.TryAddSingleton(_ => new OwnedConnection(ConnectionMultiplexer.Connect(configuration)));
        return builder.AddRedisPacing(provider => provider.GetRequiredService<OwnedConnection>().Redis, configure);
    }

    private static IHttpClientBuilder AddRedisPacing(this IHttpClientBuilder builder, Func<IServiceProvider, IConnectionMultiplexer> redis, Action<KlingRedisPacingOptions>? configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = new KlingRedisPacingOptions();
        configure?.Invoke(options);
        options.Validate();
        builder.Services.Replace(ServiceDescriptor.Singleton<IKlingCreateTaskPacer>(provider =>
        {
            var client = provider.GetRequiredService<IOptions<KlingClientOptions>>().Value;
            return new KlingRedisCreateTaskPacer(redis(provider), client.ApiKey!, client.Resilience, options,
                fallback: provider.GetRequiredService<KlingCreateTaskPacer>(),
                logger: provider.GetService<ILoggerFactory>()?.CreateLogger<KlingRedisCreateTaskPacer>());
        }));
        return builder;
    }

    private sealed class OwnedConnection(IConnectionMultiplexer redis) : IDisposable
    {
        public IConnectionMultiplexer Redis { get; } = redis;

        public void Dispose() => Redis.Dispose();
    }
}
