using KlingGenerated.OpenApi;

namespace KlingGenerated;

/// <summary>
/// How <see cref="KlingClient.WaitForCompletionAsync"/> polls, on the service's advice: start at 2-3 s, back off
/// exponentially toward 15-30 s, give up after 10-15 minutes. Each wait is
/// <c>min(MaxDelay, InitialDelay + (BackoffFactor - 1) x time waited so far)</c>, shortened (never lengthened) by jitter,
/// so with the defaults the end of a task is noticed within 10 % + 3 s of its length. The defaults are the document's
/// <c>x-kling-polling</c> (on GetTaskRecord).
/// </summary>
public sealed class KlingPollingOptions
{
    /// <summary>The first wait before querying again, and the constant part of every wait (default 3 s).</summary>
    public TimeSpan InitialDelay { get; set; } = KlingDocumentRules.Polling.Initial;

    /// <summary>The longest wait between two queries (default 30 s).</summary>
    public TimeSpan MaxDelay { get; set; } = KlingDocumentRules.Polling.Max;

    /// <summary>How long to wait in all before giving up with a <see cref="KlingApiException"/> of kind <see cref="KlingErrorKind.Timeout"/> (default 15 minutes).</summary>
    public TimeSpan Timeout { get; set; } = KlingDocumentRules.Polling.Timeout;

    /// <summary>
    /// How fast waits grow: each wait adds <c>BackoffFactor - 1</c> of the time waited so far (default 1.1, so 10 %),
    /// which makes the query times grow geometrically by this factor.
    /// </summary>
    public double BackoffFactor { get; set; } = 1 + KlingDocumentRules.Polling.Growth;

    /// <summary>Random shortening of each wait, as a fraction (default 0.2: each wait is 80-100 % of its value); 0 turns it off.</summary>
    public double Jitter { get; set; } = 0.2;

    /// <summary>How long "not found" and "recordInfo is null" count as "not visible yet" after the wait starts (default 90 s).</summary>
    public TimeSpan NotFoundGracePeriod { get; set; } = KlingDocumentRules.Polling.Grace;

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
