using System.Runtime.CompilerServices;

namespace KlingGenerated.Cli.Ledger;

/// <summary>
/// The task ledger as the library's createTask journal (<see cref="IKlingCreateTaskJournal"/>): a submission is marked
/// "sending" just before each attempt's body starts to leave (after pacing, retry decisions and the wait for a connection),
/// queued again when an answer said nothing was created and the attempt is retried (before its backoff and permit), and its
/// outcome, decided by the library (<see cref="KlingCreateTaskOutcome"/>), is recorded as created, uncertain, rejected or
/// not sent. A submission is found by the request object the CLI hands to CreateTaskAsync: no ambient state, no URL matching.
/// </summary>
internal sealed class LedgerJournal : IKlingCreateTaskJournal
{
    /// <summary>The journal every CLI client is built with (<see cref="Endpoint"/>).</summary>
    public static readonly LedgerJournal Shared = new();

    private readonly ConditionalWeakTable<VideoTaskRequest, Tracked> _tracked = [];

    /// <summary>Makes the createTask of <paramref name="request"/> record into submission <paramref name="id"/> (already queued).</summary>
    public Tracked Track(ITaskLedger ledger, long id, VideoTaskRequest request)
    {
        var tracked = new Tracked(ledger, id);
        _tracked.AddOrUpdate(request, tracked);
        return tracked;
    }

    /// <summary>Stops tracking <paramref name="request"/> (its call is over).</summary>
    public void Forget(VideoTaskRequest request) => _tracked.Remove(request);

    public ValueTask CreatingAsync(KlingCreateTaskSubmission submission, CancellationToken cancellationToken)
    {
        if (Find(submission) is { } tracked)
        {
            tracked.Submission = submission;
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask SendingAsync(KlingCreateTaskSubmission submission, CancellationToken cancellationToken)
    {
        if (Find(submission) is { } tracked)
        {
            tracked.Ledger.MarkSending(tracked.Id); // committed before the attempt's first body byte goes out
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask RetryingAsync(KlingCreateTaskSubmission submission, CancellationToken cancellationToken)
    {
        if (Find(submission) is { } tracked)
        {
            // Answered "nothing created" (a 429, a maintenance 455): queued again while it waits for its backoff and permit,
            // so a kill during that wait leaves a line the next run sends, not one the user must resolve by hand.
            tracked.Ledger.MarkQueuedAgain(tracked.Id);
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask CompletedAsync(KlingCreateTaskSubmission submission, KlingCreateTaskOutcome outcome, CancellationToken cancellationToken)
    {
        if (Find(submission) is not { } tracked)
        {
            return ValueTask.CompletedTask;
        }

        tracked.Outcome = outcome;
        var ledger = tracked.Ledger;
        if (outcome.TaskId is { } taskId)
        {
            LedgerEntry? other;
            lock (CreatedGate) // concurrent creates of one batch: the check and the record are one step
            {
                other = ledger.FindOtherHolder(tracked.Id, taskId);
                if (other is null)
                {
                    ledger.RecordCreated(tracked.Id, taskId);
                    return ValueTask.CompletedTask;
                }
            }

            // One id for two requests is a service anomaly: following it would call another request's video this one's.
            tracked.DuplicateOf = other.Id;
            ledger.RecordUncertain(tracked.Id, $"the service answered task id {Text.Safe(taskId)}, which the ledger already holds for another request (#{other.Id}), so this request's own task cannot be followed");
            return ValueTask.CompletedTask;
        }

        var message = ExitCodes.OneLine(outcome.Error?.Message ?? "no answer");
        if (outcome.TaskMayExist)
        {
            ledger.RecordUncertain(tracked.Id, message);
        }
        else if (!submission.Sent)
        {
            ledger.RecordNotSent(tracked.Id, "not sent: " + message);
        }
        else
        {
            ledger.RecordRejected(tracked.Id, message);
        }

        return ValueTask.CompletedTask;
    }

    private Tracked? Find(KlingCreateTaskSubmission submission) =>
        submission.Request is { } request && _tracked.TryGetValue(request, out var tracked) ? tracked : null;

    private static readonly Lock CreatedGate = new();

    /// <summary>One createTask being recorded.</summary>
    internal sealed class Tracked(ITaskLedger ledger, long id)
    {
        public ITaskLedger Ledger => ledger;

        public long Id => id;

        /// <summary>The library's view of the submission, once the client started it.</summary>
        public KlingCreateTaskSubmission? Submission { get; set; }

        /// <summary>The outcome the library reported, once it did.</summary>
        public KlingCreateTaskOutcome? Outcome { get; set; }

        /// <summary>Set when the answered task id is already held by another submission.</summary>
        public long? DuplicateOf { get; set; }

        /// <summary>Cancels the createTask only if its body has not started to leave; once it has, its answer is awaited.</summary>
        public void CancelIfNotSent(CancellationTokenSource request)
        {
            if (Submission is null || Submission.TryPreventSending())
            {
                request.Cancel();
            }
        }
    }
}
