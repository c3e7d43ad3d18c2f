namespace KlingGenerated.Cli.Ledger;

/// <summary>Forgetting old rows (<c>kling tasks prune</c>): only rows still as they were read, so a row another process changed meanwhile stays.</summary>
internal sealed partial class TaskLedger
{
    /// <inheritdoc />
    public int Remove(IReadOnlyList<LedgerEntry> entries) =>
        Write(durable: true, connection =>
        {
            var removed = 0;
            foreach (var entry in entries)
            {
                var changes = LedgerSql.Scalar(connection, null, """
                    DELETE FROM events WHERE submission = $id
                        AND EXISTS (SELECT 1 FROM submissions WHERE id = $id AND outcome = $outcome AND state IS $state AND file IS $file AND task_id IS $task);
                    DELETE FROM submissions WHERE id = $id AND outcome = $outcome AND state IS $state AND file IS $file AND task_id IS $task;
                    SELECT changes();
                    """,
                    ("$id", entry.Id), ("$outcome", entry.Outcome), ("$state", entry.State), ("$file", entry.File), ("$task", entry.TaskId));
                removed += Convert.ToInt32(changes, System.Globalization.CultureInfo.InvariantCulture);
            }

            return removed;
        });
}
