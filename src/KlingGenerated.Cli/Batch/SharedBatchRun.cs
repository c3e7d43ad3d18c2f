using System.Collections.Concurrent;
using KlingGenerated.Cli.Ledger;

namespace KlingGenerated.Cli.Batch;

/// <summary>
/// One worker of a batch shared through a PostgreSQL ledger: it claims the file's lines a few at a time (each line once,
/// by its key, across every worker and file: <see cref="ITaskLedger.Claim"/>), sends them through the shared pacing,
/// follows and downloads its own tasks into its --out, takes over the lines of workers that stopped renewing their
/// lease, and ends when every line of its file is done, failed, uncertain or unfinished, whoever did it.
/// </summary>
internal sealed class SharedBatchRun(PostgresLedger ledger, Endpoint endpoint, string batchPath, BatchSettings settings, TextWriter error, CliTerminal terminal, double? balance) : IBatchRun
{
    private static readonly TimeSpan LookEvery = TimeSpan.FromMilliseconds(500);
    private readonly LineWork _work = new(ledger, endpoint, settings, new BatchTotals(settings.RateLimit, TimeSpan.FromSeconds(settings.RateWindowSeconds)));
    private readonly ConcurrentDictionary<string, (Task Work, bool Sending)> _mine = new(StringComparer.Ordinal);
    private BatchDisplay _display = null!;
    private volatile string? _capReached;

    /// <inheritdoc />
    public BatchBudget Budget { get; private set; } = null!;

    public async Task<BatchResult> RunAsync(IReadOnlyList<BatchLine> lines, CancellationToken cancellationToken)
    {
        var statuses = lines.GroupBy(l => l.Key, StringComparer.Ordinal).Select(g => new LineStatus(g.First())).ToList();
        var keys = statuses.Select(s => s.Line.Key).ToList();
        foreach (var status in statuses)
        {
            _work.Totals.Add(Phase.Queued);
        }

        var started = ledger.Now(); // a line refused since then is not sent again by this run
        StartBudget(statuses, ledger.Lines(endpoint.LedgerName, keys));
        var toSend = statuses.Where(s => !s.PaidBefore).Select(s => s.Line.Request).ToList();
        await error.WriteLineAsync(Budget.Describe(toSend)).ConfigureAwait(false);
        if (Budget.Refusal(toSend) is { } refusal)
        {
            throw new CliServiceException(refusal, "insufficient-credits");
        }

        _display = _work.Display = new BatchDisplay(error, _work.Totals, terminal.Live && terminal.Ansi, terminal.Width);
        await error.WriteLineAsync($"Batch {Text.Safe(Path.GetFileName(batchPath))}: {statuses.Count} line(s), shared with the other workers of {ledger.Location} as {Text.Safe(ledger.Worker)}; "
            + $"sending at {settings.RateLimit} per {_work.Totals.WindowText} {(settings.Redis is null ? "(paced by this worker alone)" : "(paced with the other workers through Redis)")}.").ConfigureAwait(false);
        using var renewal = new CancellationTokenSource();
        var renewing = RenewAsync(renewal.Token);
        var skipped = 0;
        try
        {
            while (true)
            {
                var open = Look(statuses, ledger.Lines(endpoint.LedgerName, keys), started, cancellationToken);
                if (open == 0 || (cancellationToken.IsCancellationRequested && _mine.Values.All(w => w.Work.IsCompleted)))
                {
                    break;
                }

                var running = _mine.Values.Where(w => !w.Work.IsCompleted).Select(w => w.Work).ToList();
                await Task.WhenAny([Task.Delay(LookEvery, CancellationToken.None), .. running]).ConfigureAwait(false);
            }

            await Task.WhenAll(_mine.Values.Select(w => w.Work)).ConfigureAwait(false);
            skipped = statuses.Count(s => s.Phase == Phase.Done && s.File is null);
        }
        finally
        {
            await renewal.CancelAsync().ConfigureAwait(false);
            await renewing.ConfigureAwait(false);
            try
            {
                ledger.Leave(); // what this worker still holds is free for the others now
            }
            catch (LedgerException exception)
            {
                _display.Event($"warning: could not hand back this worker's lines ({Text.Safe(exception.Message, 160)}); the others take them when the lease ends");
            }

            await _display.DisposeAsync().ConfigureAwait(false);
        }

        var span = _work.Totals.SubmitSpan();
        return new BatchResult(statuses, cancellationToken.IsCancellationRequested, span.Count, span.Last - span.First, settings.RateLimit, settings.RateWindowSeconds, skipped)
        {
            StoppedSending = _work.Streak.StoppedNote is not null,
        };
    }

    // --max-credits caps the batch across its runs, as on one machine: what earlier runs (any worker) paid for its lines counts.
    private void StartBudget(List<LineStatus> statuses, ILookup<string, SharedLine> before)
    {
        var pricing = BatchBudget.PricingOf(endpoint);
        foreach (var status in statuses)
        {
            status.PaidBefore = before[status.Line.Key].Any(r => r.Outcome is "created" or "uncertain" or "sending");
        }

        Budget = BatchBudget.For(endpoint, balance, settings.MaxCredits, statuses.Where(s => s.PaidBefore).Sum(s => pricing.PriceOf(s.Line.Request) ?? 0m));
    }

    /// <summary>One look at every line across the workers: claims what is free while this worker has submitters free; returns how many lines are still open.</summary>
    private int Look(List<LineStatus> statuses, ILookup<string, SharedLine> shared, DateTimeOffset started, CancellationToken cancellationToken)
    {
        var open = 0;
        var free = BatchRun.MaxSubmitters - _mine.Values.Count(w => w.Sending && !w.Work.IsCompleted);
        foreach (var status in statuses)
        {
            if (_mine.TryGetValue(status.Line.Key, out var working))
            {
                if (!working.Work.IsCompleted)
                {
                    open++;
                    continue;
                }

                if (status.Phase != Phase.Queued)
                {
                    continue; // this worker ended the line itself: done, failed, uncertain or unfinished
                }
            }

            switch (SharedLines.Judge(status, shared[status.Line.Key].ToList(), started, ledger.Worker, settings.ResubmitUncertain, _work, _display))
            {
                case Verdict.Open:
                    open++;
                    break;
                case Verdict.Claimable when (_capReached ?? _work.Streak.StoppedNote) is { } halted:
                    status.Note ??= halted;
                    break;
                case Verdict.Claimable:
                    open++;
                    if (free > 0 && !cancellationToken.IsCancellationRequested && Take(status, cancellationToken))
                    {
                        free--;
                    }

                    break;
            }
        }

        return open;
    }

    /// <summary>Claims a free line: true when this worker now sends it (one of its submitters is busy).</summary>
    private bool Take(LineStatus status, CancellationToken cancellationToken)
    {
        var claim = ledger.Claim(endpoint.LedgerName, LedgeredCreate.Serialize(status.Line.Request), batchPath, status.Line.Key, status.Line.Number, settings.ResubmitUncertain);
        if (claim.Id is { } id)
        {
            if (claim.TakenFrom is { } from)
            {
                _display.Event($"line {status.Label}: taken over from {Text.Safe(from, 60)} (it stopped before sending the line)");
            }

            _mine[status.Line.Key] = (Task.Run(() => SubmitAsync(status, id, cancellationToken), CancellationToken.None), true);
            return true;
        }

        if (claim is { TakenFrom: { } previous, HeldBy: { Outcome: "created", TaskId: { } taskId } held })
        {
            status.TaskId = taskId;
            _work.Move(status, Phase.Submitted);
            _display.Event($"line {status.Label}: taken over from {Text.Safe(previous, 60)} (its lease ran out); following {Text.Safe(taskId)}");
            _mine[status.Line.Key] = (Task.Run(() => FollowAsync(status, held.Id, cancellationToken), CancellationToken.None), false);
        }

        return false; // otherwise a live worker holds it, or it may exist now: the next look says which
    }

    private async Task SubmitAsync(LineStatus status, long submission, CancellationToken cancellationToken)
    {
        switch (await _work.SendAsync(status, submission, Budget, cancellationToken).ConfigureAwait(false))
        {
            case SendOutcome.Created:
                _mine[status.Line.Key] = (Task.Run(() => FollowAsync(status, submission, cancellationToken), CancellationToken.None), false); // its submitter is free again
                break;
            case SendOutcome.OverBudget:
                _capReached ??= status.Note;
                break;
            case SendOutcome.Uncertain or SendOutcome.Failed:
                Release(submission);
                break;
        }
    }

    private async Task FollowAsync(LineStatus status, long submission, CancellationToken cancellationToken)
    {
        await _work.FollowAsync(status, cancellationToken).ConfigureAwait(false);
        if (!cancellationToken.IsCancellationRequested)
        {
            Release(submission); // done, failed, or unfinished for this run: another worker may keep waiting for it
        }
    }

    private void Release(long submission)
    {
        try
        {
            ledger.Release(submission);
        }
        catch (LedgerException)
        {
            // The lease ends by itself.
        }
    }

    private async Task RenewAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(ledger.Lease / 3, cancellationToken).ConfigureAwait(false);
                await Task.Run(ledger.Renew, CancellationToken.None).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (LedgerException exception)
            {
                _display.Event($"warning: could not renew this worker's claims ({Text.Safe(exception.Message, 160)})");
            }
        }
    }
}
