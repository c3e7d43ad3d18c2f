namespace KlingGenerated.Simulator;

/// <summary>How the simulator behaves. Defaults mirror the service, with short timings.</summary>
public sealed class KlingSimulatorOptions
{
    /// <summary>
    /// The API key the simulator accepts as <c>Authorization: Bearer</c> (scheme in any case); anything else gets the
    /// 401 envelope. Null or empty is refused at start unless <see cref="DisableAuthentication"/> is set.
    /// </summary>
    public string? AcceptedApiKey { get; set; } = "simulator-key";

    /// <summary>Accept every request whatever its key (each key still sees only its own tasks). Off by default: it must be asked for.</summary>
    public bool DisableAuthentication { get; set; }

    /// <summary>The largest request body accepted, in bytes; larger ones get HTTP 413 and are not read. A valid createTask is well under 64 KiB.</summary>
    public int MaxRequestBodyBytes { get; set; } = 64 * 1024;

    /// <summary>The most uploaded files held at once (default 100); an upload beyond is refused (<c>success: false</c>), never stored.</summary>
    public int MaxUploads { get; set; } = 100;

    /// <summary>The most bytes of uploaded files held at once (default 64 MiB); an upload beyond is refused (<c>success: false</c>).</summary>
    public long MaxUploadStoreBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>How long an uploaded file is kept and served (its <c>expiresAt</c>; kie.ai's pages say 24 h or 3 days). Default 3 days.</summary>
    public TimeSpan UploadRetention { get; set; } = TimeSpan.FromDays(3);

    /// <summary>How long a task is kept after its creation (the service keeps result URLs 24 h); then it is "not found" and its memory freed.</summary>
    public TimeSpan TaskRetention { get; set; } = TimeSpan.FromHours(24);

    /// <summary>
    /// When set, tasks survive a restart: the file is a journal, one JSON line appended and flushed to the disk per
    /// created task (and per reset) before the change is answered, so a create costs the same at 100,000 tasks as at
    /// one. It is read at start and compacted then (expired tasks dropped). Several simulators may share one file one
    /// after the other or at once (each reads the lines the others appended, on an authenticated request for a task it
    /// does not hold). The file holds no API key.
    /// </summary>
    public string? StateFile { get; set; }

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

    /// <summary>
    /// Credits every task costs, whatever its input; null (the default) charges each task the price the OpenAPI document
    /// states for its request (<c>x-kling-pricing</c>, read through <see cref="KlingPricing.Document"/>: 42 for 5 s, 84 for 10 s).
    /// </summary>
    public long? CreditsPerTask { get; set; }

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

    /// <summary>Every problem with these options, one sentence each; empty when they are usable.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (string.IsNullOrEmpty(AcceptedApiKey) && !DisableAuthentication)
        {
            problems.Add("AcceptedApiKey (--api-key) is empty, which would accept any request: give a key, or set DisableAuthentication (--no-auth) to mean it.");
        }

        if (string.IsNullOrWhiteSpace(Urls))
        {
            problems.Add("Urls is empty: give an address such as http://127.0.0.1:4010.");
        }

        foreach (var (name, value) in new[] { ("WaitingFor", WaitingFor), ("QueuingFor", QueuingFor), ("GeneratingFor", GeneratingFor), ("RecordVisibleAfter", RecordVisibleAfter), ("CallbackRetryDelay", CallbackRetryDelay) })
        {
            if (value < TimeSpan.Zero)
            {
                problems.Add($"{name} ({value}) must not be negative.");
            }
        }

        // The timings are added up (a task's life, its callback's schedule): a sum past TimeSpan's range would make every query fail.
        var life = (decimal)WaitingFor.Ticks + QueuingFor.Ticks + GeneratingFor.Ticks;
        if (life + Math.Max(RecordVisibleAfter.Ticks, 0) + ((decimal)Math.Max(CallbackRetryDelay.Ticks, 0) * Math.Max(CallbackAttempts, 0)) > TimeSpan.FromDays(365 * 100).Ticks)
        {
            problems.Add("WaitingFor, QueuingFor and GeneratingFor (--waiting-ms, --queuing-ms, --generating-ms), with RecordVisibleAfter and the callback retries, add up to more than 100 years: give shorter times.");
        }

        if (RateLimit < 1 || RateLimitWindow <= TimeSpan.Zero)
        {
            problems.Add($"RateLimit ({RateLimit}) must be at least 1 and RateLimitWindow ({RateLimitWindow}) positive.");
        }

        if (TaskRetention <= TimeSpan.Zero)
        {
            problems.Add($"TaskRetention ({TaskRetention}) must be positive.");
        }

        if (MaxUploads < 1 || MaxUploadStoreBytes < 1 || UploadRetention <= TimeSpan.Zero)
        {
            problems.Add($"MaxUploads ({MaxUploads}), MaxUploadStoreBytes ({MaxUploadStoreBytes}) and UploadRetention ({UploadRetention}) must be positive.");
        }

        if (MaxRequestBodyBytes < 1024)
        {
            problems.Add($"MaxRequestBodyBytes ({MaxRequestBodyBytes}) must be at least 1024.");
        }

        if (Credits < 0 || CreditsPerTask < 0 || CallbackAttempts < 0)
        {
            problems.Add("Credits, CreditsPerTask and CallbackAttempts must not be negative.");
        }

        if (RandomFaultRate is < 0 or > 1 || double.IsNaN(RandomFaultRate))
        {
            problems.Add($"RandomFaultRate ({RandomFaultRate}) must be between 0 and 1.");
        }

        try
        {
            _ = SimulatorFault.Parse(Fault);
            foreach (var fault in RandomFaults)
            {
                _ = SimulatorFault.Parse(fault);
            }
        }
        catch (FormatException exception)
        {
            problems.Add(exception.Message);
        }

        return problems;
    }
}
