namespace KlingGenerated.Simulator;

/// <summary>How the simulator behaves. Defaults mirror the service, with short timings.</summary>
public sealed class KlingSimulatorOptions
{
    /// <summary>The API key the simulator accepts as <c>Authorization: Bearer</c>; anything else gets the 401 envelope.</summary>
    public string AcceptedApiKey { get; set; } = "simulator-key";

    /// <summary>Where to listen. Loopback only by default; port 0 picks a free port.</summary>
    public string Urls { get; set; } = "http://127.0.0.1:0";

    /// <summary>How long a new task stays <c>waiting</c>.</summary>
    public TimeSpan WaitingFor { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a task stays <c>queuing</c>.</summary>
    public TimeSpan QueuingFor { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a task stays <c>generating</c> before it ends.</summary>
    public TimeSpan GeneratingFor { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>For how long after creation the query answers "not found", as the service does for a few seconds.</summary>
    public TimeSpan RecordVisibleAfter { get; set; } = TimeSpan.Zero;

    /// <summary>When set, callbacks carry <c>X-Webhook-Timestamp</c> and <c>X-Webhook-Signature</c> made with this key.</summary>
    public string? WebhookHmacKey { get; set; }

    /// <summary>Attempts to deliver one callback (the service makes 3).</summary>
    public int CallbackAttempts { get; set; } = 3;

    /// <summary>The wait between callback attempts.</summary>
    public TimeSpan CallbackRetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>New tasks allowed per key in <see cref="RateLimitWindow"/> (the service allows 20 per 10 s).</summary>
    public int RateLimit { get; set; } = 20;

    /// <summary>The window of <see cref="RateLimit"/>.</summary>
    public TimeSpan RateLimitWindow { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Credits the account starts with.</summary>
    public long Credits { get; set; } = 10_000;

    /// <summary>Credits one task costs.</summary>
    public long CreditsPerTask { get; set; } = 42;

    /// <summary>A fault applied to every request (see <see cref="SimulatorFault"/>); the <c>X-Kling-Simulator-Fault</c> header overrides it per request.</summary>
    public string? Fault { get; set; }

    /// <summary>The share of requests (0 to 1) that get one of <see cref="RandomFaults"/>, when no fault is chosen otherwise. For soak tests.</summary>
    public double RandomFaultRate { get; set; }

    /// <summary>The faults drawn at random, uniformly (see <see cref="SimulatorFault"/>).</summary>
    public IReadOnlyList<string> RandomFaults { get; set; } = ["rate-limited", "maintenance", "server-error", "server-error-after-create", "drop", "drop-after-create", "slow:50"];

    /// <summary>The seed of the random faults, so a run can be repeated.</summary>
    public int RandomFaultSeed { get; set; } = 12345;

    /// <summary>The clock; tests pass a fake one.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;
}
