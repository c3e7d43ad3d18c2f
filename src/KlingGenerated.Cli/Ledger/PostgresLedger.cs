using System.Globalization;
using Newtonsoft.Json;
using Npgsql;
using NpgsqlTypes;

namespace KlingGenerated.Cli.Ledger;

/// <summary>
/// The task ledger in a PostgreSQL database that many machines share (<c>--ledger postgresql://…</c>): the same
/// submissions and events as the SQLite ledger, in the schema <c>kling</c>, each change one transaction committed before
/// the method returns. The schema is versioned and created on first use.
/// </summary>
/// <remarks>
/// A restart of the server mid-run is waited out: a change or read that loses its connection is tried again on a new one
/// for up to <see cref="OutageWait"/> (a change tried again is idempotent: the queued row carries its own reference).
/// Opening does not wait: a server that is down at the start fails the command before anything is sent.
/// </remarks>
internal sealed partial class PostgresLedger : ITaskLedger
{
    /// <summary>The version of the tables this kling reads and writes.</summary>
    public const int SchemaVersion = 2;

    /// <summary>How long a change waits for an unreachable server (a restart) before it fails.</summary>
    public static TimeSpan OutageWait { get; set; } = TimeSpan.FromSeconds(90);

    private readonly NpgsqlDataSource _source;
    private readonly List<string> _unreadable = [];
    private readonly string? _password;

    private PostgresLedger(NpgsqlDataSource source, string location, string? password)
    {
        _source = source;
        Location = location;
        _password = password;
    }

    public string Location { get; }

    public string? LocalFile => null;

    public IReadOnlyList<string> Unreadable
    {
        get
        {
            lock (_unreadable)
            {
                return [.. _unreadable.Distinct(StringComparer.Ordinal)];
            }
        }
    }

    /// <summary>Whether <paramref name="setting"/> names a PostgreSQL ledger rather than a file.</summary>
    public static bool IsConnection(string setting) =>
        setting.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase) || setting.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase);

    /// <summary>Connects to the database of <paramref name="uri"/> and creates or checks the ledger's tables; fails at once when it cannot.</summary>
    public static PostgresLedger Open(string uri)
    {
        var (builder, location) = PostgresConnection.Parse(uri);
        var source = new NpgsqlDataSourceBuilder(builder.ConnectionString).Build();
        var ledger = new PostgresLedger(source, location, builder.Password);
        try
        {
            // A server that answers "shutting down" or "starting up" is being restarted: waited for, as a change would be.
            // A server that does not answer at all is down: that fails at once, before anything is sent.
            var deadline = DateTime.UtcNow + OutageWait;
            while (true)
            {
                try
                {
                    using var connection = source.OpenConnection();
                    PostgresSchema.Ensure(connection, location, builder.Username);
                    return ledger;
                }
                catch (PostgresException restarting) when (restarting.SqlState is "57P01" or "57P02" or "57P03" && DateTime.UtcNow < deadline)
                {
                    source.Clear();
                    Thread.Sleep(500);
                }
            }
        }
        catch (Exception exception) when (exception is NpgsqlException or TimeoutException or System.Net.Sockets.SocketException)
        {
            ledger.Dispose();
            throw ledger.Explain(exception, opening: true, builder.Username, builder.Database);
        }
        catch
        {
            ledger.Dispose();
            throw;
        }
    }

    public long RecordQueued(string endpoint, string requestJson, string? batch = null, string? lineKey = null, int? lineNumber = null)
    {
        var reference = Guid.NewGuid(); // a retried insert whose first commit did succeed finds its row instead of adding another
        return Write((connection, transaction) =>
        {
            return (long)LedgerSql.Scalar(connection, transaction, """
                INSERT INTO kling.submissions (endpoint, request, batch, line_key, line_number, queued_at, outcome, updated_at, client_ref)
                VALUES (@endpoint, @request, @batch, @key, @line, now(), 'queued', now(), @ref)
                ON CONFLICT (client_ref) DO UPDATE SET client_ref = EXCLUDED.client_ref
                RETURNING id;
                """,
                ("endpoint", endpoint), ("request", requestJson), ("batch", Typed(NpgsqlDbType.Text, batch)), ("key", Typed(NpgsqlDbType.Text, lineKey)),
                ("line", Typed(NpgsqlDbType.Integer, lineNumber)), ("ref", reference))!;
        });
    }

    public void MarkSending(long submission) =>
        Update(submission, "sending", "sent_at = now(), outcome = CASE WHEN outcome = 'queued' THEN 'sending' ELSE outcome END", null, null, fenced: true);

    public void MarkQueuedAgain(long submission) =>
        Update(submission, "refused", "sent_at = NULL, outcome = CASE WHEN outcome = 'sending' THEN 'queued' ELSE outcome END", null, "nothing created; sent again");

    public void RecordCreated(long submission, string taskId) =>
        Update(submission, "created", "answered_at = now(), outcome = 'created', task_id = @detail, state = COALESCE(state, 'created'), message = NULL", taskId, taskId);

    public void RecordUncertain(long submission, string message) =>
        Update(submission, "uncertain", "answered_at = now(), outcome = 'uncertain', message = @detail", message, message);

    public void RecordRejected(long submission, string message) =>
        Update(submission, "rejected", "answered_at = now(), outcome = 'rejected', message = @detail", message, message);

    public void RecordNotSent(long submission, string message) =>
        Update(submission, "not-sent", "answered_at = now(), outcome = 'not-sent', message = @detail", message, message);

    public void RecordState(string endpoint, string taskId, TaskRecord record)
    {
        ArgumentException.ThrowIfNullOrEmpty(taskId);
        var urls = LedgerRows.ResultUrls(record);

        Write((connection, transaction) =>
        {
            var id = EnsureTask(connection, transaction, endpoint, taskId, record.Param);
            var changed = LedgerSql.Execute(connection, transaction, """
                UPDATE kling.submissions SET state = @state, fail_code = @failCode, fail_msg = @failMsg,
                    result_urls = COALESCE(@urls, result_urls), credits = COALESCE(@credits, credits), updated_at = now()
                WHERE id = @id AND (state IS DISTINCT FROM @state OR (@urls IS NOT NULL AND result_urls IS DISTINCT FROM @urls) OR (@credits IS NOT NULL AND credits IS DISTINCT FROM @credits));
                """,
                ("state", record.RawState ?? "unknown"), ("failCode", Typed(NpgsqlDbType.Text, record.FailCode)), ("failMsg", Typed(NpgsqlDbType.Text, record.FailMsg)),
                ("urls", Typed(NpgsqlDbType.Text, urls)), ("credits", Typed(NpgsqlDbType.Double, record.CreditsConsumed is > 0 ? record.CreditsConsumed.Value : null)), ("id", id));
            if (changed > 0)
            {
                AddEvent(connection, transaction, id, "state", record.RawState ?? "unknown");
            }

            return 0;
        });
    }

    public void RecordFile(string endpoint, string taskId, string path) =>
        Write((connection, transaction) =>
        {
            var id = EnsureTask(connection, transaction, endpoint, taskId, null);
            LedgerSql.Execute(connection, transaction, "UPDATE kling.submissions SET file = @file, updated_at = now() WHERE id = @id;", ("file", path), ("id", id));
            AddEvent(connection, transaction, id, "file", path);
            return 0;
        });

    public LedgerEntry? FindOtherHolder(long submission, string taskId) =>
        Read("WHERE task_id = @p0 AND id <> @p1 AND endpoint = (SELECT endpoint FROM kling.submissions WHERE id = @p1) ORDER BY id DESC LIMIT 1", taskId, submission).FirstOrDefault();

    public LedgerEntry? Find(string taskId) => Read("WHERE task_id = @p0 ORDER BY id DESC LIMIT 1", taskId).FirstOrDefault();

    public IReadOnlyList<LedgerEntry> List(string? state, DateTimeOffset? since) =>
        Read("WHERE (@p0::text IS NULL OR state = @p0 OR outcome = @p0) AND (@p1::timestamptz IS NULL OR queued_at >= @p1) ORDER BY id DESC",
            (object?)state ?? DBNull.Value, since is { } s ? s.ToUniversalTime() : DBNull.Value);

    public IReadOnlyList<LedgerEntry> BatchLines(string endpoint) => Read("WHERE endpoint = @p0 AND line_key IS NOT NULL ORDER BY id", endpoint);

    public double? ObservedTaskCost(string endpoint) =>
        Run(writing: false, (connection, transaction) =>
            LedgerSql.Scalar(connection, transaction, "SELECT MAX(credits) FROM kling.submissions WHERE endpoint = @e AND credits > 0;", ("e", endpoint)) is double cost ? (double?)cost : null);

    public void Dispose() => _source.Dispose();

    private void Update(long submission, string kind, string set, string? detail, string? eventDetail, bool fenced = false) =>
        Write((connection, transaction) =>
        {
            if (fenced)
            {
                EnsureStillHeld(connection, transaction, submission);
            }

            LedgerSql.Execute(connection, transaction, $"UPDATE kling.submissions SET {set}, updated_at = now() WHERE id = @id;", ("id", submission), ("detail", Typed(NpgsqlDbType.Text, detail)));
            AddEvent(connection, transaction, submission, kind, eventDetail);
            return 0;
        });

    private static long EnsureTask(NpgsqlConnection connection, NpgsqlTransaction transaction, string endpoint, string taskId, string? param)
    {
        // Not unique: a test server (or a buggy service) may answer the same id twice; the newest row follows the task.
        if (LedgerSql.Scalar(connection, transaction, "SELECT id FROM kling.submissions WHERE task_id = @task ORDER BY id DESC LIMIT 1;", ("task", taskId)) is long id)
        {
            return id;
        }

        // A task created elsewhere (another ledger, an older kling): start following it now.
        var added = (long)LedgerSql.Scalar(connection, transaction, """
            INSERT INTO kling.submissions (endpoint, request, queued_at, outcome, task_id, updated_at)
            VALUES (@endpoint, @request, now(), 'created', @task, now()) RETURNING id;
            """,
            ("endpoint", endpoint), ("request", Typed(NpgsqlDbType.Text, param)), ("task", taskId))!;
        AddEvent(connection, transaction, added, "imported", taskId);
        return added;
    }

    private static void AddEvent(NpgsqlConnection connection, NpgsqlTransaction transaction, long submission, string kind, string? detail) =>
        LedgerSql.Execute(connection, transaction, "INSERT INTO kling.events (submission, at, kind, detail) VALUES (@s, now(), @kind, @detail);",
            ("s", submission), ("kind", kind), ("detail", Typed(NpgsqlDbType.Text, detail)));

    private List<LedgerEntry> Read(string where, params object?[] parameters) =>
        Run(writing: false, (connection, transaction) => Entries(connection, transaction, where, parameters));

    /// <summary>Reads entries in the caller's transaction; an unreadable row is noted in <see cref="Unreadable"/>.</summary>
    private List<LedgerEntry> Entries(NpgsqlConnection connection, NpgsqlTransaction transaction, string where, params object?[] parameters) =>
        LedgerSql.Entries(connection, transaction, "kling.submissions", where, parameters, Time, Location, problem =>
        {
            lock (_unreadable)
            {
                _unreadable.Add(problem);
            }
        });

    private T Write<T>(Func<NpgsqlConnection, NpgsqlTransaction, T> change) => Run(writing: true, change);

    /// <summary>Runs one transaction, on a new connection when the server restarted, for up to <see cref="OutageWait"/>.</summary>
    private T Run<T>(bool writing, Func<NpgsqlConnection, NpgsqlTransaction, T> work)
    {
        var deadline = DateTime.UtcNow + OutageWait;
        var pause = TimeSpan.FromMilliseconds(200);
        while (true)
        {
            try
            {
                using var connection = _source.OpenConnection();
                using var transaction = connection.BeginTransaction();
                var result = work(connection, transaction);
                transaction.Commit();
                return result;
            }
            catch (Exception exception) when (IsOutage(exception) && DateTime.UtcNow < deadline)
            {
                _source.Clear(); // the pool's other connections died with the server too
                Thread.Sleep(pause);
                pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, TimeSpan.FromSeconds(2).Ticks));
            }
            catch (Exception exception) when (exception is NpgsqlException or TimeoutException or System.Net.Sockets.SocketException)
            {
                throw Explain(exception, opening: false, null, null, writing);
            }
        }
    }

    private static bool IsOutage(Exception exception) => exception switch
    {
        PostgresException postgres => postgres.SqlState.StartsWith("08", StringComparison.Ordinal) // connection exceptions
            || postgres.SqlState is "57P01" or "57P02" or "57P03" // shut down, crash, cannot connect now (starting up)
            || postgres.SqlState is "40001" or "40P01", // serialization failure, deadlock: try again
        NpgsqlException npgsql => npgsql.IsTransient || npgsql.InnerException is System.Net.Sockets.SocketException or IOException or TimeoutException,
        TimeoutException or System.Net.Sockets.SocketException => true,
        _ => false,
    };

    // timestamptz, read as UTC.
    private static DateTimeOffset? Time(System.Data.Common.DbDataReader reader, int i) =>
        reader.IsDBNull(i) ? null : new DateTimeOffset(reader.GetFieldValue<DateTime>(i), TimeSpan.Zero);

    // A parameter of a given type: PostgreSQL cannot infer the type of a NULL in every place (@urls IS NOT NULL).
    private static NpgsqlParameter Typed(NpgsqlDbType type, object? value) => new() { NpgsqlDbType = type, Value = value ?? DBNull.Value };
}
