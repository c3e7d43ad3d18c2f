using System.Diagnostics;
using System.Globalization;
using KlingGenerated.Cli.Ledger;

namespace KlingGenerated.Cli.Batch;

/// <summary>What became of a held line's createTask.</summary>
internal enum SendOutcome
{
    /// <summary>Created: follow its task.</summary>
    Created,

    /// <summary>May exist (or created and not recorded): never sent again by itself.</summary>
    Uncertain,

    /// <summary>Surely not created (refused, or not sent for a reason that stays).</summary>
    Failed,

    /// <summary>Not sent, nothing created: interrupted, or another worker took the line over and sends it.</summary>
    NotSent,

    /// <summary>Not sent: --max-credits is used up; the note says so.</summary>
    OverBudget,

    /// <summary>Not sent: the run stopped sending after uncertain createTasks in a row (<see cref="UncertainStreak"/>).</summary>
    Stopped,
}

/// <summary>
/// What a batch run (one machine's, or one worker's of a shared ledger) does with a line it holds: sends its createTask
/// through the library's spend gate and records the outcome on the line, then follows its task and downloads the result.
/// </summary>
internal sealed class LineWork(ITaskLedger ledger, Endpoint endpoint, BatchSettings settings, BatchTotals totals)
{
    private readonly LineUploads _uploads = new(endpoint.Client); // one per run: a file several lines use is uploaded once

    // The run's createTasks go one at a time, pacing wait included: a kill -9 then leaves at most one line on the wire
    // (uncertain). The run's other submitter claims its next line (a ledger write) meanwhile, which keeps the rate.
    private readonly SemaphoreSlim _wire = new(BatchRun.MaxOnTheWire, BatchRun.MaxOnTheWire);

    /// <summary>Uncertain outcomes in a row: past <see cref="UncertainStreak.Limit"/> the run sends no new line.</summary>
    public UncertainStreak Streak { get; } = new();

    /// <summary>The run's counts by phase and its submit times.</summary>
    public BatchTotals Totals => totals;

    /// <summary>Where events are shown (set once the run starts showing).</summary>
    public BatchDisplay Display { get; set; } = null!;

    /// <summary>Sends the createTask of a line claimed as submission <paramref name="id"/>, and records its outcome on the line.</summary>
    public async Task<SendOutcome> SendAsync(LineStatus status, long id, BatchBudget budget, CancellationToken cancellationToken)
    {
        if (Stopped(status, id))
        {
            return SendOutcome.Stopped;
        }

        if (await UploadImagesAsync(status, id, cancellationToken).ConfigureAwait(false) is not { } request)
        {
            return status.Phase == Phase.Failed ? SendOutcome.Failed : SendOutcome.NotSent;
        }

        try
        {
            await _wire.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            ledger.RecordNotSent(id, "not sent: interrupted while another createTask of the run was on the wire");
            status.Note = "not sent (interrupted)";
            return SendOutcome.NotSent; // nothing was sent: the next run (or another worker) sends it
        }

        CreateResult result;
        var stopsNow = false;
        try
        {
            if (Stopped(status, id))
            {
                return SendOutcome.Stopped; // the createTask before this one stopped the run while this line waited for the wire
            }

            result = await LedgeredCreate.TryCreateRecordedAsync(ledger, id, endpoint.Client, request, cancellationToken, budget.Budget).ConfigureAwait(false);
            stopsNow = Streak.Count(result.Outcome); // still on the wire: the next line sees the stop before it is sent
        }
        finally
        {
            _wire.Release();
        }

        switch (result.Outcome)
        {
            case "created":
                status.TaskId = result.TaskId;
                Move(status, Phase.Submitted);
                totals.NoteSubmitted();
                Display.Event($"line {status.Label}: created {Text.Safe(result.TaskId)}");
                return SendOutcome.Created;
            case "unrecorded":
                // Created and paid for, but the ledger failed: the id is shown on this line, never lost; the batch goes on.
                status.TaskId = result.TaskId;
                status.Note = ExitCodes.OneLine(result.Error!.Message);
                Move(status, Phase.Uncertain);
                Display.Event($"line {status.Label}: created {Text.Safe(result.TaskId)}, but the ledger could not record it ({Text.Safe(status.Note, 160)})");
                return SendOutcome.Uncertain;
            case "uncertain":
                status.Note = "may exist: " + ExitCodes.OneLine(result.Error!.Message);
                Move(status, Phase.Uncertain);
                Display.Event($"line {status.Label}: uncertain, may exist ({Text.Safe(status.Note, 120)})");
                if (stopsNow)
                {
                    Display.Event($"stopped sending: {UncertainStreak.Limit} createTasks in a row ended uncertain (it is unknown whether their tasks exist); the lines not sent yet stay unsent");
                }

                return SendOutcome.Uncertain;
        }

        if (result.Error is KlingApiException { Kind: KlingErrorKind.BudgetExceeded } over)
        {
            // The library's spend gate refused it before anything was sent: the line stays unsent, and so do the rest.
            status.Note = $"not sent: --max-credits {(budget.MaxCredits is { } cap ? KlingBudget.FormatCredits(cap) : "?")} for this batch is used up ({budget.Budget})";
            Display.Event($"line {status.Label}: {Text.Safe(ExitCodes.OneLine(over.Message), 200)}");
            return SendOutcome.OverBudget;
        }

        if (result.Error is OperationCanceledException && cancellationToken.IsCancellationRequested)
        {
            status.Note = "not sent (interrupted)";
            return SendOutcome.NotSent; // stays queued: nothing was sent, the next run (or another worker) sends it
        }

        if (TakenOver(result.Error) is { } taken)
        {
            Display.Event($"line {status.Label}: {Text.Safe(taken.Message, 160)}");
            return SendOutcome.NotSent; // the worker that took it over sends it
        }

        status.Note = "not created: " + ExitCodes.OneLine(result.Error!.Message);
        Move(status, Phase.Failed);
        Display.Event($"line {status.Label}: {Text.Safe(status.Note, 160)}");
        return SendOutcome.Failed;
    }

    /// <summary>True when the run stopped sending (<see cref="UncertainStreak"/>): the line is recorded as not sent, so a later run sends it.</summary>
    private bool Stopped(LineStatus status, long id)
    {
        if (Streak.StoppedNote is not { } note)
        {
            return false;
        }

        ledger.RecordNotSent(id, note);
        status.Note = note;
        return true;
    }

    /// <summary>
    /// The request to send for a claimed line, its local images uploaded first (free); null when an upload failed or was
    /// interrupted, recorded as not sent (nothing was created, so the next run sends the line).
    /// </summary>
    private async Task<VideoTaskRequest?> UploadImagesAsync(LineStatus status, long id, CancellationToken cancellationToken)
    {
        try
        {
            return await _uploads.RequestToSendAsync(status, Display, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            status.Note = "not sent (interrupted)";
            ledger.RecordNotSent(id, "not sent: interrupted while its image was uploaded");
            return null;
        }
        catch (Exception exception) when (exception is KlingApiException or System.ComponentModel.DataAnnotations.ValidationException or LineImageChangedException or HttpRequestException)
        {
            var problem = "the image upload failed: " + ExitCodes.OneLine(exception.Message);
            ledger.RecordNotSent(id, "not sent: " + problem);
            status.Note = "not created: " + problem;
            Move(status, Phase.Failed);
            Display.Event($"line {status.Label}: not sent, {Text.Safe(problem, 200)}");
            return null;
        }
    }

    /// <summary>Waits for the line's task and downloads its result; a failure fails the line, a wait that ran out leaves it unfinished.</summary>
    public async Task FollowAsync(LineStatus status, CancellationToken cancellationToken)
    {
        await Task.Yield();
        var started = Stopwatch.StartNew();
        var taskId = status.TaskId!;
        try
        {
            var polling = TaskCommands.Polling(endpoint, settings.TimeoutMinutes);
            var record = await endpoint.Client.WaitForCompletionAsync(taskId, polling, new LedgerProgress(ledger, endpoint.LedgerName, taskId, new StateWatcher(this, status)), cancellationToken).ConfigureAwait(false);
            totals.NoteDuration(started.Elapsed);
            status.ResultUrls = record.GetResultUrls().Select(u => u.ToString()).ToList();
            status.File = await ResultFiles.SaveAsync(ledger, endpoint, taskId, record.GetResultUrls(), settings.OutDirectory, null, cancellationToken, name: LineFileName.Of(status.Line.UserId, settings.Rerun)).ConfigureAwait(false);
            status.Note = null;
            Move(status, Phase.Done);
            Display.Event($"line {status.Label}: done {Text.Safe(taskId)} -> {Text.Safe(status.File, 120)}");
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
            Display.Event($"line {status.Label}: unfinished {Text.Safe(taskId)}: {Text.Safe(status.Note, 160)}");
        }
        catch (Exception exception)
        {
            // Whatever one task or its answer does wrong (a failed task, an unreadable resultJson, a broken download, a
            // ledger write) fails its line, never the run: the other lines go on.
            status.Note = ExitCodes.OneLine(exception.Message);
            Move(status, Phase.Failed);
            Display.Event($"line {status.Label}: failed {Text.Safe(taskId)}: {Text.Safe(status.Note, 160)}");
        }
    }

    public void Move(LineStatus status, Phase to)
    {
        lock (status)
        {
            totals.Move(status.Phase, to);
            status.Phase = to;
        }
    }

    // The fence of a shared ledger refuses "sending" for a line another worker took over; the library passes it on.
    private static LedgerLineTakenException? TakenOver(Exception? error)
    {
        for (var e = error; e is not null; e = e.InnerException)
        {
            if (e is LedgerLineTakenException taken)
            {
                return taken;
            }
        }

        return null;
    }

    /// <summary>Moves a line to "running" when its task is seen waiting, queuing or generating.</summary>
    private sealed class StateWatcher(LineWork work, LineStatus status) : IProgress<TaskRecord>
    {
        public void Report(TaskRecord value)
        {
            if (value.State is TaskState.Waiting or TaskState.Queuing or TaskState.Generating && status.Phase == Phase.Submitted)
            {
                work.Move(status, Phase.Running);
            }
        }
    }
}
