using System.Globalization;

namespace KlingGenerated.Cli.Batch;

/// <summary>What a batch run ended with.</summary>
internal sealed class BatchResult(IReadOnlyList<LineStatus> lines, bool interrupted, int created, TimeSpan submitSpan, int limit, double windowSeconds, int skipped)
{
    public IReadOnlyList<LineStatus> Lines => lines;

    public bool Interrupted => interrupted;

    public bool AllDone => lines.All(l => l.Phase == Phase.Done);

    /// <summary>The run stopped sending new lines after <see cref="UncertainStreak.Limit"/> uncertain createTasks in a row.</summary>
    public bool StoppedSending { get; init; }

    /// <summary>0 when every line is done; 3 when the run stopped sending (whatever else happened); 4 when a task failed; 3 when lines are uncertain, unsent or unfinished.</summary>
    public int ExitCode => AllDone ? ExitCodes.Success : StoppedSending ? ExitCodes.ServiceError : lines.Any(l => l.Phase == Phase.Failed) ? ExitCodes.TaskFailed : ExitCodes.ServiceError;

    /// <summary>The sustained creation rate as a fraction of the limit, after the first window's burst; null when all fit in one burst.</summary>
    public double? ThroughputFraction => created <= limit || submitSpan <= TimeSpan.Zero ? null : (created - limit) / submitSpan.TotalSeconds * windowSeconds / limit;

    // priceOf: a line's price (the batch's BatchBudget.PriceOf); default the document's.
    public string Closing(int invalid, string ledgerPath, KlingBudget? budget = null, Func<VideoTaskRequest, decimal?>? priceOf = null)
    {
        int Count(Phase phase) => lines.Count(l => l.Phase == phase);
        priceOf ??= KlingPricing.Document.PriceOf;
        var throughput = ThroughputFraction is { } f ? $" Sustained throughput {(f * 100).ToString("0", CultureInfo.InvariantCulture)} % of the limit ({created} created in {submitSpan.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)} s)." : string.Empty;
        var capped = budget is not null && Count(Phase.Queued) > 0 && !interrupted && !StoppedSending;
        var verdict = AllDone ? "All lines are done." : Count(Phase.Uncertain) > 0
            ? UncertainLines.Advice([.. lines.Where(l => l.Phase == Phase.Uncertain).Select(l => (l.Label, priceOf(l.Line.Request)))])
            : capped && Count(Phase.Failed) + Count(Phase.Submitted) + Count(Phase.Running) == 0
                ? null // the cap's sentence says what running again does
                : "Run the same command again to retry what failed to be created and to wait for what is unfinished.";
        if (StoppedSending)
        {
            verdict = Stopped(Count(Phase.Queued), verdict);
        }

        return $"Batch finished: {lines.Count} line(s): done {Count(Phase.Done)} ({skipped} from earlier runs), failed {Count(Phase.Failed)}, uncertain {Count(Phase.Uncertain)}, unfinished {Count(Phase.Submitted) + Count(Phase.Running)}, not sent {Count(Phase.Queued)}"
            + (invalid > 0 ? $", invalid {invalid} (skipped)" : string.Empty) + $".{throughput}" + (verdict is null ? string.Empty : " " + verdict)
            + (budget is { } b && capped
                ? $" --max-credits caps the batch across its runs ({b}): running the same command again with the same cap sends nothing more; raise it to send the {Count(Phase.Queued)} line(s) not sent."
                : string.Empty);
    }

    // Why the run stopped, what may have been paid (the uncertain lines' advice) and what running again does.
    private static string Stopped(int notSent, string? uncertainAdvice) =>
        $"Stopped sending: {UncertainStreak.Limit} createTasks in a row ended uncertain (the service's answers leave it unknown whether their tasks were created), so {notSent} line(s) were not sent. "
        + (uncertainAdvice is null ? string.Empty : uncertainAdvice + " ")
        + $"Running the same command again sends the {notSent} line(s) not sent (never the uncertain ones without --resubmit-uncertain): do that once the service answers createTask normally again.";

    public object Summary(IReadOnlyList<BatchLineError> errors, string ledgerPath) => new
    {
        ledger = ledgerPath,
        interrupted,
        allDone = AllDone,
        total = lines.Count,
        done = lines.Count(l => l.Phase == Phase.Done),
        failed = lines.Count(l => l.Phase == Phase.Failed),
        uncertain = lines.Count(l => l.Phase == Phase.Uncertain),
        unfinished = lines.Count(l => l.Phase is Phase.Submitted or Phase.Running),
        notSent = lines.Count(l => l.Phase == Phase.Queued),
        stoppedSending = StoppedSending, // after UncertainStreak.Limit uncertain createTasks in a row
        skippedAsDone = skipped,
        created,
        throughput = new { created, seconds = submitSpan.TotalSeconds, limit, windowSeconds, fractionOfLimit = ThroughputFraction },
        invalid = errors.Select(e => new { line = e.Number, problem = e.Problem }),
        lines = lines.Select(l => new { line = l.Line.Number, id = l.Line.UserId, key = l.Line.Key, taskId = l.TaskId, state = l.StateText, file = l.File, note = l.Note }),
    };
}
