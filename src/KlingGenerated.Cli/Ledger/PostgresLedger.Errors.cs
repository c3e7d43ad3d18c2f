using Npgsql;

namespace KlingGenerated.Cli.Ledger;

/// <summary>PostgreSQL's failures as ledger errors that say what to do, never with the password.</summary>
internal sealed partial class PostgresLedger
{
    private LedgerException Explain(Exception exception, bool opening, string? user, string? database, bool writing = false)
    {
        var detail = Clean(exception.Message);
        var nothingSent = opening ? " Nothing was sent." : string.Empty;
        var who = user is null ? "the ledger's user" : $"the user {Text.Safe(user, 60)}";
        var message = exception switch
        {
            PostgresException { SqlState: "42501" } =>
                $"{who} lacks the rights the task ledger needs in {Location} ({detail}). The database's owner can give them: "
                + $"CREATE SCHEMA kling AUTHORIZATION {Text.Safe(user ?? "USER", 60)}; or, once the schema exists, GRANT USAGE ON SCHEMA kling and SELECT, INSERT, UPDATE on its tables and sequences.{nothingSent}",
            PostgresException { SqlState: "28P01" or "28000" } =>
                $"PostgreSQL refused {who} at {Location} ({detail}). Check the user and its password (PGPASSWORD or ~/.pgpass) and the server's pg_hba.conf.{nothingSent}",
            PostgresException { SqlState: "3D000" } =>
                $"the database of the ledger {Location} does not exist ({detail}). Create it (createdb {Text.Safe(database ?? "NAME", 60)}) or name another one in --ledger.{nothingSent}",
            PostgresException postgres when opening =>
                $"cannot open the task ledger {Location} (PostgreSQL {postgres.SqlState}: {detail}).{nothingSent}",
            PostgresException postgres =>
                $"cannot {(writing ? "write" : "read")} the task ledger {Location} (PostgreSQL {postgres.SqlState}: {detail}).",
            _ when opening =>
                $"cannot reach the PostgreSQL task ledger {Location} ({detail}). Start the server, or check the host and port in --ledger / KLING_LEDGER.{nothingSent}",
            _ =>
                $"lost the PostgreSQL task ledger {Location} for more than {OutageWait.TotalSeconds:0} s ({detail}).",
        };
        return new LedgerException(message, exception);
    }

    /// <summary>An exception's message on one line, without the password (should a driver ever echo it).</summary>
    private string Clean(string message)
    {
        var text = SecretText.Redact(ExitCodes.OneLine(message));
        return string.IsNullOrEmpty(_password) ? text : text.Replace(_password, "***", StringComparison.Ordinal);
    }
}
