using System.Collections.Concurrent;

namespace KlingGenerated;

/// <summary>
/// The one HTTP pipeline of the library: pooled, bounded connections that never follow redirects, under
/// <see cref="KlingResilienceHandler"/>. <see cref="KlingClient(KlingClientOptions)"/> builds it; <c>AddKlingClient</c>
/// builds the same through IHttpClientFactory.
/// </summary>
// CUSTOM: every documented way to build a client gets the same retries, pacing and timeouts (issue 15.3).
internal static class KlingHttpPipeline
{
    // One pacer per service and key in a process: clients built on the same key share the account's limit.
    private static readonly ConcurrentDictionary<string, KlingCreateTaskPacer> Pacers = new(StringComparer.Ordinal);

    /// <summary>The handler every connection goes through.</summary>
    public static SocketsHttpHandler CreatePrimaryHandler(KlingClientOptions options) => new()
    {
        MaxConnectionsPerServer = options.MaxConnections,
        PooledConnectionLifetime = TimeSpan.FromMinutes(5), // recycled so DNS changes are seen
        AutomaticDecompression = System.Net.DecompressionMethods.All,
        AllowAutoRedirect = false, // the API never redirects: a 3xx becomes a KlingApiException naming its location
    };

    /// <summary>An HttpClient with the whole pipeline, for <paramref name="options"/> (already validated).</summary>
    public static HttpClient CreateHttpClient(KlingClientOptions options)
    {
        var resilience = options.Resilience;
        var key = string.Join('\n', options.BaseUrl.AbsoluteUri, options.ApiKey, resilience.CreateTaskPermitLimit, resilience.CreateTaskWindow.Ticks, resilience.CreateTaskPacingMargin.Ticks);
        var pacer = Pacers.GetOrAdd(key, _ => new KlingCreateTaskPacer(resilience));
        return new HttpClient(new KlingResilienceHandler(resilience, pacer) { InnerHandler = CreatePrimaryHandler(options) })
        {
            BaseAddress = options.BaseUrl,
            Timeout = Timeout.InfiniteTimeSpan, // KlingResilienceHandler times attempts and calls; pacing waits are not a timeout
        };
    }
}
