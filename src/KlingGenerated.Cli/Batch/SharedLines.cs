using KlingGenerated.Cli.Ledger;

namespace KlingGenerated.Cli.Batch;

/// <summary>Where a line of a shared batch stands for a worker.</summary>
internal enum Verdict
{
    /// <summary>Done, failed or uncertain: nothing left to do here.</summary>
    Closed,

    /// <summary>Held by a live worker: wait for it.</summary>
    Open,

    /// <summary>Nobody holds it, or its holder's lease ran out: claim it.</summary>
    Claimable,
}

/// <summary>How a worker of a shared batch reads a line's rows (every worker's): what it shows, and whether to wait, claim or leave it.</summary>
internal static class SharedLines
{
    /// <summary>Where a line stands across all workers, updating this worker's view of it.</summary>
    public static Verdict Judge(LineStatus status, List<SharedLine> rows, DateTimeOffset started, string worker, bool resubmitUncertain, LineWork work, BatchDisplay display)
    {
        var active = rows.LastOrDefault(r => r.IsActive);
        if (active is null)
        {
            if (rows.LastOrDefault() is { Outcome: "rejected" } last && last.AnsweredAt >= started)
            {
                status.Note ??= last.Message;
                work.Move(status, Phase.Failed); // refused during this run (by any worker): not sent again by this run
                return Verdict.Closed;
            }

            return Verdict.Claimable;
        }

        switch (active.Outcome)
        {
            case "uncertain" when resubmitUncertain && active.AnsweredAt < started && status.Phase != Phase.Uncertain:
                return Verdict.Claimable; // --resubmit-uncertain: what was uncertain before this run is sent again (once: the claim holds it)
            case "uncertain":
                status.Note = "may exist: " + (active.Message ?? "the createTask was sent and no answer was recorded");
                if (status.Phase != Phase.Uncertain)
                {
                    work.Move(status, Phase.Uncertain);
                    display.Event($"line {status.Label}: uncertain, not sent again ({Text.Safe(status.Note, 120)})");
                }

                return Verdict.Closed;
            case "created" when active.State == "fail":
                status.TaskId = active.TaskId;
                status.Note = $"failed (failCode {active.FailCode}: {active.FailMessage})";
                work.Move(status, Phase.Failed);
                return Verdict.Closed;
            case "created" when active.State == "success" && active.File is not null:
                status.TaskId = active.TaskId;
                if (status.Phase != Phase.Done)
                {
                    status.Note = active.Worker is { } by && by != worker ? $"done by {by}: {active.File}" : null;
                    work.Move(status, Phase.Done);
                }

                return Verdict.Closed;
            case "sending" when active.Leased:
            case "queued" when active.Leased:
            case "created" when active.Leased:
                status.TaskId ??= active.TaskId;
                status.Note = active.Worker == worker ? null : $"held by {active.Worker}";
                return Verdict.Open;
            default:
                return Verdict.Claimable; // its holder stopped renewing: queued to send, created to follow, sending to mark uncertain
        }
    }
}
