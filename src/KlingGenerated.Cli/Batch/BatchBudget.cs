namespace KlingGenerated.Cli.Batch;

/// <summary>
/// What a batch may spend: the balance at the start, each line's price from the document (<see cref="KlingPricing"/>),
/// and --max-credits as a <see cref="KlingBudget"/> for the batch across its runs (what earlier runs of these lines paid
/// counts against it). Every create goes through the library's spend gate with this budget: priced and reserved before
/// it is sent, given back only when nothing was created.
/// </summary>
internal sealed class BatchBudget
{
    private readonly double? _balance;
    private readonly KlingPricing _pricing;

    public BatchBudget(double? balance, double? maxCredits, decimal spentBefore, KlingPricing pricing)
    {
        _balance = balance;
        _pricing = pricing;
        SpentBefore = spentBefore;
        Budget = maxCredits is { } cap ? new KlingBudget((decimal)cap, spentBefore) : null;
    }

    /// <summary>The prices the endpoint's client uses (the document's, unless the client was given others).</summary>
    public static KlingPricing PricingOf(Endpoint endpoint) => (endpoint.Client as KlingClient)?.Options.Pricing ?? KlingPricing.Document;

    /// <summary>The budget of a run on <paramref name="endpoint"/>: the balance, --max-credits, and what earlier runs of its lines paid.</summary>
    public static BatchBudget For(Endpoint endpoint, double? balance, double? maxCredits, decimal spentBefore) =>
        new(balance, maxCredits, spentBefore, PricingOf(endpoint));

    /// <summary>The batch's budget (--max-credits), or null when there is no cap.</summary>
    public KlingBudget? Budget { get; }

    /// <summary>What earlier runs of these lines paid (tasks created, or that may exist), at the document's prices.</summary>
    public decimal SpentBefore { get; }

    public decimal? MaxCredits => Budget?.Cap;

    /// <summary>The price of one line, or null when the prices do not cover it.</summary>
    public decimal? PriceOf(VideoTaskRequest request) => _pricing.PriceOf(request);

    /// <summary>The start line: lines to send, what they cost, credits available and the cap.</summary>
    public string Describe(IReadOnlyList<VideoTaskRequest> toSend)
    {
        var prices = toSend.Select(PriceOf).ToList();
        var total = prices.All(p => p is not null) ? prices.Sum(p => p!.Value) : (decimal?)null;
        return $"{toSend.Count} line(s) to send; credits available: {(_balance is { } b ? Format(b) : "unknown")}"
            + (toSend.Count == 0 ? string.Empty
                : total is { } t ? $"; they cost {Format(t)} credits at the document's prices (read {_pricing.ReadOn ?? "in code"})"
                : "; some lines have no price in the document")
            + (Budget is { } budget ? $"; --max-credits {Format(budget.Cap)} for this batch, {Format(SpentBefore)} spent by earlier runs, {Format(budget.Left)} left" : string.Empty) + ".";
    }

    /// <summary>Why the batch must not start (the balance or the cap cannot pay for the cheapest line), or null.</summary>
    public string? Refusal(IReadOnlyList<VideoTaskRequest> toSend)
    {
        if (toSend.Count == 0)
        {
            return null;
        }

        var cheapest = toSend.Select(PriceOf).Min() ?? 0m;
        if (_balance is { } available && (available <= 0 || (decimal)available < cheapest))
        {
            return $"the balance ({Format(available)} credits) cannot pay for one task ({Format(cheapest)} credits); nothing was sent. Top up the account, then run this command again.";
        }

        if (Budget is { } budget && budget.Left < cheapest)
        {
            return $"--max-credits {Format(budget.Cap)} leaves {Format(budget.Left)} credits for this batch ({Format(SpentBefore)} spent by earlier runs), less than one task costs ({Format(cheapest)} credits); nothing was sent. "
                + "Raise --max-credits to send more of it.";
        }

        return null;
    }

    private static string Format(double value) => KlingBudget.FormatCredits(value);

    private static string Format(decimal value) => KlingBudget.FormatCredits(value);
}
