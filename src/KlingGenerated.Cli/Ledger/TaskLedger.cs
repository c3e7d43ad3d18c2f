using System.Globalization;
using Microsoft.Data.Sqlite;
using Newtonsoft.Json;

namespace KlingGenerated.Cli.Ledger;

/// <summary>
/// The local task ledger: one SQLite file that records every createTask before it is sent and after it is answered,
/// then the task's states, result URLs and downloaded file. The service cannot list tasks; this file can.
/// </summary>
/// <remarks>
/// WAL journal and one short IMMEDIATE transaction per change, so a kill -9 at any moment leaves the last committed
/// change readable; a busy timeout lets concurrent kling processes share one file. The writes that decide whether a
/// request may be sent again ("sending", and the answer: task id or uncertain) are synced to disk (synchronous FULL)
/// before they return, so they survive a power cut too; the others are synced with the next of those. No secret is stored:
/// only the endpoint's address.
/// </remarks>
internal sealed partial class TaskLedger : ITaskLedger, IAsyncDisposable
{
    private const int SchemaVersion = 1;
    private static readonly TimeSpan BusyTimeout = TimeSpan.FromSeconds(30);
    private readonly SqliteConnection _connection;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private bool _durable;
    private readonly List<string> _unreadable = [];

    private TaskLedger(string path, SqliteConnection connection)
    {
        Path = path;
        _connection = connection;
    }

    /// <summary>The ledger file.</summary>
    public string Path { get; }

    /// <inheritdoc />
    public string Location => Path;

    /// <inheritdoc />
    public string? LocalFile => Path;

    /// <summary>The rows that could not be read so far (each said once), which reads skipped.</summary>
    public IReadOnlyList<string> Unreadable => [.. _unreadable.Distinct(StringComparer.Ordinal)];

    /// <summary>Opens (creating if needed) the ledger at <paramref name="path"/>.</summary>
    public static TaskLedger Open(string path) => Open(path, BusyTimeout);

    /// <summary>Opens the ledger, waiting at most <paramref name="busyTimeout"/> for another writer's lock before a write fails.</summary>
    internal static TaskLedger Open(string path, TimeSpan busyTimeout)
    {
        var full = System.IO.Path.GetFullPath(path);
        var directory = System.IO.Path.GetDirectoryName(full)!;
        if (!Directory.Exists(directory))
        {
            // The ledger holds prompts: keep the folder private on Unix.
            if (OperatingSystem.IsWindows())
            {
                Directory.CreateDirectory(directory);
            }
            else
            {
                Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
        }

        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = full,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
            DefaultTimeout = Math.Max(1, (int)busyTimeout.TotalSeconds),
        }.ToString());
        try
        {
            connection.Open();
            LedgerSql.Execute(connection, null, $"PRAGMA busy_timeout = {(int)busyTimeout.TotalMilliseconds};");
            LedgerSql.Execute(connection, null, "PRAGMA journal_mode = WAL;");
            LedgerSql.Execute(connection, null, "PRAGMA synchronous = NORMAL;"); // WAL + NORMAL survives any process crash; FULL is set per write below
            using (var transaction = connection.BeginTransaction(deferred: false))
            {
                LedgerSql.Execute(connection, transaction, """
                    CREATE TABLE IF NOT EXISTS submissions (
                        id           INTEGER PRIMARY KEY AUTOINCREMENT,
                        endpoint     TEXT NOT NULL,
                        request      TEXT,
                        batch        TEXT,
                        line_key     TEXT,
                        line_number  INTEGER,
                        queued_at    TEXT NOT NULL,
                        sent_at      TEXT,
                        answered_at  TEXT,
                        outcome      TEXT NOT NULL,
                        message      TEXT,
                        task_id      TEXT,
                        state        TEXT,
                        fail_code    TEXT,
                        fail_msg     TEXT,
                        result_urls  TEXT,
                        file         TEXT,
                        updated_at   TEXT NOT NULL
                    );
                    DROP INDEX IF EXISTS submissions_task;
                    CREATE INDEX IF NOT EXISTS submissions_task_id ON submissions(task_id) WHERE task_id IS NOT NULL;
                    CREATE INDEX IF NOT EXISTS submissions_batch ON submissions(batch, line_key);
                    CREATE TABLE IF NOT EXISTS events (
                        id          INTEGER PRIMARY KEY AUTOINCREMENT,
                        submission  INTEGER NOT NULL REFERENCES submissions(id),
                        at          TEXT NOT NULL,
                        kind        TEXT NOT NULL,
                        detail      TEXT
                    );
                    """);
                if (Convert.ToInt64(LedgerSql.Scalar(connection, transaction, "SELECT COUNT(*) FROM pragma_table_info('submissions') WHERE name = 'owner';"), CultureInfo.InvariantCulture) == 0)
                {
                    LedgerSql.Execute(connection, transaction, "ALTER TABLE submissions ADD COLUMN owner TEXT;"); // who claimed a batch line (see Claim)
                }

                if (Convert.ToInt64(LedgerSql.Scalar(connection, transaction, "SELECT COUNT(*) FROM pragma_table_info('submissions') WHERE name = 'credits';"), CultureInfo.InvariantCulture) == 0)
                {
                    LedgerSql.Execute(connection, transaction, "ALTER TABLE submissions ADD COLUMN credits REAL;"); // creditsConsumed, when the service reports it
                }

                var version = Convert.ToInt32(LedgerSql.Scalar(connection, transaction, "PRAGMA user_version;"), CultureInfo.InvariantCulture);
                if (version > SchemaVersion)
                {
                    throw new LedgerException($"the ledger {full} was written by a newer kling (schema {version}); update kling or pass another --ledger.");
                }

                LedgerSql.Execute(connection, transaction, $"PRAGMA user_version = {SchemaVersion};");
                transaction.Commit();
            }

            return new TaskLedger(full, connection);
        }
        catch (SqliteException exception)
        {
            connection.Dispose();
            throw new LedgerException($"cannot open the task ledger {full} ({exception.Message}). Check the path and its permissions, or pass another --ledger / KLING_LEDGER.", exception);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>Records a createTask about to be handed to the client (nothing sent yet); returns its submission id.</summary>
    public long RecordQueued(string endpoint, string requestJson, string? batch = null, string? lineKey = null, int? lineNumber = null) =>
        Write(connection => InsertQueued(connection, Now(), endpoint, requestJson, batch, lineKey, lineNumber, owner: null));

    // The queued row of a createTask (with its claimant's owner token when it is a claimed batch line).
    private static long InsertQueued(SqliteConnection connection, string now, string endpoint, string requestJson, string? batch, string? lineKey, int? lineNumber, string? owner) =>
        (long)LedgerSql.Scalar(connection, null, """
            INSERT INTO submissions (endpoint, request, batch, line_key, line_number, queued_at, outcome, updated_at, owner)
            VALUES ($endpoint, $request, $batch, $key, $line, $now, 'queued', $now, $owner) RETURNING id;
            """,
            ("$endpoint", endpoint), ("$request", requestJson), ("$batch", batch), ("$key", lineKey), ("$line", lineNumber), ("$now", now), ("$owner", owner))!;

    /// <summary>Records that the request is leaving for the service now: from here on, a task may exist.</summary>
    public void MarkSending(long submission) =>
        Update(submission, durable: true, "sending", "sent_at = $now, outcome = CASE WHEN outcome = 'queued' THEN 'sending' ELSE outcome END", null, null);

    /// <summary>Records that the service answered that nothing was created (HTTP 429, body code 429 or 455) and the request will be sent again: queued, not on the wire.</summary>
    public void MarkQueuedAgain(long submission) =>
        Update(submission, durable: false, "refused", "sent_at = NULL, outcome = CASE WHEN outcome = 'sending' THEN 'queued' ELSE outcome END", null, "nothing created; sent again");

    /// <summary>Records the task id the service answered.</summary>
    public void RecordCreated(long submission, string taskId) =>
        Update(submission, durable: true, "created", "answered_at = $now, outcome = 'created', task_id = $detail, state = COALESCE(state, 'created'), message = NULL", taskId, taskId);

    /// <summary>Records a createTask whose outcome is unknown: the task may exist and may be charged.</summary>
    public void RecordUncertain(long submission, string message) =>
        Update(submission, durable: true, "uncertain", "answered_at = $now, outcome = 'uncertain', message = $detail", message, message);

    /// <summary>Records a createTask that surely created nothing (not sent, or refused by the service).</summary>
    public void RecordRejected(long submission, string message) =>
        Update(submission, durable: false, "rejected", "answered_at = $now, outcome = 'rejected', message = $detail", message, message);

    /// <summary>Records a createTask that was never sent (refused before it left, or cancelled before its body started to leave): nothing was created.</summary>
    public void RecordNotSent(long submission, string message) =>
        Update(submission, durable: false, "not-sent", "answered_at = $now, outcome = 'not-sent', message = $detail", message, message);

    /// <summary>Records what a query about <paramref name="taskId"/> said (filed under the id asked for, not the one echoed); a task unknown to the ledger is added.</summary>
    public void RecordState(string endpoint, string taskId, TaskRecord record)
    {
        ArgumentException.ThrowIfNullOrEmpty(taskId);
        var urls = LedgerRows.ResultUrls(record);

        Write(connection =>
        {
            var now = Now();
            var id = EnsureTask(connection, endpoint, taskId, record.Param, now);
            var changed = LedgerSql.Execute(connection, null, """
                UPDATE submissions SET state = $state, fail_code = $failCode, fail_msg = $failMsg,
                    result_urls = COALESCE($urls, result_urls), credits = COALESCE($credits, credits), updated_at = $now
                WHERE id = $id AND (state IS NOT $state OR ($urls IS NOT NULL AND result_urls IS NOT $urls) OR ($credits IS NOT NULL AND credits IS NOT $credits));
                """,
                ("$state", record.RawState ?? "unknown"), ("$failCode", record.FailCode), ("$failMsg", record.FailMsg), ("$urls", urls),
                ("$credits", record.CreditsConsumed is > 0 ? record.CreditsConsumed.Value : null), ("$now", now), ("$id", id));
            if (changed > 0)
            {
                AddEvent(connection, id, now, "state", record.RawState ?? "unknown");
            }

            return 0;
        });
    }

    /// <summary>Records the file a task's result was saved to.</summary>
    public void RecordFile(string endpoint, string taskId, string path) =>
        Write(connection =>
        {
            var now = Now();
            var id = EnsureTask(connection, endpoint, taskId, null, now);
            LedgerSql.Execute(connection, null, "UPDATE submissions SET file = $file, updated_at = $now WHERE id = $id;", ("$file", path), ("$now", now), ("$id", id));
            AddEvent(connection, id, now, "file", path);
            return 0;
        });

    /// <summary>Another submission to the same endpoint that already holds <paramref name="taskId"/>, or null.</summary>
    public LedgerEntry? FindOtherHolder(long submission, string taskId) =>
        Read("WHERE task_id = @p0 AND id <> @p1 AND endpoint = (SELECT endpoint FROM submissions WHERE id = @p1) ORDER BY id DESC LIMIT 1", [taskId, submission]).FirstOrDefault();

    /// <summary>The entry of a task, or null when the ledger does not know it.</summary>
    public LedgerEntry? Find(string taskId) =>
        Read("WHERE task_id = @p0 ORDER BY id DESC LIMIT 1", [taskId]).FirstOrDefault();

    /// <summary>Entries, newest first, optionally only in <paramref name="state"/> (a task state or an outcome) and since a time.</summary>
    public IReadOnlyList<LedgerEntry> List(string? state, DateTimeOffset? since) =>
        Read("WHERE (@p0 IS NULL OR state = @p0 OR outcome = @p0) AND (@p1 IS NULL OR queued_at >= @p1) ORDER BY id DESC",
            [state, since?.UtcDateTime.ToString("O", CultureInfo.InvariantCulture)]);

    /// <summary>Every batch line sent to <paramref name="endpoint"/>, whatever file it came from, oldest first: a batch is known by its lines' keys.</summary>
    public IReadOnlyList<LedgerEntry> BatchLines(string endpoint) => Read("WHERE endpoint = @p0 AND line_key IS NOT NULL ORDER BY id", [endpoint]);

    /// <summary>The most a task of <paramref name="endpoint"/> has cost (creditsConsumed as the service reported it), or null when none was reported.</summary>
    public double? ObservedTaskCost(string endpoint)
    {
        _gate.Wait();
        try
        {
            return LedgerSql.Scalar(_connection, null, "SELECT MAX(credits) FROM submissions WHERE endpoint = $e AND credits > 0;", ("$e", endpoint)) is double cost ? cost : null;
        }
        catch (SqliteException exception)
        {
            throw new LedgerException($"cannot read the task ledger {Path} ({exception.Message}).", exception);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>The size of the ledger's files (database and write-ahead log) in bytes.</summary>
    public long SizeInBytes() =>
        new[] { Path, Path + "-wal" }.Where(File.Exists).Sum(p => new FileInfo(p).Length);

    public void Dispose()
    {
        _owner?.Dispose();
        _connection.Dispose();
        _gate.Dispose();
    }

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    private void Update(long submission, bool durable, string kind, string set, string? detail, string? eventDetail) =>
        Write(durable, connection =>
        {
            var now = Now();
            LedgerSql.Execute(connection, null, $"UPDATE submissions SET {set}, updated_at = $now WHERE id = $id;", ("$now", now), ("$id", submission), ("$detail", detail));
            AddEvent(connection, submission, now, kind, eventDetail);
            return 0;
        });

    private static long EnsureTask(SqliteConnection connection, string endpoint, string taskId, string? param, string now)
    {
        // Not unique: a test server (or a buggy service) may answer the same id twice; the newest row follows the task.
        if (LedgerSql.Scalar(connection, null, "SELECT id FROM submissions WHERE task_id = $task ORDER BY id DESC LIMIT 1;", ("$task", taskId)) is long id)
        {
            return id;
        }

        // A task created elsewhere (another machine, an older kling): start following it now.
        var added = (long)LedgerSql.Scalar(connection, null, """
            INSERT INTO submissions (endpoint, request, queued_at, outcome, task_id, updated_at)
            VALUES ($endpoint, $request, $now, 'created', $task, $now) RETURNING id;
            """,
            ("$endpoint", endpoint), ("$request", param), ("$now", now), ("$task", taskId))!;
        AddEvent(connection, added, now, "imported", taskId);
        return added;
    }

    private static void AddEvent(SqliteConnection connection, long submission, string now, string kind, string? detail) =>
        LedgerSql.Execute(connection, null, "INSERT INTO events (submission, at, kind, detail) VALUES ($s, $at, $kind, $detail);",
            ("$s", submission), ("$at", now), ("$kind", kind), ("$detail", detail));

    private T Write<T>(Func<SqliteConnection, T> change) => Write(durable: false, change);

    private T Write<T>(bool durable, Func<SqliteConnection, T> change)
    {
        _gate.Wait();
        try
        {
            if (durable != _durable)
            {
                LedgerSql.Execute(_connection, null, durable ? "PRAGMA synchronous = FULL;" : "PRAGMA synchronous = NORMAL;");
                _durable = durable;
            }

            using var transaction = _connection.BeginTransaction(deferred: false);
            var result = change(_connection);
            transaction.Commit();
            return result;
        }
        catch (SqliteException exception)
        {
            throw new LedgerException($"cannot write the task ledger {Path} ({exception.Message}). Check the free disk space and the file's permissions.", exception);
        }
        finally
        {
            _gate.Release();
        }
    }

    private List<LedgerEntry> Read(string where, object?[] parameters)
    {
        _gate.Wait();
        try
        {
            return ReadUnlocked(where, parameters);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Reads entries; the caller holds <see cref="_gate"/>.</summary>
    private List<LedgerEntry> ReadUnlocked(string where, object?[] parameters)
    {
        try
        {
            return LedgerSql.Entries(_connection, null, "submissions", where, parameters, Time, Path, _unreadable.Add);
        }
        catch (SqliteException exception)
        {
            throw new LedgerException($"cannot read the task ledger {Path} ({exception.Message}). Check the file, or pass another --ledger / KLING_LEDGER.", exception);
        }
    }

    private static string Now() => DateTimeOffset.UtcNow.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);

    // ISO 8601 text, read as UTC.
    private static DateTimeOffset? Time(System.Data.Common.DbDataReader reader, int i) =>
        reader.IsDBNull(i) ? null : DateTimeOffset.Parse(reader.GetString(i), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
}

/// <summary>
/// One createTask (or a task the ledger follows) as the ledger knows it. Outcome is queued (not sent), sending (sent,
/// no answer recorded), created, uncertain (may exist) or rejected (nothing created).
/// </summary>
internal sealed record LedgerEntry(
    long Id, string Endpoint, string? Request, string? Batch, string? LineKey, int? LineNumber,
    DateTimeOffset QueuedAt, DateTimeOffset? SentAt, DateTimeOffset? AnsweredAt, string Outcome, string? Message,
    string? TaskId, string? State, string? FailCode, string? FailMessage, IReadOnlyList<string> ResultUrls, string? File, DateTimeOffset UpdatedAt)
{
    /// <summary>A createTask sent without an answer, or answered "may exist": the task may exist and may be charged.</summary>
    public bool IsUncertain => Outcome is "uncertain" or "sending";

    /// <summary>The task ended (success or fail).</summary>
    public bool IsFinal => State is "success" or "fail";
}

/// <summary>The ledger could not be opened, read or written; the message says which file and what to do.</summary>
internal class LedgerException(string message, Exception? inner = null) : Exception(message, inner);
