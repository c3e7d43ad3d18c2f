using Newtonsoft.Json;

namespace KlingGenerated.Cli.Ledger;

/// <summary>
/// createTask with the ledger around it: recorded before it is sent, and after it is answered through the library's
/// journal (<see cref="LedgerJournal"/>). Whether a task may exist is the library's decision
/// (<see cref="KlingApiException.TaskMayExist"/>, <see cref="KlingCreateTaskOutcome"/>); this class only records it.
/// </summary>
internal static class LedgeredCreate
{
    private static readonly JsonSerializerSettings RequestJson = new() { NullValueHandling = NullValueHandling.Ignore };

    /// <summary>The request as the ledger stores it.</summary>
    public static string Serialize(VideoTaskRequest request) => JsonConvert.SerializeObject(request, RequestJson);

    /// <summary>Creates the task, recording it; returns its id. A failure is recorded, then rethrown.</summary>
    public static async Task<string> CreateTaskAsync(ITaskLedger ledger, string endpoint, IKlingClient client, VideoTaskRequest request,
        CancellationToken cancellationToken, string? batch = null, string? lineKey = null, int? lineNumber = null)
    {
        var id = ledger.RecordQueued(endpoint, Serialize(request), batch, lineKey, lineNumber);
        var result = await TryCreateRecordedAsync(ledger, id, client, request, cancellationToken).ConfigureAwait(false);
        if (result.Error is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(result.Error);
        }

        return result.TaskId!;
    }

    /// <summary>
    /// Sends the createTask of submission <paramref name="id"/> (already recorded as queued) and records the answer:
    /// created, uncertain (may exist), rejected (nothing created) or not sent. A task id the ledger could not record is
    /// still returned in <see cref="CreateResult.TaskId"/>, with the outcome "unrecorded".
    /// </summary>
    public static async Task<CreateResult> TryCreateRecordedAsync(ITaskLedger ledger, long id, IKlingClient client, VideoTaskRequest request, CancellationToken cancellationToken, KlingBudget? budget = null)
    {
        var tracked = LedgerJournal.Shared.Track(ledger, id, request);
        // Cancelling stops a createTask only until its body starts to leave; after that its answer is awaited, so that
        // Ctrl+C leaves a task id in the ledger rather than an "uncertain" entry.
        using var requestCancellation = new CancellationTokenSource();
        using var stop = cancellationToken.Register(() => tracked.CancelIfNotSent(requestCancellation));
        try
        {
            var created = budget is null
                ? await client.CreateTaskAsync(request, requestCancellation.Token).ConfigureAwait(false)
                : await client.CreateTaskAsync(request, budget, requestCancellation.Token).ConfigureAwait(false); // the library's spend gate reserves it
            var taskId = created.Data!.TaskId!; // the library answers only with a task id, or throws
            if (tracked.DuplicateOf is { } other)
            {
                return new CreateResult(null, "uncertain", new CliServiceException(
                    $"the service answered task id {Text.Safe(taskId)}, which the ledger already holds for another request (#{other}), so this request's own task cannot be followed. " +
                    "A task may have been created and charged: the ledger keeps this request as uncertain (`kling tasks --state uncertain`); check your credits before submitting again, and report the duplicate id."));
            }

            return new CreateResult(taskId, "created", null);
        }
        catch (KlingApiException exception) when (exception is { TaskId: not null, InnerException: LedgerException })
        {
            var taskId = exception.TaskId!;
            var ledgerError = (LedgerException)exception.InnerException!;
            // Created and paid for, but the ledger could not record it: the id goes to the caller, never lost.
            return new CreateResult(taskId, "unrecorded", new CliServiceException(
                $"task {Text.Safe(taskId)} was created and charged, but the task ledger could not record it ({ExitCodes.OneLine(ledgerError.Message)}). " +
                $"Keep this id: `{TerminalText.KlingCommand("wait", taskId)}` follows it; do not submit again.", "ledger-error", exception));
        }
        catch (LedgerLineTakenException taken)
        {
            // A shared ledger's fence: another worker took the line over before this one sent it; that worker sends it.
            return new CreateResult(null, "not-sent", taken);
        }
        catch (Exception exception) when (exception is not LedgerException)
        {
            if (tracked.Outcome is null)
            {
                // The library refused before starting the submission (invalid input): nothing was sent.
                ledger.RecordNotSent(id, "not sent: " + ExitCodes.OneLine(exception.Message));
                return new CreateResult(null, "not-sent", exception);
            }

            return new CreateResult(null, tracked.Outcome.TaskMayExist ? "uncertain" : tracked.Submission?.Sent == true ? "rejected" : "not-sent", exception);
        }
        finally
        {
            LedgerJournal.Shared.Forget(request);
        }
    }
}

/// <summary>
/// What became of one createTask: its task id, or the outcome the ledger recorded and the error. Outcomes: created,
/// uncertain (may exist), rejected (the service created nothing), not-sent, or unrecorded (created, the id is in
/// <see cref="TaskId"/>, the ledger failed).
/// </summary>
internal sealed record CreateResult(string? TaskId, string Outcome, Exception? Error);
