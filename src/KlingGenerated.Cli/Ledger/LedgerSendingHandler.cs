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

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (Current.Value is { } submission && KlingResilienceHandler.IsCreateTask(request))
        {
            submission.MarkSending();
        }

        return base.SendAsync(request, cancellationToken);
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
    }
}
