using Npgsql;
using NpgsqlTypes;

namespace KlingGenerated.Cli.Ledger;

/// <summary>
/// One batch shared by many workers: each line is claimed once, by its key (its request identity), in a transaction;
/// a claim carries this worker's name and a lease the worker renews. A line whose holder stopped renewing is taken
/// over: sent when it was only queued, followed when its task exists; a line whose create was on the wire when its
/// holder stopped becomes uncertain and is never sent again by itself.
/// </summary>
internal sealed partial class PostgresLedger
{
    private const string Active = "outcome IN " + LineClaims.ActiveOutcomes;

    /// <summary>This process's name in the ledger (host, process id and a random part).</summary>
    public string Worker { get; } = $"{Environment.MachineName}:{Environment.ProcessId}:{Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(3))}";

    /// <summary>How long a claim holds without renewal; a killed worker's lines are free again after it.</summary>
    public TimeSpan Lease { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Registers this worker on <paramref name="endpoint"/>; returns the other live workers there and how each paces its creates.</summary>
    public IReadOnlyList<(string Worker, string Pacing)> Join(string endpoint, string pacing) =>
        Write((connection, transaction) =>
        {
            using (var join = Command(connection, transaction, """
                INSERT INTO kling.workers (worker, endpoint, pacing, started_at, seen_at) VALUES (@me, @e, @p, now(), now())
                ON CONFLICT (worker) DO UPDATE SET seen_at = now(), pacing = EXCLUDED.pacing, endpoint = EXCLUDED.endpoint;
                """))
            {
                join.Parameters.AddWithValue("me", Worker);
                join.Parameters.AddWithValue("e", endpoint);
                join.Parameters.AddWithValue("p", pacing);
                join.ExecuteNonQuery();
            }

            using var others = Command(connection, transaction, "SELECT worker, pacing FROM kling.workers WHERE endpoint = @e AND worker <> @me AND seen_at > now() - @lease ORDER BY started_at;");
            others.Parameters.AddWithValue("e", endpoint);
            others.Parameters.AddWithValue("me", Worker);
            others.Parameters.AddWithValue("lease", Lease);
            using var reader = others.ExecuteReader();
            var list = new List<(string, string)>();
            while (reader.Read())
            {
                list.Add((reader.GetString(0), reader.GetString(1)));
            }

            return list;
        });

    /// <summary>Renews this worker's leases and its registration.</summary>
    public void Renew() =>
        Write((connection, transaction) =>
        {
            using var command = Command(connection, transaction, """
                UPDATE kling.submissions SET lease_until = now() + @lease WHERE worker = @me AND lease_until IS NOT NULL;
                UPDATE kling.workers SET seen_at = now() WHERE worker = @me;
                """);
            command.Parameters.AddWithValue("me", Worker);
            command.Parameters.AddWithValue("lease", Lease);
            return command.ExecuteNonQuery();
        });

    /// <summary>This worker is done with the line of <paramref name="submission"/> (finished, failed or given up): its lease ends.</summary>
    public void Release(long submission) =>
        Write((connection, transaction) =>
        {
            using var command = Command(connection, transaction, "UPDATE kling.submissions SET lease_until = NULL WHERE id = @id AND worker = @me;");
            command.Parameters.AddWithValue("id", submission);
            command.Parameters.AddWithValue("me", Worker);
            return command.ExecuteNonQuery();
        });

    /// <summary>This worker stops: the lines it still holds are free for the others at once.</summary>
    public void Leave() =>
        Write((connection, transaction) =>
        {
            using var command = Command(connection, transaction, """
                UPDATE kling.submissions SET lease_until = now() - interval '1 second' WHERE worker = @me AND lease_until IS NOT NULL;
                DELETE FROM kling.workers WHERE worker = @me;
                """);
            command.Parameters.AddWithValue("me", Worker);
            return command.ExecuteNonQuery();
        });

    /// <inheritdoc />
    public LedgerClaim Claim(string endpoint, string requestJson, string batch, string lineKey, int lineNumber, bool resubmitUncertain) =>
        Write((connection, transaction) =>
        {
            var rows = new List<ClaimRow>();
            using (var find = Command(connection, transaction, $"""
                SELECT id, outcome, worker, COALESCE(lease_until > now(), false),
                       outcome = 'created' AND (state = 'fail' OR (state = 'success' AND file IS NOT NULL))
                FROM kling.submissions WHERE endpoint = @e AND line_key = @k AND {Active} ORDER BY id FOR UPDATE;
                """))
            {
                find.Parameters.AddWithValue("e", endpoint);
                find.Parameters.AddWithValue("k", lineKey);
                using var reader = find.ExecuteReader();
                while (reader.Read())
                {
                    var holder = reader.IsDBNull(2) ? null : reader.GetString(2);
                    rows.Add(new ClaimRow(reader.GetInt64(0), reader.GetString(1), holder, holder == Worker || reader.GetBoolean(3), holder == Worker, !reader.IsDBNull(4) && reader.GetBoolean(4)));
                }
            }

            return LineClaims.Decide(rows, resubmitUncertain, new PostgresClaimSteps(this, connection, transaction, (endpoint, requestJson, batch, lineKey, lineNumber)));
        });

    private sealed class PostgresClaimSteps(PostgresLedger ledger, NpgsqlConnection connection, NpgsqlTransaction transaction, (string Endpoint, string Request, string Batch, string Key, int Line) line) : IClaimSteps
    {
        public LedgerEntry? Read(long id)
        {
            using var command = Command(connection, transaction, $"SELECT {LedgerRows.Columns} FROM kling.submissions WHERE id = @id;");
            command.Parameters.AddWithValue("id", id);
            using var reader = command.ExecuteReader();
            return reader.Read() ? LedgerRows.Entry(reader, Time, ledger.Location, out _) : null;
        }

        public void Release(long id, string outcome, string message)
        {
            using var command = Command(connection, transaction, """
                UPDATE kling.submissions SET outcome = @o, message = COALESCE(message, @m), answered_at = now(), updated_at = now(), lease_until = NULL WHERE id = @id;
                """);
            command.Parameters.AddWithValue("o", outcome);
            command.Parameters.AddWithValue("m", message);
            command.Parameters.AddWithValue("id", id);
            command.ExecuteNonQuery();
            AddEvent(connection, transaction, id, outcome, message);
        }

        public void Adopt(long id)
        {
            using var command = Command(connection, transaction, "UPDATE kling.submissions SET worker = @me, lease_until = now() + @lease, updated_at = now() WHERE id = @id;");
            command.Parameters.AddWithValue("me", ledger.Worker);
            command.Parameters.AddWithValue("lease", ledger.Lease);
            command.Parameters.AddWithValue("id", id);
            command.ExecuteNonQuery();
            AddEvent(connection, transaction, id, "taken-over", ledger.Worker);
        }

        public long? Insert()
        {
            // The partial unique index (one active row per line) turns a concurrent second claim into "nothing inserted".
            using var insert = Command(connection, transaction, $"""
                INSERT INTO kling.submissions (endpoint, request, batch, line_key, line_number, queued_at, outcome, updated_at, worker, lease_until)
                VALUES (@e, @request, @batch, @key, @line, now(), 'queued', now(), @me, now() + @lease)
                ON CONFLICT (endpoint, line_key) WHERE line_key IS NOT NULL AND {Active} DO NOTHING
                RETURNING id;
                """);
            insert.Parameters.AddWithValue("e", line.Endpoint);
            insert.Parameters.AddWithValue("request", line.Request);
            insert.Parameters.AddWithValue("batch", line.Batch);
            insert.Parameters.AddWithValue("key", line.Key);
            insert.Parameters.AddWithValue("line", line.Line);
            insert.Parameters.AddWithValue("me", ledger.Worker);
            insert.Parameters.AddWithValue("lease", ledger.Lease);
            if (insert.ExecuteScalar() is not long id)
            {
                return null;
            }

            AddEvent(connection, transaction, id, "claimed", ledger.Worker);
            return id;
        }

        public LedgerEntry? ActiveHolder()
        {
            using var holder = Command(connection, transaction, $"SELECT id FROM kling.submissions WHERE endpoint = @e AND line_key = @k AND {Active} ORDER BY id LIMIT 1;");
            holder.Parameters.AddWithValue("e", line.Endpoint);
            holder.Parameters.AddWithValue("k", line.Key);
            return holder.ExecuteScalar() is long held ? Read(held) : null;
        }
    }

    /// <summary>Where every line of <paramref name="lineKeys"/> is, across all workers: each key's submissions, oldest first.</summary>
    public ILookup<string, SharedLine> Lines(string endpoint, IReadOnlyCollection<string> lineKeys) =>
        Run(writing: false, (connection, transaction) =>
        {
            using var command = Command(connection, transaction, """
                SELECT line_key, id, outcome, state, task_id, file, worker, COALESCE(lease_until > now(), false), answered_at, message, fail_code, fail_msg
                FROM kling.submissions WHERE endpoint = @e AND line_key = ANY(@keys) ORDER BY id;
                """);
            command.Parameters.AddWithValue("e", endpoint);
            command.Parameters.AddWithValue("keys", NpgsqlDbType.Array | NpgsqlDbType.Text, lineKeys.ToArray());
            using var reader = command.ExecuteReader();
            string? Text(int i) => reader.IsDBNull(i) ? null : reader.GetString(i);
            var rows = new List<SharedLine>();
            while (reader.Read())
            {
                rows.Add(new SharedLine(reader.GetString(0), reader.GetInt64(1), reader.GetString(2), Text(3), Text(4), Text(5), Text(6), reader.GetBoolean(7),
                    reader.IsDBNull(8) ? null : new DateTimeOffset(reader.GetFieldValue<DateTime>(8), TimeSpan.Zero), Text(9), Text(10), Text(11)));
            }

            return rows.ToLookup(r => r.LineKey, StringComparer.Ordinal);
        });

    /// <summary>The database's clock now (workers compare times with it, not with their own).</summary>
    public DateTimeOffset Now() =>
        Run(writing: false, (connection, transaction) =>
        {
            using var command = Command(connection, transaction, "SELECT now();");
            return new DateTimeOffset((DateTime)command.ExecuteScalar()!, TimeSpan.Zero);
        });

    /// <summary>
    /// Refuses to mark "sending" a line this worker no longer holds (its lease ran out and another worker took the line
    /// over: that worker sends it), and renews the lease of the one it does hold. A createTask that is no batch line
    /// (<c>kling generate</c>) has no holder.
    /// </summary>
    private void EnsureStillHeld(NpgsqlConnection connection, NpgsqlTransaction transaction, long submission)
    {
        using var command = Command(connection, transaction, $"""
            UPDATE kling.submissions SET lease_until = CASE WHEN worker IS NULL THEN NULL ELSE now() + @lease END
            WHERE id = @id AND (worker IS NULL OR (worker = @me AND outcome IN ('queued', 'sending'))) RETURNING id;
            """);
        command.Parameters.AddWithValue("id", submission);
        command.Parameters.AddWithValue("me", Worker);
        command.Parameters.AddWithValue("lease", Lease);
        if (command.ExecuteScalar() is not long)
        {
            throw new LedgerLineTakenException("another worker took over this line after this worker's lease ran out; this worker did not send it.");
        }
    }
}

/// <summary>The line's createTask was not sent: this worker no longer holds it (another worker took it over and sends it).</summary>
internal sealed class LedgerLineTakenException(string message) : LedgerException(message);

/// <summary>One submission of a shared batch line, as every worker sees it.</summary>
internal sealed record SharedLine(
    string LineKey, long Id, string Outcome, string? State, string? TaskId, string? File, string? Worker, bool Leased,
    DateTimeOffset? AnsweredAt, string? Message, string? FailCode, string? FailMessage)
{
    public bool IsActive => Outcome is "queued" or "sending" or "created" or "uncertain";
}
