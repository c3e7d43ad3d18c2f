using Npgsql;
using NpgsqlTypes;

namespace KlingGenerated.Cli.Ledger;

/// <summary>One claim per request identity on PostgreSQL: the line's row is claimed in one transaction, with a lease naming this ledger.</summary>
internal sealed partial class PostgresLedger
{
    // A claim queued or sending under a lease that has not run out belongs to a live run; one whose lease ran out, to a run gone.
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(10);

    private readonly string _worker = Guid.NewGuid().ToString("N");

    /// <inheritdoc />
    public LedgerClaim Claim(string endpoint, string requestJson, string batch, string lineKey, int lineNumber, bool resubmitUncertain) =>
        Write((connection, transaction) =>
        {
            var rows = new List<(long Id, string Outcome, string? Worker, bool Leased)>();
            using (var find = Command(connection, transaction, """
                SELECT id, outcome, worker, COALESCE(lease_until > now(), false) FROM kling.submissions
                WHERE endpoint = @e AND line_key = @k AND outcome IN ('queued', 'sending', 'created', 'uncertain') ORDER BY id FOR UPDATE;
                """))
            {
                find.Parameters.AddWithValue("e", endpoint);
                find.Parameters.AddWithValue("k", lineKey);
                using var reader = find.ExecuteReader();
                while (reader.Read())
                {
                    rows.Add((reader.GetInt64(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2), reader.GetBoolean(3)));
                }
            }

            foreach (var row in rows)
            {
                if (row.Outcome == "queued" && row.Worker == _worker)
                {
                    return new LedgerClaim(row.Id, null); // this ledger's own claim (a retried transaction whose first commit succeeded)
                }

                var holds = row.Outcome switch
                {
                    "created" => true,
                    "queued" => row.Leased,
                    "sending" => row.Leased || !resubmitUncertain,
                    "uncertain" => !resubmitUncertain,
                    _ => false,
                };
                if (holds)
                {
                    return new LedgerClaim(null, ReadIn(connection, transaction, row.Id), row.Leased && row.Outcome is "queued" or "sending");
                }

                // Released so that the partial unique index (one active row per line) admits the new claim.
                var (outcome, message) = row.Outcome == "queued"
                    ? ("not-sent", "not sent: the run that queued it ended before sending")
                    : ("uncertain-resubmitted", "may exist; sent again by --resubmit-uncertain");
                using var release = Command(connection, transaction, "UPDATE kling.submissions SET outcome = @o, message = COALESCE(message, @m), updated_at = now() WHERE id = @id;");
                release.Parameters.AddWithValue("o", outcome);
                release.Parameters.AddWithValue("m", message);
                release.Parameters.AddWithValue("id", row.Id);
                release.ExecuteNonQuery();
                AddEvent(connection, transaction, row.Id, outcome, message);
            }

            using var insert = Command(connection, transaction, """
                INSERT INTO kling.submissions (endpoint, request, batch, line_key, line_number, queued_at, outcome, updated_at, worker, lease_until)
                VALUES (@endpoint, @request, @batch, @key, @line, now(), 'queued', now(), @worker, now() + @lease)
                ON CONFLICT (endpoint, line_key) WHERE line_key IS NOT NULL AND outcome IN ('queued', 'sending', 'created', 'uncertain') DO NOTHING
                RETURNING id;
                """);
            insert.Parameters.AddWithValue("endpoint", endpoint);
            insert.Parameters.AddWithValue("request", requestJson);
            insert.Parameters.AddWithValue("batch", batch);
            insert.Parameters.AddWithValue("key", lineKey);
            insert.Parameters.AddWithValue("line", lineNumber);
            insert.Parameters.AddWithValue("worker", _worker);
            insert.Parameters.AddWithValue("lease", NpgsqlDbType.Interval, Lease);
            if (insert.ExecuteScalar() is long id)
            {
                return new LedgerClaim(id, null);
            }

            // Another transaction claimed it between our read and our insert: it holds the line.
            using var holder = Command(connection, transaction, """
                SELECT id FROM kling.submissions WHERE endpoint = @e AND line_key = @k AND outcome IN ('queued', 'sending', 'created', 'uncertain') ORDER BY id LIMIT 1;
                """);
            holder.Parameters.AddWithValue("e", endpoint);
            holder.Parameters.AddWithValue("k", lineKey);
            return holder.ExecuteScalar() is long held ? new LedgerClaim(null, ReadIn(connection, transaction, held), true) : new LedgerClaim(null, null, true);
        });

    private LedgerEntry? ReadIn(NpgsqlConnection connection, NpgsqlTransaction transaction, long id)
    {
        using var command = Command(connection, transaction, """
            SELECT id, endpoint, request, batch, line_key, line_number, queued_at, sent_at, answered_at, outcome, message,
                   task_id, state, fail_code, fail_msg, result_urls, file, updated_at
            FROM kling.submissions WHERE id = @id;
            """);
        command.Parameters.AddWithValue("id", id);
        using var reader = command.ExecuteReader();
        return reader.Read() ? PostgresRows.Entry(reader, Location, out _) : null;
    }
}
