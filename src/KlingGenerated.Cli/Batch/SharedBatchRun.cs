using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using KlingGenerated.Cli.Ledger;

namespace KlingGenerated.Cli.Batch;

/// <summary>
/// One worker of a batch shared through a PostgreSQL ledger: it claims the file's lines one at a time (each line once,
/// by its key, across every worker and file), sends them through the shared pacing, follows and downloads its own
/// tasks into its --out, takes over the lines of workers that stopped renewing their lease, and ends when every line
/// of its file is done, failed or uncertain, whoever did it.
/// </summary>
internal sealed class SharedBatchRun(PostgresLedger ledger, Endpoint endpoint, string batchPath, BatchSettings settings, TextWriter error, CliTerminal terminal, BatchBudget budget)
{
    /// <summary>Creates this worker keeps claimed at once: few lines in flight, so a kill leaves at most that many uncertain.</summary>
    private const int Submitters = 2;
    private static readonly TimeSpan Look = TimeSpan.FromMilliseconds(500);
    private readonly BatchTotals _totals = new(settings.RateLimit, TimeSpan.FromSeconds(settings.RateWindowSeconds));
    private readonly ConcurrentDictionary<string, (Task Work, bool Sending)> _mine = new(StringComparer.Ordinal);
    private BatchDisplay _display = null!;
    private bool _budgetSpent;

    public async Task<BatchResult> RunAsync(IReadOnlyList<BatchLine> lines, CancellationToken cancellationToken)
    {
        var statuses = lines.GroupBy(l => l.Key, StringComparer.Ordinal).Select(g => new LineStatus(g.First())).ToList();
        var byKey = statuses.ToDictionary(s => s.Line.Key, StringComparer.Ordinal);
        var keys = byKey.Keys.ToList();
        foreach (var status in statuses)
        {
            _totals.Add(Phase.Queued);
        }

        await error.WriteLineAsync(budget.Describe(statuses.Count)).ConfigureAwait(false);
        if (budget.Refusal(statuses.Count) is { } refusal)
        {
            throw new CliServiceException(refusal, "insufficient-credits");
        }

        var started = ledger.Now(); // a line that failed since then is not sent again by this run
        _display = new BatchDisplay(error, _totals, terminal.Live && terminal.Ansi, terminal.Width);
        await error.WriteLineAsync($"Batch {Text.Safe(Path.GetFileName(batchPath))}: {statuses.Count} line(s), shared with the other workers of {ledger.Location} as {Text.Safe(ledger.Worker)}; "
            + $"sending at {settings.RateLimit} per {_totals.WindowText} {(settings.Redis is null ? "(paced by this worker alone)" : "(paced with the other workers through Redis)")}.").ConfigureAwait(false);
        using var renewal = new CancellationTokenSource();
        var renewing = RenewAsync(renewal.Token);
        var skipped = 0;
        try
        {
            while (true)
            {
                var shared = ledger.Lines(endpoint.LedgerName, keys);
                var open = 0;
                var free = Submitters - _mine.Values.Count(w => w.Sending && !w.Work.IsCompleted);
                foreach (var status in statuses)
                {
                    if (_mine.TryGetValue(status.Line.Key, out var working))
                    {
                        if (!working.Work.IsCompleted)
                        {
                            open++;
                            continue;
                        }

                        if (status.Phase is Phase.Done or Phase.Failed or Phase.Uncertain)
                        {
                            continue; // this worker ended the line itself
                        }
                    }

                    var verdict = Judge(status, shared[status.Line.Key].ToList(), started);
                    if (verdict == Verdict.Open)
                    {
                        open++;
                    }
                    else if (verdict == Verdict.Claimable && free > 0 && !_budgetSpent && !cancellationToken.IsCancellationRequested)
                    {
                        open++;
                        if (ledger.Claim(endpoint.LedgerName, batchPath, status.Line.Key, status.Line.Number, LedgeredCreate.Serialize(status.Line.Request)) is { } claim)
                        {
                            if (claim.Outcome == "created")
                            {
                                status.TaskId = claim.TaskId;
                                Move(status, Phase.Submitted);
                                _display.Event($"line {status.Label}: taken over from {Text.Safe(claim.TakenFrom, 60)} (its lease ran out); following {Text.Safe(claim.TaskId)}");
                                _mine[status.Line.Key] = (Task.Run(() => FollowAsync(status, claim.Submission, cancellationToken), CancellationToken.None), false);
                            }
                            else
                            {
                                if (claim.TakenFrom is not null)
                                {
                                    _display.Event($"line {status.Label}: taken over from {Text.Safe(claim.TakenFrom, 60)} (its lease ran out before it sent the line)");
                                }

                                free--;
                                _mine[status.Line.Key] = (Task.Run(() => SubmitAsync(status, claim.Submission, cancellationToken), CancellationToken.None), true);
                            }
                        }
                    }
                    else if (verdict == Verdict.Claimable)
                    {
                        open += _budgetSpent ? 0 : 1;
                    }
                }

                if (open == 0 || (cancellationToken.IsCancellationRequested && _mine.Values.All(w => w.Work.IsCompleted)))
                {
                    break;
                }

                var running = _mine.Values.Where(w => !w.Work.IsCompleted).Select(w => w.Work).ToList();
                await Task.WhenAny([Task.Delay(Look, CancellationToken.None), .. running]).ConfigureAwait(false);
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

        var span = _totals.SubmitSpan();
        return new BatchResult(statuses, cancellationToken.IsCancellationRequested, span.Count, span.Last - span.First, settings.RateLimit, settings.RateWindowSeconds, skipped);
    }

    private enum Verdict
    {
        /// <summary>Done, failed or uncertain: nothing left to do here.</summary>
        Closed,

        /// <summary>Held by a live worker: wait for it.</summary>
        Open,

        /// <summary>Nobody holds it, or its holder's lease ran out: claim it.</summary>
        Claimable,
    }

    /// <summary>Where a line stands across all workers, updating this worker's view of it.</summary>
    private Verdict Judge(LineStatus status, List<SharedLine> rows, DateTimeOffset started)
    {
        var active = rows.LastOrDefault(r => r.IsActive);
        if (active is null)
        {
            var last = rows.LastOrDefault();
            if (last is not null && last.AnsweredAt >= started)
            {
                status.Note ??= last.Message;
                Move(status, Phase.Failed); // rejected or not sent during this run: not sent again by this run
                return Verdict.Closed;
            }

            return Verdict.Claimable;
        }

        switch (active.Outcome)
        {
            case "uncertain":
                status.Note = "may exist: " + (active.Message ?? "the createTask was sent and no answer was recorded");
                if (status.Phase != Phase.Uncertain)
                {
                    Move(status, Phase.Uncertain);
                    _display.Event($"line {status.Label}: uncertain, not sent again ({Text.Safe(status.Note, 120)})");
                }

                return Verdict.Closed;
            case "created" when active.State == "fail":
                status.TaskId = active.TaskId;
                status.Note = $"failed (failCode {active.FailCode}: {active.FailMessage})";
                Move(status, Phase.Failed);
                return Verdict.Closed;
            case "created" when active.State == "success" && active.File is not null:
                status.TaskId = active.TaskId;
                if (status.Phase != Phase.Done)
                {
                    status.Note = active.Worker is { } by && by != ledger.Worker ? $"done by {by}: {active.File}" : null;
                    Move(status, Phase.Done);
                }

                return Verdict.Closed;
            case "sending" when active.Leased:
            case "queued" when active.Leased:
            case "created" when active.Leased:
                status.TaskId ??= active.TaskId;
                status.Note = active.Worker == ledger.Worker ? null : $"held by {active.Worker}";
                return Verdict.Open;
            default:
                return Verdict.Claimable; // its holder stopped renewing: queued to send, created to follow, sending to mark uncertain
        }
    }

    private async Task SubmitAsync(LineStatus status, long submission, CancellationToken cancellationToken)
    {
        var sent = await budget.SubmitAsync(() => SubmitOneAsync(status, submission, cancellationToken), cancellationToken).ConfigureAwait(false);
        if (!sent)
        {
            _budgetSpent = true;
            status.Note = $"not sent: another task could take the batch past --max-credits {budget.MaxCredits}";
            ledger.RecordNotSent(submission, status.Note);
            ledger.Release(submission);
            _display.Event($"line {status.Label}: {status.Note}");
        }
    }

    /// <summary>Sends the claimed line; true when a task was (or may have been) created.</summary>
    private async Task<bool> SubmitOneAsync(LineStatus status, long submission, CancellationToken cancellationToken)
    {
        var result = await LedgeredCreate.TryCreateRecordedAsync(ledger, submission, endpoint.Client, status.Line.Request, cancellationToken).ConfigureAwait(false);
        switch (result.Outcome)
        {
            case "created":
                status.TaskId = result.TaskId;
                Move(status, Phase.Submitted);
                _totals.NoteSubmitted();
                _display.Event($"line {status.Label}: created {Text.Safe(result.TaskId)}");
                _mine[status.Line.Key] = (Task.Run(() => FollowAsync(status, submission, cancellationToken), CancellationToken.None), false); // its submitter is free again
                return true;
            case "unrecorded":
                status.TaskId = result.TaskId;
                status.Note = ExitCodes.OneLine(result.Error!.Message);
                Move(status, Phase.Uncertain);
                _display.Event($"line {status.Label}: created {Text.Safe(result.TaskId)}, but the ledger could not record it ({Text.Safe(status.Note, 160)})");
                return true;
            case "uncertain":
                status.Note = "may exist: " + ExitCodes.OneLine(result.Error!.Message);
                Move(status, Phase.Uncertain);
                _display.Event($"line {status.Label}: uncertain, may exist ({Text.Safe(status.Note, 120)})");
                Release(submission);
                return true;
            default:
                if (result.Error is OperationCanceledException && cancellationToken.IsCancellationRequested)
                {
                    status.Note = "not sent (interrupted)";
                    return false; // stays queued; Leave() frees it for the other workers
                }

                if (result.Error is LedgerException lost && lost.Message.Contains("took over", StringComparison.Ordinal))
                {
                    _display.Event($"line {status.Label}: {Text.Safe(lost.Message, 160)}");
                    return false; // the other worker sends it: this one leaves the line alone
                }

                status.Note = "not created: " + ExitCodes.OneLine(result.Error!.Message);
                Move(status, Phase.Failed);
                _display.Event($"line {status.Label}: {Text.Safe(status.Note, 160)}");
                Release(submission);
                return false;
        }
    }

    private async Task FollowAsync(LineStatus status, long submission, CancellationToken cancellationToken)
    {
        await Task.Yield();
        var clock = Stopwatch.StartNew();
        var taskId = status.TaskId!;
        try
        {
            var polling = TaskCommands.Polling(endpoint, settings.TimeoutMinutes);
            var record = await endpoint.Client.WaitForCompletionAsync(taskId, polling, new LedgerProgress(ledger, endpoint.LedgerName, taskId, new Running(this, status)), cancellationToken).ConfigureAwait(false);
            _totals.NoteDuration(clock.Elapsed);
            status.ResultUrls = record.GetResultUrls().Select(u => u.ToString()).ToList();
            status.File = await ResultFiles.SaveAsync(ledger, endpoint, taskId, record.GetResultUrls(), settings.OutDirectory, null, cancellationToken).ConfigureAwait(false);
            status.Note = null;
            Move(status, Phase.Done);
            _display.Event($"line {status.Label}: done {Text.Safe(taskId)} -> {Text.Safe(status.File, 120)}");
            Release(submission);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Interrupted: the task keeps running; Leave() lets another worker (or the next run) follow it.
        }
        catch (Exception exception)
        {
            status.Note = exception is KlingApiException { Kind: KlingErrorKind.Timeout, TaskId: not null } waited
                ? $"still {waited.LastState ?? "not visible"} after {settings.TimeoutMinutes.ToString(CultureInfo.InvariantCulture)} min; run again to keep waiting"
                : ExitCodes.OneLine(exception.Message);
            Move(status, Phase.Failed);
            _display.Event($"line {status.Label}: failed {Text.Safe(taskId)}: {Text.Safe(status.Note, 160)}");
            Release(submission);
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

    private void Move(LineStatus status, Phase to)
    {
        lock (status)
        {
            _totals.Move(status.Phase, to);
            status.Phase = to;
        }
    }

    /// <summary>Moves a line to "running" when its task is seen waiting, queuing or generating.</summary>
    private sealed class Running(SharedBatchRun run, LineStatus status) : IProgress<TaskRecord>
    {
        public void Report(TaskRecord value)
        {
            if (value.State is TaskState.Waiting or TaskState.Queuing or TaskState.Generating && status.Phase == Phase.Submitted)
            {
                run.Move(status, Phase.Running);
            }
        }
    }
}
