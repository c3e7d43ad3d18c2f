namespace KlingGenerated.Tests.Ledger;

/// <summary>The ledger suite on a SQLite file, the default ledger.</summary>
public sealed class SqliteLedgerSuite : LedgerSuite
{
    protected override Task<string> NewLedgerAsync(string directory) => Task.FromResult(Path.Combine(directory, "tasks.db"));

    protected override List<Dictionary<string, object?>> Rows(string ledger, string sql) => LedgerTests.Rows(ledger, sql);
}
