namespace KlingGenerated.Cli.Ledger;

/// <summary>
/// The one claim decision of both ledgers (SQLite and PostgreSQL): given the active rows of a batch line (same endpoint
/// and request identity), whether this run may send it, must follow a task another run created, or must leave it to
/// the run that holds it. Each ledger reads the rows and writes the steps in its own write transaction.
/// </summary>
internal static class LineClaims
{
    /// <summary>The outcomes of a row that holds its line (SQL list).</summary>
    public const string ActiveOutcomes = "('queued', 'sending', 'created', 'uncertain')";

    /// <summary>Claims the line, or says who holds it. <paramref name="rows"/> are its active rows, oldest first.</summary>
    public static LedgerClaim Decide(IReadOnlyList<ClaimRow> rows, bool resubmitUncertain, IClaimSteps steps)
    {
        string? takenFrom = null;
        foreach (var row in rows)
        {
            if (row.Mine && row.Outcome == "queued")
            {
                return new LedgerClaim(row.Id, null); // this run's own claim (a retried transaction whose first commit succeeded)
            }

            switch (row.Outcome)
            {
                case "created" when row.HolderAlive || row.Finished:
                    return new LedgerClaim(null, steps.Read(row.Id));
                case "created":
                    // Its run stopped before the task ended: this run follows it (and downloads it) from now on.
                    steps.Adopt(row.Id);
                    return new LedgerClaim(null, steps.Read(row.Id), TakenFrom: row.Holder ?? "?");
                case "queued" or "sending" when row.HolderAlive:
                    return new LedgerClaim(null, steps.Read(row.Id), HolderActive: true);
                case "uncertain" when !resubmitUncertain:
                    return new LedgerClaim(null, steps.Read(row.Id));
                case "sending" when !resubmitUncertain:
                    // Its run stopped while the create was on the wire: the task may exist, and only the user decides to pay again.
                    steps.Release(row.Id, "uncertain", $"the run {Text.Safe(row.Holder ?? "?", 80)} stopped while this createTask was on the wire: a task may exist and be charged");
                    return new LedgerClaim(null, steps.Read(row.Id));
                case "queued":
                    // Its run stopped before sending: nothing was sent, so the line is free again.
                    steps.Release(row.Id, "not-sent", "not sent: the run that queued it ended before sending");
                    takenFrom = row.Holder ?? "?";
                    break;
                default:
                    steps.Release(row.Id, "uncertain-resubmitted", "may exist; sent again by --resubmit-uncertain");
                    break;
            }
        }

        if (steps.Insert() is { } id)
        {
            return new LedgerClaim(id, null, TakenFrom: takenFrom);
        }

        // Another transaction claimed it between this one's read and its insert: that run holds the line.
        return new LedgerClaim(null, steps.ActiveHolder(), HolderActive: true);
    }
}

/// <summary>An active row of a batch line as the claim decision sees it.</summary>
/// <param name="Id">The row's submission id.</param>
/// <param name="Outcome">queued, sending, created or uncertain.</param>
/// <param name="Holder">The run (SQLite owner token, PostgreSQL worker) that claimed it.</param>
/// <param name="HolderAlive">That run still holds it (SQLite: its lock file is held; PostgreSQL: its lease has not run out), or it is this run.</param>
/// <param name="Mine">This run claimed it.</param>
/// <param name="Finished">A created task that failed, or succeeded and was downloaded: nothing left to follow.</param>
internal sealed record ClaimRow(long Id, string Outcome, string? Holder, bool HolderAlive, bool Mine, bool Finished);

/// <summary>The writes a claim makes, each in the ledger's claim transaction.</summary>
internal interface IClaimSteps
{
    LedgerEntry? Read(long id);

    /// <summary>Ends a row's hold on its line with <paramref name="outcome"/> (answered now; a message it had is kept).</summary>
    void Release(long id, string outcome, string message);

    /// <summary>Makes this run the holder of a created row (to follow its task).</summary>
    void Adopt(long id);

    /// <summary>Inserts the queued row of this run's claim; null when another transaction's claim got there first.</summary>
    long? Insert();

    /// <summary>The row that holds the line now.</summary>
    LedgerEntry? ActiveHolder();
}
