using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using KlingGenerated.Cli.Ledger;

namespace KlingGenerated.Cli.Batch;

/// <summary>
/// One run of a batch: resumes from the ledger (done lines skipped, created tasks waited on and downloaded, uncertain
/// lines reported), submits the rest through the client's pacing, waits concurrently and downloads each result as it ends.
/// </summary>
internal sealed class BatchRun(ITaskLedger ledger, Endpoint endpoint, string batchPath, BatchSettings settings, TextWriter error, CliTerminal terminal, double? balance)
{
    // Creates in flight at once, as few as the rate needs: a kill leaves at most this many lines uncertain. Measured on a
    // loaded machine (docs/performance.md): one reached 86.5 % and 90.6 % of 20 per 10 s (its ledger writes and the
    // create's round trip add up in series), two 92.4 % and 92.8 %, so two.
    private const int MaxSubmitters = 2;
    private readonly BatchTotals _totals = new(settings.RateLimit, TimeSpan.FromSeconds(settings.RateWindowSeconds));
    private readonly ConcurrentBag<Task> _waits = [];
    private BatchDisplay _display = null!;
    private volatile string? _capReached;

    /// <summary>What this run may spend (set when it starts).</summary>
    public BatchBudget Budget { get; private set; } = null!;

    public async Task<BatchResult> RunAsync(IReadOnlyList<BatchLine> lines, CancellationToken cancellationToken)
    {
        var statuses = Plan(lines);
        var toSend = statuses.Where(s => s.Phase == Phase.Queued).Select(s => s.Line.Request).ToList();
        var pricing = (endpoint.Client as KlingClient)?.Options.Pricing ?? KlingPricing.Document;
        // --max-credits caps the batch across its runs: what earlier runs of these lines paid (or may have) counts.
        var spentBefore = statuses.Where(s => s.PaidBefore).Sum(s => pricing.PriceOf(s.Line.Request) ?? 0m);
        Budget = new BatchBudget(balance, settings.MaxCredits, spentBefore, pricing);
        await error.WriteLineAsync(Budget.Describe(toSend)).ConfigureAwait(false);
        if (Budget.Refusal(toSend) is { } refusal)
        {
            throw new CliServiceException(refusal, "insufficient-credits");
        }

        _display = new BatchDisplay(error, _totals, terminal.Live && terminal.Ansi, terminal.Width);
        var skipped = statuses.Count(s => s.Phase == Phase.Done);
        await error.WriteLineAsync($"Batch {Text.Safe(Path.GetFileName(batchPath))}: {lines.Count} line(s); {skipped} already done, {statuses.Count(s => s.Phase == Phase.Uncertain)} uncertain, "
            + $"{statuses.Count(s => s.TaskId is not null && s.Phase != Phase.Done && s.Phase != Phase.Failed)} to wait for, {statuses.Count(s => s.Phase == Phase.Queued)} to submit at {settings.RateLimit} per {_totals.WindowText}. Ledger: {ledger.Location}");

        try
        {
            foreach (var status in statuses.Where(s => s.Phase == Phase.Uncertain))
            {
                _display.Event($"line {status.Label}: uncertain, not sent again ({Text.Safe(status.Note, 120)}); --resubmit-uncertain sends it again");
            }

            foreach (var status in statuses.Where(s => s.TaskId is not null && s.Phase is Phase.Submitted or Phase.Running))
            {
                _waits.Add(FollowAsync(status, cancellationToken));
            }

            // A few submitters keep the client's pacer busy (it holds each until its permit is due) while few createTasks
            // are in flight at once: a request in flight when the process dies can only be recorded as uncertain.
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

        var span = _totals.SubmitSpan();
        return new BatchResult(statuses, cancellationToken.IsCancellationRequested, span.Count, span.Last - span.First, settings.RateLimit, settings.RateWindowSeconds, skipped);
    }

    private List<LineStatus> Plan(IReadOnlyList<BatchLine> lines)
    {
        var known = Known(ledger, endpoint.LedgerName);
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

            _totals.Add(status.Phase);
            statuses.Add(status);
        }

        return statuses;
    }

    /// <summary>The ledger's batch rows of this endpoint by line key, whatever file, folder or name they were sent from.</summary>
    internal static ILookup<string, LedgerEntry> Known(ITaskLedger ledger, string endpoint) =>
        ledger.BatchLines(endpoint).ToLookup(e => e.LineKey!, StringComparer.Ordinal);

    /// <summary>
    /// Lines whose id was already sent with another request: sending would pay for a new task under an id the ledger
    /// gives an older one, and skipping would drop the user's edit. Refused before anything is sent.
    /// </summary>
    internal static List<BatchLineError> Conflicts(ILookup<string, LedgerEntry> known, IEnumerable<BatchLine> lines) =>
        lines.Where(l => l.UserId is not null)
            .Select(l => (Line: l, Earlier: known[l.Key].LastOrDefault(r => r.Outcome is "created" or "uncertain" or "sending")))
            .Where(c => c.Earlier is not null && !SameRequest(c.Earlier.Request, LedgeredCreate.Serialize(c.Line.Request)))
            .Select(c => new BatchLineError(c.Line.Number,
                $"the id \"{Text.Safe(c.Line.UserId, 60)}\" was sent on {c.Earlier!.QueuedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} UTC with another request"
                + (c.Earlier.TaskId is { } t ? $" (task {Text.Safe(t, 60)})" : string.Empty) + " (ids are matched across every batch of this ledger); "
                + "give the line a new id to send it, or pass --rerun NAME to send the whole batch again as a new run (pays again)."))
            .ToList();

    private static bool SameRequest(string? earlier, string now)
    {
        try
        {
            return earlier is not null && Newtonsoft.Json.Linq.JToken.DeepEquals(Newtonsoft.Json.Linq.JToken.Parse(earlier), Newtonsoft.Json.Linq.JToken.Parse(now));
        }
        catch (Newtonsoft.Json.JsonException)
        {
            return false;
        }
    }

    private async Task SubmitAllAsync(ConcurrentQueue<LineStatus> queue, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested && queue.TryDequeue(out var status))
        {
            if (_capReached is not null)
            {
                status.Note = _capReached;
                return;
            }

            await SubmitOneAsync(status, cancellationToken).ConfigureAwait(false);
            if (_capReached is not null)
            {
                while (queue.TryDequeue(out var rest))
                {
                    rest.Note = _capReached;
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
        var result = await LedgeredCreate.TryCreateRecordedAsync(ledger, id, endpoint.Client, status.Line.Request, cancellationToken, Budget.Budget).ConfigureAwait(false);
        switch (result.Outcome)
        {
            case "created":
                status.TaskId = result.TaskId;
                Move(status, Phase.Submitted);
                _totals.NoteSubmitted();
                _display.Event($"line {status.Label}: created {Text.Safe(result.TaskId)}");
                _waits.Add(FollowAsync(status, cancellationToken));
                break;
            case "unrecorded":
                // Created and paid for, but the ledger failed: the id is shown on this line, never lost; the batch goes on.
                status.TaskId = result.TaskId;
                status.Note = ExitCodes.OneLine(result.Error!.Message);
                Move(status, Phase.Uncertain);
                _display.Event($"line {status.Label}: created {Text.Safe(result.TaskId)}, but the ledger could not record it ({Text.Safe(status.Note, 160)})");
                break;
            case "uncertain":
                status.Note = "may exist: " + ExitCodes.OneLine(result.Error!.Message);
                Move(status, Phase.Uncertain);
                _display.Event($"line {status.Label}: uncertain, may exist ({Text.Safe(status.Note, 120)})");
                break;
            default:
                if (result.Error is KlingApiException { Kind: KlingErrorKind.BudgetExceeded } over)
                {
                    // The library's spend gate refused it before anything was sent: the line stays unsent, and so do the rest.
                    _capReached ??= $"not sent: --max-credits {Budget.MaxCredits?.ToString(CultureInfo.InvariantCulture)} for this batch is used up ({Budget.Budget})";
                    status.Note = _capReached;
                    _display.Event($"line {status.Label}: {Text.Safe(ExitCodes.OneLine(over.Message), 200)}");
                    return false;
                }

                if (result.Error is OperationCanceledException && cancellationToken.IsCancellationRequested)
                {
                    status.Note = "not sent (interrupted)";
                    return false; // stays queued: nothing was sent, the next run sends it
                }

                status.Note = "not created: " + ExitCodes.OneLine(result.Error!.Message);
                Move(status, Phase.Failed);
                _display.Event($"line {status.Label}: {Text.Safe(status.Note, 160)}");
                break;
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
            Move(status, Phase.Submitted);
            _display.Event($"line {status.Label}: already created by another run ({Text.Safe(taskId)}); following it, not paying again");
            _waits.Add(FollowAsync(status, cancellationToken));
            return true;
        }

        status.Note = "may exist: " + (held.Message ?? "another run sent it and no answer was recorded");
        Move(status, Phase.Uncertain);
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

    private async Task FollowAsync(LineStatus status, CancellationToken cancellationToken)
    {
        await Task.Yield();
        var started = Stopwatch.StartNew();
        var taskId = status.TaskId!;
        try
        {
            var polling = TaskCommands.Polling(endpoint, settings.TimeoutMinutes);
            var record = await endpoint.Client.WaitForCompletionAsync(taskId, polling, new LedgerProgress(ledger, endpoint.LedgerName, taskId, new StateWatcher(this, status)), cancellationToken).ConfigureAwait(false);
            _totals.NoteDuration(started.Elapsed);
            status.ResultUrls = record.GetResultUrls().Select(u => u.ToString()).ToList();
            status.File = await ResultFiles.SaveAsync(ledger, endpoint, taskId, record.GetResultUrls(), settings.OutDirectory, null, cancellationToken, name: LineFileName.Of(status.Line.UserId, settings.Rerun)).ConfigureAwait(false);
            status.Note = null;
            Move(status, Phase.Done);
            _display.Event($"line {status.Label}: done {Text.Safe(taskId)} -> {Text.Safe(status.File, 120)}");
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Interrupted: the task keeps running; the next run waits for it.
        }
        catch (KlingApiException exception) when (exception.Kind != KlingErrorKind.TaskFailed)
        {
            // The task was not reported failed: a query that kept failing or a wait that ran out says nothing about the
            // task, which may still succeed. The line stays unfinished, and the next run waits for it again.
            status.Note = exception is { Kind: KlingErrorKind.Timeout, TaskId: not null } waited
                ? $"still {waited.LastState ?? "not visible"} after {settings.TimeoutMinutes.ToString(CultureInfo.InvariantCulture)} min; run again to keep waiting"
                : $"still unfinished: {ExitCodes.OneLine(exception.Message)} Run again to keep waiting";
            _display.Event($"line {status.Label}: unfinished {Text.Safe(taskId)}: {Text.Safe(status.Note, 160)}");
        }
        catch (Exception exception)
        {
            // Whatever one task or its answer does wrong (a failed task, an unreadable resultJson, a broken download, a
            // ledger write) fails its line, never the run: the other lines go on.
            status.Note = ExitCodes.OneLine(exception.Message);
            Move(status, Phase.Failed);
            _display.Event($"line {status.Label}: failed {Text.Safe(taskId)}: {Text.Safe(status.Note, 160)}");
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
    private sealed class StateWatcher(BatchRun run, LineStatus status) : IProgress<TaskRecord>
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

/// <summary>A line of the batch and where it is in this run.</summary>
internal sealed class LineStatus(BatchLine line)
{
    public BatchLine Line => line;

    public Phase Phase { get; set; } = Phase.Queued;

    /// <summary>An earlier run created this line's task, or may have: its price counts against --max-credits.</summary>
    public bool PaidBefore { get; set; }

    public string? TaskId { get; set; }

    public string? File { get; set; }

    public string? Note { get; set; }

    public IReadOnlyList<string> ResultUrls { get; set; } = [];

    public string Label => line.UserId is null ? line.Number.ToString(CultureInfo.InvariantCulture) : $"{line.Number.ToString(CultureInfo.InvariantCulture)} ({Text.Safe(line.UserId, 40)})";

    public string StateText => Phase switch
    {
        Phase.Queued => "not-sent",
        Phase.Submitted or Phase.Running => "unfinished",
        _ => Phase.ToString().ToLowerInvariant(),
    };
}

/// <summary>What a batch run ended with.</summary>
internal sealed class BatchResult(IReadOnlyList<LineStatus> lines, bool interrupted, int created, TimeSpan submitSpan, int limit, double windowSeconds, int skipped)
{
    public IReadOnlyList<LineStatus> Lines => lines;

    public bool Interrupted => interrupted;

    public bool AllDone => lines.All(l => l.Phase == Phase.Done);

    /// <summary>0 when every line is done; 4 when a task failed; 3 when lines are uncertain, unsent or unfinished.</summary>
    public int ExitCode => AllDone ? ExitCodes.Success : lines.Any(l => l.Phase == Phase.Failed) ? ExitCodes.TaskFailed : ExitCodes.ServiceError;

    /// <summary>The sustained creation rate as a fraction of the limit, after the first window's burst; null when all fit in one burst.</summary>
    public double? ThroughputFraction => created <= limit || submitSpan <= TimeSpan.Zero ? null : (created - limit) / submitSpan.TotalSeconds * windowSeconds / limit;

    // priceOf: a line's price (the batch's BatchBudget.PriceOf); default the document's.
    public string Closing(int invalid, string ledgerPath, KlingBudget? budget = null, Func<VideoTaskRequest, decimal?>? priceOf = null)
    {
        int Count(Phase phase) => lines.Count(l => l.Phase == phase);
        priceOf ??= KlingPricing.Document.PriceOf;
        var throughput = ThroughputFraction is { } f ? $" Sustained throughput {(f * 100).ToString("0", CultureInfo.InvariantCulture)} % of the limit ({created} created in {submitSpan.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)} s)." : string.Empty;
        var capped = budget is not null && Count(Phase.Queued) > 0 && !interrupted;
        var verdict = AllDone ? "All lines are done." : Count(Phase.Uncertain) > 0
            ? UncertainLines.Advice([.. lines.Where(l => l.Phase == Phase.Uncertain).Select(l => (l.Label, priceOf(l.Line.Request)))])
            : capped && Count(Phase.Failed) + Count(Phase.Submitted) + Count(Phase.Running) == 0
                ? null // the cap's sentence says what running again does
                : "Run the same command again to retry what failed to be created and to wait for what is unfinished.";
        return $"Batch finished: {lines.Count} line(s): done {Count(Phase.Done)} ({skipped} from earlier runs), failed {Count(Phase.Failed)}, uncertain {Count(Phase.Uncertain)}, unfinished {Count(Phase.Submitted) + Count(Phase.Running)}, not sent {Count(Phase.Queued)}"
            + (invalid > 0 ? $", invalid {invalid} (skipped)" : string.Empty) + $".{throughput}" + (verdict is null ? string.Empty : " " + verdict)
            + (budget is { } b && capped
                ? $" --max-credits caps the batch across its runs ({b}): running the same command again with the same cap sends nothing more; raise it to send the {Count(Phase.Queued)} line(s) not sent."
                : string.Empty);
    }

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
        skippedAsDone = skipped,
        created,
        throughput = new { created, seconds = submitSpan.TotalSeconds, limit, windowSeconds, fractionOfLimit = ThroughputFraction },
        invalid = errors.Select(e => new { line = e.Number, problem = e.Problem }),
        lines = lines.Select(l => new { line = l.Line.Number, id = l.Line.UserId, key = l.Line.Key, taskId = l.TaskId, state = l.StateText, file = l.File, note = l.Note }),
    };
}
