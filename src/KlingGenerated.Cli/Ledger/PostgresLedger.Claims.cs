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
    private const string Active = "outcome IN ('queued', 'sending', 'created', 'uncertain')";

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

    /// <summary>
    /// Claims one line for this worker: a new queued submission when nobody holds the line's key, or the line of a
    /// worker whose lease ran out when it was only queued (to send) or created (to follow). A line that was on the wire
    /// when its holder stopped is recorded as uncertain instead. Null when the line is not this worker's to take.
    /// </summary>
    public LineClaim? Claim(string endpoint, string batch, string lineKey, int lineNumber, string requestJson) =>
        Write((connection, transaction) =>
        {
            using (var insert = Command(connection, transaction, $"""
                INSERT INTO kling.submissions (endpoint, request, batch, line_key, line_number, queued_at, outcome, updated_at, worker, lease_until)
                VALUES (@e, @request, @batch, @key, @line, now(), 'queued', now(), @me, now() + @lease)
                ON CONFLICT (endpoint, line_key) WHERE line_key IS NOT NULL AND {Active} DO NOTHING
                RETURNING id;
                """))
            {
                insert.Parameters.AddWithValue("e", endpoint);
                insert.Parameters.AddWithValue("request", requestJson);
                insert.Parameters.AddWithValue("batch", batch);
                insert.Parameters.AddWithValue("key", lineKey);
                insert.Parameters.AddWithValue("line", lineNumber);
                insert.Parameters.AddWithValue("me", Worker);
                insert.Parameters.AddWithValue("lease", Lease);
                if (insert.ExecuteScalar() is long id)
                {
                    AddEvent(connection, transaction, id, "claimed", Worker);
                    return new LineClaim(id, "queued", null, null);
                }
            }

            using (var take = Command(connection, transaction, $"""
                WITH old AS (
                    SELECT id, worker FROM kling.submissions
                    WHERE endpoint = @e AND line_key = @key AND outcome IN ('queued', 'created') AND (lease_until IS NULL OR lease_until < now())
                      AND NOT (outcome = 'created' AND (state = 'fail' OR (state = 'success' AND file IS NOT NULL)))
                    ORDER BY id DESC LIMIT 1 FOR UPDATE SKIP LOCKED)
                UPDATE kling.submissions s SET worker = @me, lease_until = now() + @lease, updated_at = now()
                FROM old WHERE s.id = old.id
                RETURNING s.id, s.outcome, s.task_id, old.worker;
                """))
            {
                take.Parameters.AddWithValue("e", endpoint);
                take.Parameters.AddWithValue("key", lineKey);
                take.Parameters.AddWithValue("me", Worker);
                take.Parameters.AddWithValue("lease", Lease);
                using var reader = take.ExecuteReader();
                if (reader.Read())
                {
                    var claim = new LineClaim(reader.GetInt64(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2), reader.IsDBNull(3) ? "?" : reader.GetString(3));
                    reader.Close();
                    AddEvent(connection, transaction, claim.Submission, "taken-over", $"from {claim.TakenFrom} by {Worker}");
                    return claim;
                }
            }

            using (var lost = Command(connection, transaction, """
                UPDATE kling.submissions SET outcome = 'uncertain', answered_at = now(), updated_at = now(), lease_until = NULL,
                    message = 'the worker ' || COALESCE(worker, '?') || ' stopped while this createTask was on the wire: a task may exist and be charged'
                WHERE endpoint = @e AND line_key = @key AND outcome = 'sending' AND lease_until < now()
                RETURNING id, message;
                """))
            {
                lost.Parameters.AddWithValue("e", endpoint);
                lost.Parameters.AddWithValue("key", lineKey);
                using var reader = lost.ExecuteReader();
                if (reader.Read())
                {
                    var (id, message) = (reader.GetInt64(0), reader.GetString(1));
                    reader.Close();
                    AddEvent(connection, transaction, id, "uncertain", message);
                }
            }

            return (LineClaim?)null;
        });

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

    /// <summary>Refuses to mark "sending" a line another worker took over (this worker's lease ran out): that worker sends it.</summary>
    private void EnsureStillHeld(NpgsqlConnection connection, NpgsqlTransaction transaction, long submission)
    {
        using var command = Command(connection, transaction, "SELECT worker FROM kling.submissions WHERE id = @id FOR UPDATE;");
        command.Parameters.AddWithValue("id", submission);
        if (command.ExecuteScalar() is string holder && holder != Worker)
        {
            throw new LedgerException($"another worker ({Text.Safe(holder, 80)}) took over this line after this worker's lease ran out; this worker did not send it.");
        }
    }
}

/// <summary>A line this worker claimed: its submission, its outcome (queued: to send; created: to follow), and whose it was.</summary>
internal sealed record LineClaim(long Submission, string Outcome, string? TaskId, string? TakenFrom);

/// <summary>One submission of a shared batch line, as every worker sees it.</summary>
internal sealed record SharedLine(
    string LineKey, long Id, string Outcome, string? State, string? TaskId, string? File, string? Worker, bool Leased,
    DateTimeOffset? AnsweredAt, string? Message, string? FailCode, string? FailMessage)
{
    public bool IsActive => Outcome is "queued" or "sending" or "created" or "uncertain";
}
