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
            LedgerSql.Execute(connection, transaction, """
                INSERT INTO kling.workers (worker, endpoint, pacing, started_at, seen_at) VALUES (@me, @e, @p, now(), now())
                ON CONFLICT (worker) DO UPDATE SET seen_at = now(), pacing = EXCLUDED.pacing, endpoint = EXCLUDED.endpoint;
                """,
                ("me", Worker), ("e", endpoint), ("p", pacing));

            using var others = LedgerSql.Command(connection, transaction, "SELECT worker, pacing FROM kling.workers WHERE endpoint = @e AND worker <> @me AND seen_at > now() - @lease ORDER BY started_at;",
                ("e", endpoint), ("me", Worker), ("lease", Lease));
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
        Write((connection, transaction) => LedgerSql.Execute(connection, transaction, """
            UPDATE kling.submissions SET lease_until = now() + @lease WHERE worker = @me AND lease_until IS NOT NULL;
            UPDATE kling.workers SET seen_at = now() WHERE worker = @me;
            """,
            ("me", Worker), ("lease", Lease)));

    /// <summary>This worker is done with the line of <paramref name="submission"/> (finished, failed or given up): its lease ends.</summary>
    public void Release(long submission) =>
        Write((connection, transaction) =>
            LedgerSql.Execute(connection, transaction, "UPDATE kling.submissions SET lease_until = NULL WHERE id = @id AND worker = @me;", ("id", submission), ("me", Worker)));

    /// <summary>This worker stops: the lines it still holds are free for the others at once.</summary>
    public void Leave() =>
        Write((connection, transaction) => LedgerSql.Execute(connection, transaction, """
            UPDATE kling.submissions SET lease_until = now() - interval '1 second' WHERE worker = @me AND lease_until IS NOT NULL;
            DELETE FROM kling.workers WHERE worker = @me;
            """,
            ("me", Worker)));

    /// <inheritdoc />
    public LedgerClaim Claim(string endpoint, string requestJson, string batch, string lineKey, int lineNumber, bool resubmitUncertain) =>
        Write((connection, transaction) =>
        {
            var rows = new List<ClaimRow>();
            using (var find = LedgerSql.Command(connection, transaction, $"""
                SELECT id, outcome, worker, COALESCE(lease_until > now(), false),
                       outcome = 'created' AND (state = 'fail' OR (state = 'success' AND file IS NOT NULL))
                FROM kling.submissions WHERE endpoint = @e AND line_key = @k AND {Active} ORDER BY id FOR UPDATE;
                """, ("e", endpoint), ("k", lineKey)))
            {
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
        public LedgerEntry? Read(long id) => ledger.Entries(connection, transaction, "WHERE id = @p0", id).FirstOrDefault();

        public void Release(long id, string outcome, string message)
        {
            LedgerSql.Execute(connection, transaction, """
                UPDATE kling.submissions SET outcome = @o, message = COALESCE(message, @m), answered_at = now(), updated_at = now(), lease_until = NULL WHERE id = @id;
                """,
                ("o", outcome), ("m", message), ("id", id));
            AddEvent(connection, transaction, id, outcome, message);
        }

        public void Adopt(long id)
        {
            LedgerSql.Execute(connection, transaction, "UPDATE kling.submissions SET worker = @me, lease_until = now() + @lease, updated_at = now() WHERE id = @id;",
                ("me", ledger.Worker), ("lease", ledger.Lease), ("id", id));
            AddEvent(connection, transaction, id, "taken-over", ledger.Worker);
        }

        public long? Insert()
        {
            // The partial unique index (one active row per line) turns a concurrent second claim into "nothing inserted".
            var inserted = LedgerSql.Scalar(connection, transaction, $"""
                INSERT INTO kling.submissions (endpoint, request, batch, line_key, line_number, queued_at, outcome, updated_at, worker, lease_until)
                VALUES (@e, @request, @batch, @key, @line, now(), 'queued', now(), @me, now() + @lease)
                ON CONFLICT (endpoint, line_key) WHERE line_key IS NOT NULL AND {Active} DO NOTHING
                RETURNING id;
                """,
                ("e", line.Endpoint), ("request", line.Request), ("batch", line.Batch), ("key", line.Key), ("line", line.Line), ("me", ledger.Worker), ("lease", ledger.Lease));
            if (inserted is not long id)
            {
                return null;
            }

            AddEvent(connection, transaction, id, "claimed", ledger.Worker);
            return id;
        }

        public LedgerEntry? ActiveHolder()
        {
            var holder = LedgerSql.Scalar(connection, transaction, $"SELECT id FROM kling.submissions WHERE endpoint = @e AND line_key = @k AND {Active} ORDER BY id LIMIT 1;",
                ("e", line.Endpoint), ("k", line.Key));
            return holder is long held ? Read(held) : null;
        }
    }

    /// <summary>Where every line of <paramref name="lineKeys"/> is, across all workers: each key's submissions, oldest first.</summary>
    public ILookup<string, SharedLine> Lines(string endpoint, IReadOnlyCollection<string> lineKeys) =>
        Run(writing: false, (connection, transaction) =>
        {
            using var command = LedgerSql.Command(connection, transaction, """
                SELECT line_key, id, outcome, state, task_id, file, worker, COALESCE(lease_until > now(), false), answered_at, message, fail_code, fail_msg
                FROM kling.submissions WHERE endpoint = @e AND line_key = ANY(@keys) ORDER BY id;
                """, ("e", endpoint), ("keys", Typed(NpgsqlDbType.Array | NpgsqlDbType.Text, lineKeys.ToArray())));
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
        Run(writing: false, (connection, transaction) => new DateTimeOffset((DateTime)LedgerSql.Scalar(connection, transaction, "SELECT now();")!, TimeSpan.Zero));

    /// <summary>
    /// Refuses to mark "sending" a line this worker no longer holds (its lease ran out and another worker took the line
    /// over: that worker sends it), and renews the lease of the one it does hold. A createTask that is no batch line
    /// (<c>kling generate</c>) has no holder.
    /// </summary>
    private void EnsureStillHeld(NpgsqlConnection connection, NpgsqlTransaction transaction, long submission)
    {
        var held = LedgerSql.Scalar(connection, transaction, """
            UPDATE kling.submissions SET lease_until = CASE WHEN worker IS NULL THEN NULL ELSE now() + @lease END
            WHERE id = @id AND (worker IS NULL OR (worker = @me AND outcome IN ('queued', 'sending'))) RETURNING id;
            """,
            ("id", submission), ("me", Worker), ("lease", Lease));
        if (held is not long)
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
