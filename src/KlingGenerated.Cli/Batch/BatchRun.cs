using System.Collections.Concurrent;
using System.Globalization;
using KlingGenerated.Cli.Ledger;

namespace KlingGenerated.Cli.Batch;

/// <summary>
/// One run of a batch: resumes from the ledger (done lines skipped, created tasks waited on and downloaded, uncertain
/// lines reported), submits the rest through the client's pacing, waits concurrently and downloads each result as it ends.
/// </summary>
internal sealed class BatchRun(ITaskLedger ledger, Endpoint endpoint, string batchPath, BatchSettings settings, TextWriter error, CliTerminal terminal, double? balance) : IBatchRun
{
    // Submitters: two, so one claims its next line (a ledger write) while the other's create waits for its permit or is
    // on the wire. One submitter put every ledger write in series with the creates: 86.5 % and 90.6 % of 20 per 10 s on
    // a loaded machine, against 92.4 % and 92.8 % for two (docs/performance.md).
    public const int MaxSubmitters = 2;

    // CreateTasks of one run on the wire at once (LineWork holds the others back before their pacing wait): a kill -9
    // leaves at most this many lines uncertain. Two let two kills leave four; see docs/performance.md for the rate.
    public const int MaxOnTheWire = 1;
    private readonly LineWork _work = new(ledger, endpoint, settings, new BatchTotals(settings.RateLimit, TimeSpan.FromSeconds(settings.RateWindowSeconds)));
    private readonly ConcurrentBag<Task> _waits = [];
    private BatchDisplay _display = null!;
    private volatile string? _capReached;

    private BatchTotals Totals => _work.Totals;

    /// <inheritdoc />
    public BatchBudget Budget { get; private set; } = null!;

    public async Task<BatchResult> RunAsync(IReadOnlyList<BatchLine> lines, CancellationToken cancellationToken)
    {
        var statuses = Plan(lines);
        var toSend = statuses.Where(s => s.Phase == Phase.Queued).Select(s => s.Line.Request).ToList();
        // --max-credits caps the batch across its runs: what earlier runs of these lines paid (or may have) counts.
        var spentBefore = statuses.Where(s => s.PaidBefore).Sum(s => BatchBudget.PricingOf(endpoint).PriceOf(s.Line.Request) ?? 0m);
        Budget = BatchBudget.For(endpoint, balance, settings.MaxCredits, spentBefore);
        await error.WriteLineAsync(Budget.Describe(toSend)).ConfigureAwait(false);
        if (Budget.Refusal(toSend) is { } refusal)
        {
            throw new CliServiceException(refusal, "insufficient-credits");
        }

        _display = _work.Display = new BatchDisplay(error, Totals, terminal.Live && terminal.Ansi, terminal.Width);
        var skipped = statuses.Count(s => s.Phase == Phase.Done);
        await error.WriteLineAsync($"Batch {Text.Safe(Path.GetFileName(batchPath))}: {lines.Count} line(s); {skipped} already done, {statuses.Count(s => s.Phase == Phase.Uncertain)} uncertain, "
            + $"{statuses.Count(s => s.TaskId is not null && s.Phase != Phase.Done && s.Phase != Phase.Failed)} to wait for, {statuses.Count(s => s.Phase == Phase.Queued)} to submit at {settings.RateLimit} per {Totals.WindowText}. Ledger: {ledger.Location}");

        try
        {
            foreach (var status in statuses.Where(s => s.Phase == Phase.Uncertain))
            {
                _display.Event($"line {status.Label}: uncertain, not sent again ({Text.Safe(status.Note, 120)}); --resubmit-uncertain sends it again");
            }

            foreach (var status in statuses.Where(s => s.TaskId is not null && s.Phase is Phase.Submitted or Phase.Running))
            {
                _waits.Add(_work.FollowAsync(status, cancellationToken));
            }

            // Two submitters: one claims its next line while the other's createTask is paced and sent; one createTask at a
            // time is on the wire (LineWork), since a request in flight when the process dies can only be recorded as uncertain.
            var queue = new ConcurrentQueue<LineStatus>(statuses.Where(s => s.Phase == Phase.Queued));
            var submitters = Enumerable.Range(0, Math.Min(Math.Min(settings.RateLimit, MaxSubmitters), Math.Max(1, queue.Count)))
                .Select(_ => Task.Run(() => SubmitAllAsync(queue, cancellationToken), CancellationToken.None)).ToArray();
            await Task.WhenAll(submitters).ConfigureAwait(false);
            while (true)
            {
                var pending = _waits.ToArray();
                await Task.WhenAll(pending).ConfigureAwait(false);
                if (_waits.Count == pending.Length)
                {
                    break;
                }
            }
        }
        finally
        {
            await _display.DisposeAsync().ConfigureAwait(false);
        }

        var span = Totals.SubmitSpan();
        return new BatchResult(statuses, cancellationToken.IsCancellationRequested, span.Count, span.Last - span.First, settings.RateLimit, settings.RateWindowSeconds, skipped)
        {
            StoppedSending = _work.Streak.StoppedNote is not null,
        };
    }

    private List<LineStatus> Plan(IReadOnlyList<BatchLine> lines)
    {
        var known = BatchConflicts.Known(ledger, endpoint.LedgerName);
        var statuses = new List<LineStatus>(lines.Count);
        foreach (var line in lines)
        {
            var rows = known[line.Key].ToList();
            var status = new LineStatus(line);
            var created = rows.LastOrDefault(r => r.Outcome == "created");
            status.PaidBefore = created is not null || rows.Any(r => r.IsUncertain);
            if (created is not null)
            {
                status.TaskId = created.TaskId;
                status.File = created.File;
                status.Phase = created.State switch
                {
                    "success" when created.File is not null && File.Exists(created.File) => Phase.Done,
                    "fail" => Phase.Failed,
                    "waiting" or "queuing" or "generating" => Phase.Running,
                    _ => Phase.Submitted,
                };
                status.Note = created.State == "fail" ? $"failed (failCode {created.FailCode}: {created.FailMessage})" : null;
                status.ResultUrls = created.ResultUrls;
            }
            else if (rows.LastOrDefault(r => r.Outcome == "uncertain") is { } uncertain && !settings.ResubmitUncertain)
            {
                status.Phase = Phase.Uncertain;
                status.Note = "may exist: " + (uncertain.Message ?? "the createTask was sent and no answer was recorded");
            }

            Totals.Add(status.Phase);
            statuses.Add(status);
        }

        return statuses;
    }

    // Why no new line is sent: --max-credits is used up, or createTasks in a row ended uncertain (UncertainStreak).
    private string? Halted => _capReached ?? _work.Streak.StoppedNote;

    private async Task SubmitAllAsync(ConcurrentQueue<LineStatus> queue, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested && queue.TryDequeue(out var status))
        {
            if (Halted is { } halted)
            {
                status.Note = halted;
                return;
            }

            await SubmitOneAsync(status, cancellationToken).ConfigureAwait(false);
            if (Halted is { } now)
            {
                while (queue.TryDequeue(out var rest))
                {
                    rest.Note = now;
                }

                return;
            }
        }
    }

    /// <summary>Creates one line's task; true when a task was (or may have been) created.</summary>
    private async Task<bool> SubmitOneAsync(LineStatus status, CancellationToken cancellationToken)
    {
        // One claim per request identity, in the ledger's own transaction: another file, process or run with this line
        // that created it, may have, or is sending it now, holds it; this run then follows that task instead of paying again.
        var claim = ledger.Claim(endpoint.LedgerName, LedgeredCreate.Serialize(status.Line.Request), batchPath, status.Line.Key, status.Line.Number, settings.ResubmitUncertain);
        if (claim.Id is not { } id)
        {
            return FollowHolder(status, claim, cancellationToken);
        }

        return await SendClaimedAsync(status, id, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sends the createTask of a line this run claimed (submission <paramref name="id"/>) and records its outcome.</summary>
    private async Task<bool> SendClaimedAsync(LineStatus status, long id, CancellationToken cancellationToken)
    {
        switch (await _work.SendAsync(status, id, Budget, cancellationToken).ConfigureAwait(false))
        {
            case SendOutcome.Created:
                _waits.Add(_work.FollowAsync(status, cancellationToken));
                break;
            case SendOutcome.OverBudget:
                _capReached ??= status.Note;
                return false;
            case SendOutcome.NotSent or SendOutcome.Stopped:
                return false;
        }

        return status.Phase is Phase.Submitted or Phase.Running or Phase.Uncertain || status.TaskId is not null;
    }

    /// <summary>A line another run holds: follow its task once created, report it uncertain if it may exist, or wait for that run's answer.</summary>
    private bool FollowHolder(LineStatus status, LedgerClaim claim, CancellationToken cancellationToken)
    {
        var held = claim.HeldBy!;
        if (claim.HolderActive)
        {
            _display.Event($"line {status.Label}: being sent by another kling run (#{held.Id}); waiting for its answer instead of paying again");
            _waits.Add(WaitForHolderAsync(status, cancellationToken));
            return true;
        }

        if (held.Outcome == "created" && held.TaskId is { } taskId)
        {
            status.TaskId = taskId;
            _work.Move(status, Phase.Submitted);
            _display.Event($"line {status.Label}: already created by another run ({Text.Safe(taskId)}); following it, not paying again");
            _waits.Add(_work.FollowAsync(status, cancellationToken));
            return true;
        }

        status.Note = "may exist: " + (held.Message ?? "another run sent it and no answer was recorded");
        _work.Move(status, Phase.Uncertain);
        _display.Event($"line {status.Label}: uncertain, another run's create may exist ({Text.Safe(status.Note, 120)}); --resubmit-uncertain sends it again");
        return true;
    }

    private async Task WaitForHolderAsync(LineStatus status, CancellationToken cancellationToken)
    {
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken).ConfigureAwait(false);
                var claim = ledger.Claim(endpoint.LedgerName, LedgeredCreate.Serialize(status.Line.Request), batchPath, status.Line.Key, status.Line.Number, settings.ResubmitUncertain);
                if (claim.Id is { } id)
                {
                    // The other run ended without creating it (refused, not sent, or died before sending): this run sends it.
                    await SendClaimedAsync(status, id, cancellationToken).ConfigureAwait(false);
                    return;
                }

                if (!claim.HolderActive)
                {
                    FollowHolder(status, claim, cancellationToken);
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Interrupted: the line stays as the ledger has it; the next run looks again.
        }
    }
}
