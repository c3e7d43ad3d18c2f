namespace KlingGenerated.Tests.Ledger;

/// <summary>The ledger suite on PostgreSQL: a new database of the test run's own server for each test.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresLedgerSuite(PostgresFixture postgres) : LedgerSuite
{
    protected override Task<string> NewLedgerAsync(string directory) => postgres.NewLedgerAsync();

    protected override List<Dictionary<string, object?>> Rows(string ledger, string sql) => postgres.Rows(ledger, sql);
}
