using System.Net;

namespace KlingGenerated.Cli.Ledger;

/// <summary>
/// The innermost handler of the CLI's client: marks a ledger submission "sending" at the moment its createTask body
/// starts going onto the connection, after pacing, retry decisions and the wait for a free connection. The service
/// cannot act on a request whose body it never received, so a submission still "queued" was surely not created and may
/// be sent again; one marked "sending" without a recorded answer may exist.
/// </summary>
internal sealed class LedgerSendingHandler : DelegatingHandler
{
    private static readonly AsyncLocal<Submission?> Current = new();

    /// <summary>Makes createTask calls made in this async flow mark <paramref name="submission"/> as sending.</summary>
    public static Submission Track(TaskLedger ledger, long submission) => Current.Value = new Submission(ledger, submission);

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (Current.Value is not { } submission || !IsCreateTask(request) || request.Content is null)
        {
            return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }

        if (request.Content is not MarkingContent)
        {
            request.Content = new MarkingContent(request.Content, submission);
        }

        var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.TooManyRequests)
        {
            submission.MarkNotCreated(); // HTTP 429 creates nothing; the pipeline may retry, which marks it again
        }

        return response;
    }

    private static bool IsCreateTask(HttpRequestMessage request) =>
        request.Method == HttpMethod.Post && request.RequestUri?.AbsolutePath.EndsWith("/api/v1/jobs/createTask", StringComparison.Ordinal) == true;

    /// <summary>One createTask being tracked; <see cref="Sent"/> says whether any attempt's body started to leave.</summary>
    internal sealed class Submission(TaskLedger ledger, long id)
    {
        private readonly Lock _gate = new();

        public long Id => id;

        private bool _cancelled;

        public bool Sent { get; private set; }

        /// <summary>Cancels the createTask if its body has not started to leave; once it has, its answer is awaited.</summary>
        public void CancelIfNotSent(CancellationTokenSource request)
        {
            lock (_gate)
            {
                if (Sent)
                {
                    return;
                }

                _cancelled = true;
            }

            request.Cancel();
        }

        public void MarkSending()
        {
            lock (_gate)
            {
                if (_cancelled)
                {
                    throw new OperationCanceledException("cancelled before the createTask was sent; nothing was sent");
                }

                if (!Sent)
                {
                    ledger.MarkSending(id); // committed before the first body byte goes out
                    Sent = true;
                }
            }
        }

        public void MarkNotCreated()
        {
            lock (_gate)
            {
                if (Sent)
                {
                    ledger.MarkQueuedAgain(id);
                    Sent = false;
                }
            }
        }
    }

    /// <summary>The request body, unchanged, with the ledger mark written just before it is serialized onto the connection.</summary>
    private sealed class MarkingContent : HttpContent
    {
        private readonly HttpContent _inner;
        private readonly Submission _submission;

        public MarkingContent(HttpContent inner, Submission submission)
        {
            _inner = inner;
            _submission = submission;
            foreach (var header in inner.Headers)
            {
                Headers.TryAddWithoutValidation(header.Key, header.Value);
            }
        }

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
        {
            _submission.MarkSending();
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
