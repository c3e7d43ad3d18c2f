using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using KlingGenerated.Cli.Ledger;

namespace KlingGenerated.Cli.Batch;

/// <summary>
/// One run of a batch: resumes from the ledger (done lines skipped, created tasks waited on and downloaded, uncertain
/// lines reported), submits the rest through the client's pacing, waits concurrently and downloads each result as it ends.
/// </summary>
internal sealed class BatchRun(ITaskLedger ledger, Endpoint endpoint, string batchPath, BatchSettings settings, TextWriter error, CliTerminal terminal, BatchBudget budget)
{
    private const int MaxSubmitters = 8;
    private readonly BatchTotals _totals = new(settings.RateLimit, TimeSpan.FromSeconds(settings.RateWindowSeconds));
    private readonly ConcurrentBag<Task> _waits = [];
    private BatchDisplay _display = null!;

    public async Task<BatchResult> RunAsync(IReadOnlyList<BatchLine> lines, CancellationToken cancellationToken)
    {
        var statuses = Plan(lines);
        var toSend = statuses.Count(s => s.Phase == Phase.Queued);
        await error.WriteLineAsync(budget.Describe(toSend)).ConfigureAwait(false);
        if (budget.Refusal(toSend) is { } refusal)
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
            else if (rows.LastOrDefault(r => r.IsUncertain) is { } uncertain && !settings.ResubmitUncertain)
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
            if (!await budget.SubmitAsync(() => SubmitOneAsync(status, cancellationToken), cancellationToken).ConfigureAwait(false))
            {
                status.Note = $"not sent: another task could take the batch past --max-credits {budget.MaxCredits}";
                _display.Event($"line {status.Label}: {status.Note}");
                while (queue.TryDequeue(out var rest))
                {
                    rest.Note = status.Note;
                }

                return;
            }
        }
    }

    /// <summary>Creates one line's task; true when a task was (or may have been) created.</summary>
    private async Task<bool> SubmitOneAsync(LineStatus status, CancellationToken cancellationToken)
    {
        var id = ledger.RecordQueued(endpoint.LedgerName, LedgeredCreate.Serialize(status.Line.Request), batchPath, status.Line.Key, status.Line.Number);
        var result = await LedgeredCreate.TryCreateRecordedAsync(ledger, id, endpoint.Client, status.Line.Request, cancellationToken).ConfigureAwait(false);
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
            status.File = await ResultFiles.SaveAsync(ledger, endpoint, taskId, record.GetResultUrls(), settings.OutDirectory, null, cancellationToken).ConfigureAwait(false);
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

    public string Closing(int invalid, string ledgerPath, double? maxCredits = null)
    {
        int Count(Phase phase) => lines.Count(l => l.Phase == phase);
        var throughput = ThroughputFraction is { } f ? $" Sustained throughput {(f * 100).ToString("0", CultureInfo.InvariantCulture)} % of the limit ({created} created in {submitSpan.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)} s)." : string.Empty;
        var verdict = AllDone ? "All lines are done." : Count(Phase.Uncertain) > 0
            ? $"{Count(Phase.Uncertain)} line(s) are uncertain: their tasks may exist and be charged; check `kling tasks --state uncertain`, then run again with --resubmit-uncertain only if you accept paying twice."
            : "Run the same command again to retry what failed to be created and to wait for what is unfinished.";
        return $"Batch finished: {lines.Count} line(s): done {Count(Phase.Done)} ({skipped} from earlier runs), failed {Count(Phase.Failed)}, uncertain {Count(Phase.Uncertain)}, unfinished {Count(Phase.Submitted) + Count(Phase.Running)}, not sent {Count(Phase.Queued)}"
            + (invalid > 0 ? $", invalid {invalid} (skipped)" : string.Empty) + $".{throughput} {verdict}"
            + (maxCredits is { } cap && Count(Phase.Queued) > 0 && !interrupted
                ? $" --max-credits {cap.ToString(CultureInfo.InvariantCulture)} caps what each run spends, not the batch's total: running the same command again sends the lines not sent, spending up to {cap.ToString(CultureInfo.InvariantCulture)} credits more."
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
