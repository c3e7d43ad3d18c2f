using System.Globalization;

namespace KlingGenerated.Cli.Batch;

/// <summary>
/// What a batch may spend: the balance at the start, the cost of one task (the most the ledger saw this endpoint
/// report, else measured from the balance after this run's first create), and --max-credits. Submitting stops before
/// the tasks created could cost more than the cap.
/// </summary>
internal sealed class BatchBudget(IKlingClient client, double? balance, double? knownCost, double? maxCredits)
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly double _available = balance ?? double.PositiveInfinity;
    private double? _cost = knownCost;
    private int _reserved;


    public double? Cost => _cost;

    public double? MaxCredits => maxCredits;

    /// <summary>The start line: lines to send and credits available.</summary>
    public string Describe(int toSend) =>
        $"{toSend} line(s) to send; credits available: {(balance is { } b ? Format(b) : "unknown")}"
        + (_cost is { } c ? $"; a task costs about {Format(c)}, so at most {Format(toSend * c)} for these lines" : "; the cost of a task is not known yet (the ledger has seen none reported)")
        + (maxCredits is { } m ? $"; --max-credits {Format(m)}" : string.Empty) + ".";

    /// <summary>Why the batch must not start (the balance cannot pay for one task), or null.</summary>
    public string? Refusal(int toSend) =>
        toSend == 0 ? null
        : _available <= 0 || (_cost is { } c && _available < c) ? $"the balance ({Format(_available)} credits) cannot pay for one task{(_cost is { } k ? $" (about {Format(k)} credits)" : string.Empty)}; nothing was sent. Top up the account, then run this command again."
        : maxCredits is { } m && _cost is { } cost && m < cost ? $"--max-credits {Format(m)} is less than one task costs (about {Format(cost)} credits); nothing was sent."
        : null;

    /// <summary>Waits for the right to create one more task; false when another could take the batch past --max-credits.</summary>
    /// <param name="create">Creates the task; true when a task was (or may have been) created.</param>
    /// <param name="cancellationToken">Stops waiting for the right to submit.</param>
    public async Task<bool> SubmitAsync(Func<Task<bool>> create, CancellationToken cancellationToken)
    {
        if (maxCredits is null)
        {
            await create().ConfigureAwait(false);
            return true;
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        var measuring = false;
        try
        {
            if (_cost is { } cost)
            {
                if ((_reserved + 1) * cost > maxCredits)
                {
                    return false;
                }

                _reserved++;
            }
            else
            {
                measuring = true; // the first create runs alone, so the balance tells what it cost
                _reserved++;
            }
        }
        finally
        {
            if (!measuring)
            {
                _gate.Release();
            }
        }

        if (!measuring)
        {
            if (!await create().ConfigureAwait(false))
            {
                Interlocked.Decrement(ref _reserved);
            }

            return true;
        }

        try
        {
            if (await create().ConfigureAwait(false))
            {
                double after = (await client.GetRemainingCreditsAsync(cancellationToken).ConfigureAwait(false)).Data ?? _available;
                _cost = _available - after > 0 ? _available - after : null;
            }
            else
            {
                _reserved--;
            }

            return true;
        }
        finally
        {
            _gate.Release();
        }
    }

    private static string Format(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);
}
