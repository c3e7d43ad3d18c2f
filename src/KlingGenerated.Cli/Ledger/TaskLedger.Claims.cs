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
        var folder = System.IO.Path.GetDirectoryName(Path)!;
        return Write(durable: false, connection =>
        {
            // BEGIN IMMEDIATE (Write's transaction) holds the write lock: no other process claims between this read and the insert.
            using var find = LedgerSql.Command(connection, null, $"""
                SELECT id, outcome, owner, outcome = 'created' AND (state = 'fail' OR (state = 'success' AND file IS NOT NULL)) FROM submissions
                WHERE endpoint = $e AND line_key = $k AND outcome IN {LineClaims.ActiveOutcomes} ORDER BY id;
                """, ("$e", endpoint), ("$k", lineKey));
            var rows = new List<ClaimRow>();
            using (var reader = find.ExecuteReader())
            {
                while (reader.Read())
                {
                    var holder = reader.IsDBNull(2) ? null : reader.GetString(2);
                    var alive = holder is not null && (holder == owner || LedgerOwner.IsAlive(folder, holder));
                    rows.Add(new ClaimRow(reader.GetInt64(0), reader.GetString(1), holder, alive, holder == owner, !reader.IsDBNull(3) && reader.GetBoolean(3)));
                }
            }

            return LineClaims.Decide(rows, resubmitUncertain, new SqliteClaimSteps(this, connection, owner, (endpoint, requestJson, batch, lineKey, lineNumber)));
        });
    }

    private sealed class SqliteClaimSteps(TaskLedger ledger, SqliteConnection connection, string owner, (string Endpoint, string Request, string Batch, string Key, int Line) line) : IClaimSteps
    {
        private readonly string _now = Now();

        public LedgerEntry? Read(long id) => ledger.ReadUnlocked("WHERE id = @p0", [id]).FirstOrDefault();

        public void Release(long id, string outcome, string message)
        {
            LedgerSql.Execute(connection, null, "UPDATE submissions SET outcome = $o, message = COALESCE(message, $m), answered_at = $now, updated_at = $now WHERE id = $id;",
                ("$o", outcome), ("$m", message), ("$now", _now), ("$id", id));
            AddEvent(connection, id, _now, outcome, message);
        }

        public void Adopt(long id)
        {
            LedgerSql.Execute(connection, null, "UPDATE submissions SET owner = $owner, updated_at = $now WHERE id = $id;", ("$owner", owner), ("$now", _now), ("$id", id));
            AddEvent(connection, id, _now, "taken-over", owner);
        }

        public long? Insert() => InsertQueued(connection, _now, line.Endpoint, line.Request, line.Batch, line.Key, line.Line, owner);

        public LedgerEntry? ActiveHolder() => null; // the write lock admits one claim at a time: an insert never loses a race
    }
}
