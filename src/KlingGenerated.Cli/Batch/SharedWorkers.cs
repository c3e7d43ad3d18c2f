using System.Globalization;
using KlingGenerated.Cli.Ledger;

namespace KlingGenerated.Cli.Batch;

/// <summary>
/// A batch worker's place among the workers of a shared ledger: registered while it runs, and refused when its pacing
/// cannot hold the account's limit together with theirs (a worker pacing alone at the whole limit beside others).
/// </summary>
internal sealed class SharedWorkers : IDisposable
{
    private readonly PostgresLedger _ledger;

    private SharedWorkers(PostgresLedger ledger) => _ledger = ledger;

    /// <summary>Registers this worker, or refuses (nothing sent) when the workers' pacing would exceed the limit.</summary>
    public static SharedWorkers Join(PostgresLedger ledger, Endpoint endpoint, BatchSettings settings)
    {
        ledger.Lease = TimeSpan.FromSeconds(settings.LeaseSeconds);
        var window = settings.RateWindowSeconds.ToString(CultureInfo.InvariantCulture);
        var pacing = settings.Redis is not null ? "redis" : settings.RateLimitGiven ? $"its own share of {settings.RateLimit} per {window} s" : "alone";
        var joined = new SharedWorkers(ledger);
        var others = ledger.Join(endpoint.LedgerName, pacing);
        var clash = others.FirstOrDefault(o => pacing == "alone" || o.Pacing == "alone");
        if (clash.Worker is not null)
        {
            joined.Dispose();
            var who = pacing == "alone" ? "this worker would pace its creates alone" : $"that worker paces its creates alone";
            throw new UsageException($"another worker ({Text.Safe(clash.Worker, 80)}) is running a batch on {Text.Safe(endpoint.LedgerName)} with the ledger {ledger.Location}, and {who}, at the account's whole limit: "
                + "together they would exceed it and be refused with HTTP 429. Pace every worker through one Redis (--redis HOST:PORT or KLING_REDIS), "
                + $"or give each worker an explicit share (for example --rate-limit {Math.Max(1, settings.RateLimit / (others.Count + 1)).ToString(CultureInfo.InvariantCulture)} for {others.Count + 1} workers). Nothing was sent.");
        }

        return joined;
    }

    public void Dispose()
    {
        try
        {
            _ledger.Leave();
        }
        catch (LedgerException)
        {
            // The registration and the leases end by themselves.
        }
    }
}
