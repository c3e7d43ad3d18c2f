using System.Net;
using System.Text.Json;

namespace KlingGenerated;

// CUSTOM: every request goes through one hand-written send (Templates/Client.Class.liquid calls it), so a failure is
// decided once, here and in KlingResilienceHandler: whether a createTask may have created a task, and whether a retry is
// safe, become KlingApiException.TaskMayExist and IsRetryable; and the createTask journal hears about every submission.
public partial class KlingClient
{
    private async Task<HttpResponseMessage> SendCheckedAsync(HttpClient client, HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (!KlingResilienceHandler.IsCreateTask(request))
        {
            var answer = await SendMappedAsync(client, request, submission: null, cancellationToken).ConfigureAwait(false);
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
            request.Content = new SendingContent(content, submission, journal);
        }

        HttpResponseMessage response;
        string taskId;
        try
        {
            response = await SendMappedAsync(client, request, submission, cancellationToken).ConfigureAwait(false);
            try
            {
                await ProcessResponseAsync(client, request, response, cancellationToken).ConfigureAwait(false);
                var (id, missing) = TaskIdOf(response);
                taskId = id ?? throw KlingApiException.ForAcceptedWithoutTaskId(missing);
            }
            catch
            {
                response.Dispose();
                throw;
            }
        }
        catch (Exception exception)
        {
            // A body that never started to leave created nothing, whatever the pipeline guessed.
            if (!submission.Sent && exception is KlingApiException { TaskMayExist: true } unsent)
            {
                unsent.TaskMayExist = false;
            }

            var mayExist = submission.Sent && exception switch
            {
                KlingApiException api => api.TaskMayExist,
                OperationCanceledException => true, // the caller stopped waiting for an answer to a request that left
                _ => true,
            };
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
                throw KlingApiException.ForUnjournaledTask(taskId, exception);
            }
        }

        return response;
    }

    /// <summary>Sends, turning what a bare HttpClient throws into KlingApiException (the resilience handler already did when it is there).</summary>
    private static async Task<HttpResponseMessage> SendMappedAsync(HttpClient client, HttpRequestMessage request, KlingCreateTaskSubmission? submission, CancellationToken cancellationToken)
    {
        var creates = submission is not null;
        try
        {
            return await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException exception) when (!cancellationToken.IsCancellationRequested)
        {
            var nothingSent = (creates && !submission!.Sent) || KlingResilienceHandler.NothingWasSent(exception);
            throw KlingApiException.ForTransportFailure(
                nothingSent
                    ? $"Could not reach the service for {request.Method} {request.RequestUri?.AbsolutePath} ({exception.Message}): nothing was sent{(creates ? ", so no task was created and nothing was charged" : string.Empty)}. Check the base URL, the network and any proxy, then try again"
                    : creates
                        ? $"The connection failed after the createTask request was sent ({exception.Message}). The task may or may not have been created: check your callback or the credits before submitting again"
                        : $"The connection to the service failed for {request.Method} {request.RequestUri?.AbsolutePath} ({exception.Message}). Try again later",
                exception, taskMayExist: creates, nothingSent: nothingSent);
        }
        catch (OperationCanceledException exception) when (!cancellationToken.IsCancellationRequested && exception.InnerException is TimeoutException)
        {
            var mayExist = creates && submission!.Sent;
            throw KlingApiException.ForTimeout(
                $"The service did not answer {request.Method} {request.RequestUri?.AbsolutePath} within {client.Timeout.TotalSeconds:0.#} s (HttpClient.Timeout). " +
                (mayExist ? "The task may or may not have been created: check your callback or the credits before submitting again" : creates ? "Nothing was sent, so no task was created" : "Try again later"),
                exception, mayExist);
        }
        catch (IOException exception) when (!cancellationToken.IsCancellationRequested)
        {
            throw KlingApiException.ForBrokenAnswer(request, exception, attempts: 1, retried: false);
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
        private readonly IKlingCreateTaskJournal? _journal;

        public SendingContent(HttpContent inner, KlingCreateTaskSubmission submission, IKlingCreateTaskJournal? journal)
        {
            _inner = inner;
            _submission = submission;
            _journal = journal;
            foreach (var header in inner.Headers)
            {
                Headers.TryAddWithoutValidation(header.Key, header.Value);
            }
        }

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
        {
            _submission.BeginAttempt();
            if (_journal is not null)
            {
                try
                {
                    await _journal.SendingAsync(_submission, cancellationToken).ConfigureAwait(false);
                }
                catch
                {
                    _submission.UndoAttempt(); // the journal refused: this body never leaves
                    throw;
                }
            }

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
