namespace KlingGenerated;

/// <summary>
/// The retry, timeout and pacing policy of <see cref="KlingResilienceHandler"/>, which <see cref="KlingClient(KlingClientOptions)"/>
/// and <c>AddKlingClient</c> install. A <see cref="KlingClient"/> on an HttpClient of your own has only what you put in it.
/// </summary>
public sealed class KlingResilienceOptions
{
    /// <summary>Retries after the first attempt (default 6), for failures that are safe to retry.</summary>
    public int MaxRetries { get; set; } = 6;

    /// <summary>
    /// Retries after attempts that could not reach the service at all, so nothing was sent (a failed name lookup, a
    /// refused connection, a failed TLS handshake); null (the default) means <see cref="MaxRetries"/>. The CLI sets 2:
    /// a person is waiting, and an unreachable service is more often a wrong URL than a passing failure. Answers of the
    /// service (a 455 maintenance, a 5xx) keep the whole <see cref="MaxRetries"/>.
    /// </summary>
    public int? MaxUnreachableRetries { get; set; }

    /// <summary>The first backoff delay (default 1 s); it doubles each retry, with jitter.</summary>
    public TimeSpan BaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest backoff delay, and the longest <c>Retry-After</c> honoured (default 30 s).</summary>
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The time one attempt may take (default 30 s).</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The time one call may take in all: retries, backoff and the wait for a createTask pacing permit (default 10 minutes).
    /// A createTask that timed out while still waiting for its permit was not sent.
    /// </summary>
    public TimeSpan TotalTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>New tasks allowed per <see cref="CreateTaskWindow"/> per key, paced on the client (the service allows 20 per 10 s). 0 turns pacing off.</summary>
    public int CreateTaskPermitLimit { get; set; } = 20;

    /// <summary>The window of <see cref="CreateTaskPermitLimit"/> (default 10 s).</summary>
    public TimeSpan CreateTaskWindow { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Extra spacing added to the pacing window for network jitter between this client and the service (default 0.5 s).</summary>
    public TimeSpan CreateTaskPacingMargin { get; set; } = TimeSpan.FromSeconds(0.5);

    internal KlingResilienceOptions Clone() => (KlingResilienceOptions)MemberwiseClone();

    internal bool IsDefault()
    {
        var standard = new KlingResilienceOptions();
        return MaxRetries == standard.MaxRetries && MaxUnreachableRetries == standard.MaxUnreachableRetries && BaseDelay == standard.BaseDelay && MaxDelay == standard.MaxDelay
            && AttemptTimeout == standard.AttemptTimeout && TotalTimeout == standard.TotalTimeout
            && CreateTaskPermitLimit == standard.CreateTaskPermitLimit && CreateTaskWindow == standard.CreateTaskWindow
            && CreateTaskPacingMargin == standard.CreateTaskPacingMargin;
    }

    internal void Validate()
    {
        if (MaxRetries < 0 || MaxUnreachableRetries < 0 || BaseDelay < TimeSpan.Zero || MaxDelay < BaseDelay || AttemptTimeout <= TimeSpan.Zero || TotalTimeout < AttemptTimeout
            || CreateTaskPermitLimit < 0 || CreateTaskWindow <= TimeSpan.Zero || CreateTaskPacingMargin < TimeSpan.Zero)
        {
            throw new ArgumentException(
                $"Invalid resilience options: MaxRetries ({MaxRetries}), MaxUnreachableRetries ({MaxUnreachableRetries}) and CreateTaskPermitLimit ({CreateTaskPermitLimit}) must not be negative, " +
                $"MaxDelay ({MaxDelay}) must be at least BaseDelay ({BaseDelay}), AttemptTimeout ({AttemptTimeout}) positive, " +
                $"TotalTimeout ({TotalTimeout}) at least AttemptTimeout, and CreateTaskWindow ({CreateTaskWindow}) positive.");
        }
    }
}
