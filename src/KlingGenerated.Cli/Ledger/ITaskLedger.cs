namespace KlingGenerated.Cli.Ledger;

/// <summary>
/// The task ledger, wherever it lives: a SQLite file on this machine (<see cref="TaskLedger"/>) or a PostgreSQL database
/// shared by many machines. Same journal everywhere: a createTask is queued, marked "sending" (committed before its body
/// leaves), then created, uncertain, rejected or not sent; then the task's states, result URLs and downloaded file.
/// </summary>
/// <remarks>Every write is one transaction, committed before the method returns; a failure throws <see cref="LedgerException"/>.</remarks>
internal interface ITaskLedger : IDisposable
{
    /// <summary>Where the ledger is, as it may be shown to the user (a path, or a connection without its password).</summary>
    string Location { get; }

    /// <summary>The ledger's file when it is a local file (SQLite), else null.</summary>
    string? LocalFile { get; }

    /// <summary>The rows that could not be read so far (each said once), which reads skipped.</summary>
    IReadOnlyList<string> Unreadable { get; }

    /// <summary>Records a createTask about to be handed to the client (nothing sent yet); returns its submission id.</summary>
    long RecordQueued(string endpoint, string requestJson, string? batch = null, string? lineKey = null, int? lineNumber = null);

    /// <summary>
    /// Claims a batch line by its request identity (<paramref name="lineKey"/>, per endpoint) and records it queued, in one
    /// write transaction, so two files, processes or runs that share a line send it once. Not claimed (<see cref="LedgerClaim.HeldBy"/>
    /// set, nothing recorded) when another row of the line was created, may exist (uncertain, or sending by an owner
    /// gone, then recorded uncertain; unless <paramref name="resubmitUncertain"/>), or is queued or sending by a live owner.
    /// The decision is <see cref="LineClaims.Decide"/>, the same for every ledger.
    /// </summary>
    LedgerClaim Claim(string endpoint, string requestJson, string batch, string lineKey, int lineNumber, bool resubmitUncertain);

    /// <summary>Records that the request is leaving for the service now: from here on, a task may exist.</summary>
    void MarkSending(long submission);

    /// <summary>Records that the service answered that nothing was created (HTTP 429, body code 429 or 455) and the request will be sent again: queued, not on the wire.</summary>
    void MarkQueuedAgain(long submission);

    /// <summary>Records the task id the service answered.</summary>
    void RecordCreated(long submission, string taskId);

    /// <summary>Records a createTask whose outcome is unknown: the task may exist and may be charged.</summary>
    void RecordUncertain(long submission, string message);

    /// <summary>Records a createTask that surely created nothing (refused by the service).</summary>
    void RecordRejected(long submission, string message);

    /// <summary>Records a createTask that was never sent: nothing was created.</summary>
    void RecordNotSent(long submission, string message);

    /// <summary>Records what a query about <paramref name="taskId"/> said; a task unknown to the ledger is added.</summary>
    void RecordState(string endpoint, string taskId, TaskRecord record);

    /// <summary>Records the file a task's result was saved to.</summary>
    void RecordFile(string endpoint, string taskId, string path);

    /// <summary>Another submission to the same endpoint that already holds <paramref name="taskId"/>, or null.</summary>
    LedgerEntry? FindOtherHolder(long submission, string taskId);

    /// <summary>The entry of a task, or null when the ledger does not know it.</summary>
    LedgerEntry? Find(string taskId);

    /// <summary>Entries, newest first, optionally only in <paramref name="state"/> (a task state or an outcome) and since a time.</summary>
    IReadOnlyList<LedgerEntry> List(string? state, DateTimeOffset? since);

    /// <summary>Every batch line sent to <paramref name="endpoint"/>, whatever file it came from, oldest first.</summary>
    IReadOnlyList<LedgerEntry> BatchLines(string endpoint);

    /// <summary>
    /// Removes these entries and their events, each only if it is still as read (outcome, state, task id and file): a row
    /// another process changed meanwhile is kept. Returns how many were removed.
    /// </summary>
    int Remove(IReadOnlyList<LedgerEntry> entries);

    /// <summary>The most a task of <paramref name="endpoint"/> has cost (creditsConsumed as the service reported it), or null.</summary>
    double? ObservedTaskCost(string endpoint);
}

/// <summary>A batch line's claim: the submission id when this run claimed it, else the row that holds it.</summary>
/// <param name="Id">The new submission (queued, owned by this ledger instance), or null when not claimed.</param>
/// <param name="HeldBy">The row that holds the line (created, may exist, or in another live run's hands), or null when claimed.</param>
/// <param name="HolderActive">True when <paramref name="HeldBy"/> is queued or sending in a run that is still alive: wait for its outcome.</param>
/// <param name="TakenFrom">The run that stopped holding the line, when this run took it over: a queued line (now claimed, <paramref name="Id"/>) or a created task (now this run's to follow, <paramref name="HeldBy"/>).</param>
internal sealed record LedgerClaim(long? Id, LedgerEntry? HeldBy, bool HolderActive = false, string? TakenFrom = null);
