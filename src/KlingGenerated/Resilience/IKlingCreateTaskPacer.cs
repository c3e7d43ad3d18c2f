using System.Threading.RateLimiting;

namespace KlingGenerated;

/// <summary>
/// Gives each createTask attempt its permit; <see cref="KlingResilienceHandler"/> awaits it before every attempt, retries
/// included. The default, <see cref="KlingCreateTaskPacer"/>, paces one process; the KlingGenerated.Redis package adds
/// one that every process on the same API key shares (<c>AddKlingClient(...).AddRedisPacing(...)</c>).
/// </summary>
public interface IKlingCreateTaskPacer
{
    /// <summary>
    /// Waits until one more createTask may be sent, honouring <paramref name="cancellationToken"/> (which carries the
    /// call's total timeout). An exception or a lease that is not acquired means the attempt is not sent.
    /// </summary>
    ValueTask<RateLimitLease> AcquireAsync(CancellationToken cancellationToken);
}
