using System.ComponentModel.DataAnnotations;
using System.Net.Sockets;
using Newtonsoft.Json;

namespace KlingGenerated.Cli.Ledger;

/// <summary>createTask with the ledger around it: recorded before it is sent and after it is answered, whatever happens.</summary>
internal static class LedgeredCreate
{
    private static readonly JsonSerializerSettings RequestJson = new() { NullValueHandling = NullValueHandling.Ignore };

    /// <summary>The request as the ledger stores it.</summary>
    public static string Serialize(CreateTaskRequest request) => JsonConvert.SerializeObject(request, RequestJson);

    /// <summary>Creates the task, recording it; returns its id. A failure is recorded as uncertain or rejected, then rethrown.</summary>
    public static async Task<string> CreateTaskAsync(TaskLedger ledger, string endpoint, IKlingClient client, CreateTaskRequest request,
        CancellationToken cancellationToken, string? batch = null, string? lineKey = null, int? lineNumber = null)
    {
        var id = ledger.RecordQueued(endpoint, Serialize(request), batch, lineKey, lineNumber);
        return await CreateRecordedAsync(ledger, id, client, request, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sends the createTask of submission <paramref name="id"/> (already recorded as queued) and records the answer; throws what the client threw.</summary>
    public static async Task<string> CreateRecordedAsync(TaskLedger ledger, long id, IKlingClient client, CreateTaskRequest request, CancellationToken cancellationToken)
    {
        var result = await TryCreateRecordedAsync(ledger, id, client, request, cancellationToken).ConfigureAwait(false);
        if (result.Error is not null)
        {
            result.Error.Data[OutcomeKey] = result.Outcome; // lets --json say whether a paid task may exist
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(result.Error);
        }

        return result.TaskId!;
    }

    /// <summary>Sends the createTask of submission <paramref name="id"/> and records the answer: created, uncertain (may exist) or rejected (nothing created).</summary>
    public static async Task<CreateResult> TryCreateRecordedAsync(TaskLedger ledger, long id, IKlingClient client, CreateTaskRequest request, CancellationToken cancellationToken)
    {
        var tracked = LedgerSendingHandler.Track(ledger, id);
        CreateTaskResponse created;
        // Cancelling stops a createTask only until its body starts to leave; after that its answer is awaited, so that
        // Ctrl+C leaves a task id in the ledger rather than an "uncertain" entry.
        using var requestCancellation = new CancellationTokenSource();
        using var stop = cancellationToken.Register(() => tracked.CancelIfNotSent(requestCancellation));
        try
        {
            created = await client.CreateTaskAsync(request, requestCancellation.Token).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is not LedgerException)
        {
            var message = ExitCodes.OneLine(exception.Message);
            if (!tracked.Sent || SurelyCreatedNothing(exception))
            {
                ledger.RecordRejected(id, (tracked.Sent ? string.Empty : "not sent: ") + message);
                return new CreateResult(null, "rejected", exception);
            }

            ledger.RecordUncertain(id, message);
            return new CreateResult(null, "uncertain", exception);
        }

        var taskId = created.Data?.TaskId;
        if (string.IsNullOrEmpty(taskId))
        {
            var what = created.Data is null ? "no data" : "an empty task id";
            ledger.RecordUncertain(id, $"the service accepted the task (code {created.Code}) but answered {what}");
            return new CreateResult(null, "uncertain", new CliServiceException(
                $"the service accepted the task (code {created.Code}) but answered {what}, so it cannot be followed. A task may have been created and charged: " +
                "the ledger keeps this request as uncertain (`kling tasks --state uncertain`); check the task list in the kie.ai console before submitting again."));
        }

        LedgerEntry? other;
        lock (CreatedGate) // concurrent creates of one batch: the check and the record are one step
        {
            other = ledger.FindOtherHolder(id, taskId);
            if (other is null)
            {
                ledger.RecordCreated(id, taskId);
                return new CreateResult(taskId, "created", null);
            }
        }

        // One id for two requests is a service anomaly: following it would call another request's video this one's.
        var anomaly = $"the service answered task id {Text.Safe(taskId)}, which the ledger already holds for another request (#{other.Id}), so this request's own task cannot be followed";
        ledger.RecordUncertain(id, anomaly);
        return new CreateResult(null, "uncertain", new CliServiceException(
            $"{anomaly}. A task may have been created and charged: the ledger keeps this request as uncertain (`kling tasks --state uncertain`); check your credits before submitting again, and report the duplicate id."));
    }

    private static readonly object CreatedGate = new();

    /// <summary>The key of <see cref="Exception.Data"/> that carries a failed createTask's ledger outcome ("uncertain" or "rejected").</summary>
    public const string OutcomeKey = "kling.createOutcome";

    /// <summary>True when the service's answer says no task was created, so sending again cannot pay twice.</summary>
    internal static bool SurelyCreatedNothing(Exception exception) => exception switch
    {
        ValidationException => true,
        KlingApiException { HttpStatus: not null, Kind: KlingErrorKind.Unauthorized or KlingErrorKind.InsufficientCredits or KlingErrorKind.ValidationFailed
            or KlingErrorKind.RateLimited or KlingErrorKind.SubKeyLimitExceeded or KlingErrorKind.Maintenance or KlingErrorKind.FeatureDisabled or KlingErrorKind.NotFound } => true,
        KlingApiException { InnerException: HttpRequestException { InnerException: SocketException { SocketErrorCode: SocketError.ConnectionRefused } } } => true,
        _ => false,
    };
}

/// <summary>What became of one createTask: its task id, or the outcome the ledger recorded and the error.</summary>
internal sealed record CreateResult(string? TaskId, string Outcome, Exception? Error);
