using Microsoft.Data.Sqlite;

namespace KlingGenerated.Cli.Ledger;

/// <summary>One claim per request identity: a batch line is claimed in the ledger's own write transaction before it is sent.</summary>
internal sealed partial class TaskLedger
{
    private LedgerOwner? _owner;

    /// <summary>This ledger instance's owner token, whose lock file says it is alive (taken at the first claim).</summary>
    private LedgerOwner Owner => _owner ??= LedgerOwner.Take(System.IO.Path.GetDirectoryName(Path)!);

    /// <inheritdoc />
    public LedgerClaim Claim(string endpoint, string requestJson, string batch, string lineKey, int lineNumber, bool resubmitUncertain)
    {
        var owner = Owner.Token;
        return Write(durable: false, connection =>
        {
            // BEGIN IMMEDIATE (Write's transaction) holds the write lock: no other process claims between this read and the insert.
            using var find = connection.CreateCommand();
            find.CommandText = """
                SELECT id, outcome, owner FROM submissions
                WHERE endpoint = $e AND line_key = $k AND outcome IN ('queued', 'sending', 'created', 'uncertain') ORDER BY id;
                """;
            find.Parameters.AddWithValue("$e", endpoint);
            find.Parameters.AddWithValue("$k", lineKey);
            var rows = new List<(long Id, string Outcome, string? Owner)>();
            using (var reader = find.ExecuteReader())
            {
                while (reader.Read())
                {
                    rows.Add((reader.GetInt64(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2)));
                }
            }

            var now = Now();
            foreach (var row in rows)
            {
                var live = row.Owner is not null && (row.Owner == owner || LedgerOwner.IsAlive(System.IO.Path.GetDirectoryName(Path)!, row.Owner));
                var holds = row.Outcome switch
                {
                    "created" => true,
                    "queued" => live,
                    "sending" => live || !resubmitUncertain, // a sending row of an owner gone may exist: uncertain
                    "uncertain" => !resubmitUncertain,
                    _ => false,
                };
                if (holds)
                {
                    return new LedgerClaim(null, ReadOne(connection, row.Id), live && row.Outcome is "queued" or "sending");
                }

                if (row.Outcome == "queued")
                {
                    // Queued by a run that died before sending: nothing left, so the line is free again.
                    SetOutcome(connection, row.Id, "not-sent", "not sent: the run that queued it ended before sending", now);
                }
            }

            using var insert = connection.CreateCommand();
            insert.CommandText = """
                INSERT INTO submissions (endpoint, request, batch, line_key, line_number, queued_at, outcome, updated_at, owner)
                VALUES ($endpoint, $request, $batch, $key, $line, $now, 'queued', $now, $owner) RETURNING id;
                """;
            insert.Parameters.AddWithValue("$endpoint", endpoint);
            insert.Parameters.AddWithValue("$request", requestJson);
            insert.Parameters.AddWithValue("$batch", batch);
            insert.Parameters.AddWithValue("$key", lineKey);
            insert.Parameters.AddWithValue("$line", lineNumber);
            insert.Parameters.AddWithValue("$now", now);
            insert.Parameters.AddWithValue("$owner", owner);
            return new LedgerClaim((long)insert.ExecuteScalar()!, null);
        });
    }

    private static void SetOutcome(SqliteConnection connection, long id, string outcome, string message, string now)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "UPDATE submissions SET outcome = $o, message = $m, answered_at = $now, updated_at = $now WHERE id = $id;";
        command.Parameters.AddWithValue("$o", outcome);
        command.Parameters.AddWithValue("$m", message);
        command.Parameters.AddWithValue("$now", now);
        command.Parameters.AddWithValue("$id", id);
        command.ExecuteNonQuery();
        AddEvent(connection, id, now, outcome, message);
    }

    private LedgerEntry? ReadOne(SqliteConnection connection, long id)
    {
        _ = connection;
        return ReadUnlocked("WHERE id = $p0", [id]).FirstOrDefault();
    }
}
