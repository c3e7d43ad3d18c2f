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

    /// <summary>Sends the createTask of submission <paramref name="id"/> (already recorded as queued) and records the answer.</summary>
    public static async Task<string> CreateRecordedAsync(TaskLedger ledger, long id, IKlingClient client, CreateTaskRequest request, CancellationToken cancellationToken)
    {
        var tracked = LedgerSendingHandler.Track(ledger, id);
        CreateTaskResponse created;
        try
        {
            created = await client.CreateTaskAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is not LedgerException)
        {
            if (!tracked.Sent || SurelyCreatedNothing(exception))
            {
                ledger.RecordRejected(id, ExitCodes.OneLine(exception.Message));
            }
            else
            {
                ledger.RecordUncertain(id, ExitCodes.OneLine(exception.Message));
            }

            throw;
        }

        var taskId = created.Data?.TaskId;
        if (string.IsNullOrEmpty(taskId))
        {
            ledger.RecordUncertain(id, "the service accepted the task but returned no task id");
            throw new KlingApiException(created.Code, 200, "The service accepted the task but returned no task id; the ledger keeps it as uncertain (see `kling tasks --state uncertain`).");
        }

        ledger.RecordCreated(id, taskId);
        return taskId;
    }

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
