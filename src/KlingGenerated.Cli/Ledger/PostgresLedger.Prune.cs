using Npgsql;
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
                using (var events = Command(connection, transaction, $"DELETE FROM kling.events WHERE submission = @id AND EXISTS (SELECT 1 FROM kling.submissions WHERE {StillAsRead} FOR UPDATE);"))
                {
                    Bind(events, entry);
                    events.ExecuteNonQuery();
                }

                using var row = Command(connection, transaction, $"DELETE FROM kling.submissions WHERE {StillAsRead};");
                Bind(row, entry);
                removed += row.ExecuteNonQuery();
            }

            return removed;
        });

    private static void Bind(NpgsqlCommand command, LedgerEntry entry)
    {
        command.Parameters.AddWithValue("id", entry.Id);
        command.Parameters.AddWithValue("outcome", entry.Outcome);
        command.Parameters.Add(new NpgsqlParameter("state", NpgsqlDbType.Text) { Value = (object?)entry.State ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("file", NpgsqlDbType.Text) { Value = (object?)entry.File ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("task", NpgsqlDbType.Text) { Value = (object?)entry.TaskId ?? DBNull.Value });
    }
}
