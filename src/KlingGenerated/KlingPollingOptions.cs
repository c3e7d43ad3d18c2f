namespace KlingGenerated;

/// <summary>
/// How <see cref="KlingClient.WaitForCompletionAsync"/> polls, on the service's advice: start at 2-3 s, back off
/// exponentially toward 15-30 s, give up after 10-15 minutes.
/// </summary>
public sealed class KlingPollingOptions
{
    /// <summary>The first wait before querying again (default 2.5 s).</summary>
    public TimeSpan InitialDelay { get; set; } = TimeSpan.FromSeconds(2.5);

    /// <summary>The longest wait between two queries (default 20 s).</summary>
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>How long to wait in all before giving up with a <see cref="TimeoutException"/> (default 15 minutes).</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>The factor each wait grows by (default 1.5).</summary>
    public double BackoffFactor { get; set; } = 1.5;

    /// <summary>Random spread of each wait, as a fraction (default 0.2, so ±20 %); 0 turns it off.</summary>
    public double Jitter { get; set; } = 0.2;

    /// <summary>How long "not found" and "recordInfo is null" count as "not visible yet" after the wait starts (default 90 s).</summary>
    public TimeSpan NotFoundGracePeriod { get; set; } = TimeSpan.FromSeconds(90);

    /// <summary>The clock; tests pass a fake one.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    internal void Validate()
    {
        if (InitialDelay <= TimeSpan.Zero || MaxDelay < InitialDelay || Timeout <= TimeSpan.Zero || BackoffFactor < 1 || Jitter is < 0 or >= 1 || NotFoundGracePeriod < TimeSpan.Zero)
        {
            throw new ArgumentException(
                $"Invalid polling options: InitialDelay ({InitialDelay}) must be positive, MaxDelay ({MaxDelay}) at least InitialDelay, Timeout ({Timeout}) positive, " +
                $"BackoffFactor ({BackoffFactor}) at least 1, Jitter ({Jitter}) in [0, 1) and NotFoundGracePeriod ({NotFoundGracePeriod}) not negative.");
        }
    }
}
