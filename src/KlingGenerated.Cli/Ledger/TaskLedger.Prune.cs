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
                using var command = connection.CreateCommand();
                command.CommandText = """
                    DELETE FROM events WHERE submission = $id
                        AND EXISTS (SELECT 1 FROM submissions WHERE id = $id AND outcome = $outcome AND state IS $state AND file IS $file AND task_id IS $task);
                    DELETE FROM submissions WHERE id = $id AND outcome = $outcome AND state IS $state AND file IS $file AND task_id IS $task;
                    SELECT changes();
                    """;
                command.Parameters.AddWithValue("$id", entry.Id);
                command.Parameters.AddWithValue("$outcome", entry.Outcome);
                command.Parameters.AddWithValue("$state", (object?)entry.State ?? DBNull.Value);
                command.Parameters.AddWithValue("$file", (object?)entry.File ?? DBNull.Value);
                command.Parameters.AddWithValue("$task", (object?)entry.TaskId ?? DBNull.Value);
                removed += Convert.ToInt32(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
            }

            return removed;
        });
}
