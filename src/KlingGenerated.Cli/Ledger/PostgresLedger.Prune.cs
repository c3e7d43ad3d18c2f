using NpgsqlTypes;

namespace KlingGenerated.Cli.Ledger;

/// <summary>Forgetting old rows (<c>kling tasks prune</c>): only rows still as they were read, so a row another process changed meanwhile stays.</summary>
internal sealed partial class PostgresLedger
{
    private const string StillAsRead = """
        id = @id AND outcome = @outcome AND state IS NOT DISTINCT FROM @state AND file IS NOT DISTINCT FROM @file AND task_id IS NOT DISTINCT FROM @task
        """;

    /// <inheritdoc />
    public int Remove(IReadOnlyList<LedgerEntry> entries) =>
        Write((connection, transaction) =>
        {
            var removed = 0;
            foreach (var entry in entries)
            {
                LedgerSql.Execute(connection, transaction, $"DELETE FROM kling.events WHERE submission = @id AND EXISTS (SELECT 1 FROM kling.submissions WHERE {StillAsRead} FOR UPDATE);", AsRead(entry));
                removed += LedgerSql.Execute(connection, transaction, $"DELETE FROM kling.submissions WHERE {StillAsRead};", AsRead(entry));
            }

            return removed;
        });

    // The parameters of StillAsRead (a new set per statement: a parameter belongs to one command).
    private static (string, object?)[] AsRead(LedgerEntry entry) =>
        [("id", entry.Id), ("outcome", entry.Outcome), ("state", Typed(NpgsqlDbType.Text, entry.State)), ("file", Typed(NpgsqlDbType.Text, entry.File)), ("task", Typed(NpgsqlDbType.Text, entry.TaskId))];
}
