using System.Net;
using System.Text.Json;

namespace KlingGenerated;

// CUSTOM: every request goes through one hand-written send (Templates/Client.Class.liquid calls it). The operation is
// known by its operationId (KlingOperation); the document's rules decide each attempt's outcome once
// (KlingOutcomeClassifier), and this file only tracks whether a billable body started to leave and tells the journal.
public partial class KlingClient
{
    private async Task<HttpResponseMessage> SendCheckedAsync(HttpClient client, HttpRequestMessage request, OperationTelemetry? telemetry, CancellationToken cancellationToken)
    {
        if (!KlingOperation.IsBillable(request))
        {
            var answer = await SendMappedAsync(client, request, cancellationToken).ConfigureAwait(false);
            try
            {
                await ProcessResponseAsync(client, request, answer, cancellationToken).ConfigureAwait(false);
                return answer;
            }
            catch
            {
                answer.Dispose();
                throw;
            }
        }

        var submission = new KlingCreateTaskSubmission((request.Content as JsonBodyContent)?.Body as VideoTaskRequest);
        var tracker = new KlingOperation.BodyTracker();
        request.Options.Set(KlingOperation.BodyKey, tracker);
        // The spend gate: priced and reserved before the journal hears of it or anything is sent; refused here, nothing leaves.
        var spend = KlingSpendGate.Reserve(submission.Request, _options.Pricing, _options.Budget);
        var journal = _options.CreateTaskJournal;
        if (journal is not null)
        {
            try
            {
                await journal.CreatingAsync(submission, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                spend?.Settle(taskMayExist: false);
                throw;
            }
        }

        if (request.Content is { } content)
        {
            request.Content = new SendingContent(content, submission, tracker, journal);
        }

        if (journal is not null)
        {
            // Told by the resilience handler before a retry's backoff and pacing wait: the last answer created nothing.
            tracker.Retrying = cancellation => RetryingAsync(journal, submission, cancellation);
        }

        HttpResponseMessage response;
        string taskId;
        try
        {
            response = await SendMappedAsync(client, request, cancellationToken).ConfigureAwait(false);
            try
            {
                await ProcessResponseAsync(client, request, response, cancellationToken).ConfigureAwait(false);
                var (id, missing) = TaskIdOf(response);
                taskId = id ?? throw KlingApiException.ForAcceptedWithoutTaskId(
                    KlingOperation.Outcome(request, KlingAttempt.Http((int)response.StatusCode, envelope: false, 0, KlingOperation.BodyLeft(request))), missing);
            }
            catch
            {
                response.Dispose();
                throw;
            }
        }
        catch (Exception exception)
        {
            // The outcome decided by the classifier is read, never changed; without one (the caller cancelled, a
            // journal exception) a task may exist exactly when the last attempt's body had started to leave.
            var mayExist = exception is KlingApiException api ? api.Outcome.TaskMayExist : submission.Sent && KlingOperation.BodyLeft(request);
            if (telemetry is not null)
            {
                telemetry.TaskMayExist = mayExist;
            }

            spend?.Settle(mayExist);
            if (journal is not null)
            {
                try
                {
                    await journal.CompletedAsync(submission, KlingCreateTaskOutcome.ForFailure(exception, mayExist), CancellationToken.None).ConfigureAwait(false);
                }
                catch (Exception journalError) when (journalError is not OutOfMemoryException)
                {
                    // The createTask's own failure is what the caller needs; the journal's record stays at "sending" (may exist), the safe side.
                    _ = journalError;
                }
            }

            throw;
        }

        spend?.Settle(taskMayExist: true);
        if (journal is not null)
        {
            try
            {
                await journal.CompletedAsync(submission, KlingCreateTaskOutcome.ForCreated(taskId), CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception exception)
            {
                response.Dispose();
                throw KlingApiException.ForUnjournaledTask(KlingOperation.IdOf(request), taskId, exception);
            }
        }

        return response;
    }

    /// <summary>Tells the journal an attempt surely created nothing and will be sent again; its failure keeps the record at "sending" (the safe side).</summary>
    private static async ValueTask RetryingAsync(IKlingCreateTaskJournal journal, KlingCreateTaskSubmission submission, CancellationToken cancellationToken)
    {
        try
        {
            await journal.RetryingAsync(submission, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception journalError) when (journalError is not OutOfMemoryException)
        {
            _ = journalError;
        }
    }

    /// <summary>Sends, turning what a bare HttpClient throws into KlingApiException (the resilience handler already did when it is there).</summary>
    private static async Task<HttpResponseMessage> SendMappedAsync(HttpClient client, HttpRequestMessage request, CancellationToken cancellationToken)
    {
        try
        {
            return await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException exception) when (!cancellationToken.IsCancellationRequested)
        {
            throw KlingResilienceHandler.TransportFailure(request, exception, attempts: 1);
        }
        catch (OperationCanceledException exception) when (!cancellationToken.IsCancellationRequested && exception.InnerException is TimeoutException)
        {
            var outcome = KlingOperation.Outcome(request, KlingAttempt.TimedOut(KlingOperation.BodyLeft(request)));
            throw KlingApiException.ForOutcome(outcome,
                $"The service did not answer {request.Method} {request.RequestUri?.AbsolutePath} within {client.Timeout.TotalSeconds:0.#} s (HttpClient.Timeout). " +
                (outcome.TaskMayExist ? "The task may or may not have been created: check your callback or the credits before submitting again" : outcome.IsBillable ? "Nothing was sent, so no task was created" : "Try again later"),
                exception);
        }
        catch (IOException exception) when (!cancellationToken.IsCancellationRequested)
        {
            throw KlingResilienceHandler.BrokenAnswer(request, exception, attempts: 1, retried: false);
        }
    }

    /// <summary>The <c>data.taskId</c> of a createTask answer already checked by ProcessResponseAsync, or what it has instead.</summary>
    private static (string? TaskId, string Missing) TaskIdOf(HttpResponseMessage response)
    {
        if (response.Content is not BufferedBody body)
        {
            return (null, "an answer this client could not read");
        }

        try
        {
            using var document = JsonDocument.Parse(body.Memory, new JsonDocumentOptions { MaxDepth = 64 });
            if (!document.RootElement.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Object)
            {
                return (null, "no data");
            }

            return data.TryGetProperty("taskId", out var id) && id.ValueKind == JsonValueKind.String && id.GetString() is { Length: > 0 } taskId
                ? (taskId, string.Empty)
                : (null, "an empty task id");
        }
        catch (Exception exception) when (exception is JsonException or InvalidOperationException)
        {
            return (null, "an unreadable task id"); // InvalidOperationException: invalid UTF-8 inside a string
        }
    }

    /// <summary>A request body, unchanged, that tells the submission and the journal just before each attempt's bytes start to leave.</summary>
    private sealed class SendingContent : HttpContent
    {
        private readonly HttpContent _inner;
        private readonly KlingCreateTaskSubmission _submission;
        private readonly KlingOperation.BodyTracker _tracker;
        private readonly IKlingCreateTaskJournal? _journal;

        public SendingContent(HttpContent inner, KlingCreateTaskSubmission submission, KlingOperation.BodyTracker tracker, IKlingCreateTaskJournal? journal)
        {
            _inner = inner;
            _submission = submission;
            _tracker = tracker;
            _journal = journal;
            foreach (var header in inner.Headers)
            {
                Headers.TryAddWithoutValidation(header.Key, header.Value);
            }
        }

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
        {
            _submission.BeginAttempt();
            _tracker.Begun = true;
            if (_journal is not null)
            {
                try
                {
                    await _journal.SendingAsync(_submission, cancellationToken).ConfigureAwait(false);
                }
                catch
                {
                    _submission.UndoAttempt(); // the journal refused: this body never leaves, and the submission stops
                    _tracker.Left = false;
                    _tracker.Refused = true;
                    throw;
                }
            }

            _tracker.Left = true; // from the first byte on, the service may create the task
            await _inner.CopyToAsync(stream, context, cancellationToken).ConfigureAwait(false);
        }

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
            SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override bool TryComputeLength(out long length)
        {
            length = _inner.Headers.ContentLength ?? -1;
            return length >= 0;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}

/// <summary>A JSON request body that remembers the object it was serialized from (the createTask journal is handed that object).</summary>
internal sealed class JsonBodyContent(byte[] utf8, object? body) : ByteArrayContent(utf8)
{
    public object? Body { get; } = body;
}
