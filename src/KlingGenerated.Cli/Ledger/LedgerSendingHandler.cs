namespace KlingGenerated.Cli.Ledger;

/// <summary>
/// The innermost handler of the CLI's client: marks a ledger submission "sending" right before its createTask leaves,
/// after pacing and retry decisions. A submission still "queued" was surely never sent, so it may be sent again.
/// </summary>
internal sealed class LedgerSendingHandler : DelegatingHandler
{
    private static readonly AsyncLocal<Submission?> Current = new();

    /// <summary>Makes createTask calls made in this async flow mark <paramref name="submission"/> as sending.</summary>
    public static Submission Track(TaskLedger ledger, long submission) => Current.Value = new Submission(ledger, submission);

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (Current.Value is not { } submission || !KlingResilienceHandler.IsCreateTask(request))
        {
            return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }

        submission.MarkSending();
        var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == System.Net.HttpStatusCode.TooManyRequests)
        {
            submission.MarkNotCreated(); // HTTP 429 creates nothing; the pipeline may retry, which marks it again
        }

        return response;
    }

    /// <summary>One createTask being tracked; <see cref="Sent"/> says whether any attempt left.</summary>
    internal sealed class Submission(TaskLedger ledger, long id)
    {
        public long Id => id;

        public bool Sent { get; private set; }

        public void MarkSending()
        {
            if (!Sent)
            {
                ledger.MarkSending(id); // committed before the bytes go out
                Sent = true;
            }
        }

        public void MarkNotCreated()
        {
            if (Sent)
            {
                ledger.MarkQueuedAgain(id);
                Sent = false;
            }
        }
    }
}
