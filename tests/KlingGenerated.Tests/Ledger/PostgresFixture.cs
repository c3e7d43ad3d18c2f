using System.Globalization;
using KlingGenerated.Redis.ScaleOut;
using Npgsql;

namespace KlingGenerated.Tests.Ledger;

/// <summary>
/// One private PostgreSQL server for the whole test run (initdb into a temporary folder, a free loopback port, run as
/// the postgres user), stopped and removed at the end; each test takes a new database of it.
/// </summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    public PostgresServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await PostgresServer.StartAsync();

    public async Task DisposeAsync() => await Server.DisposeAsync();

    /// <summary>A ledger URI (with the superuser's password) on a new empty database.</summary>
    public async Task<string> NewLedgerAsync() => Server.Uri(await Server.CreateDatabaseAsync());

    /// <summary>Rows of a query on the ledger's tables (schema kling), read with Npgsql; times as ISO 8601 text (UTC), so they compare as SQLite's do.</summary>
    public List<Dictionary<string, object?>> Rows(string ledger, string sql)
    {
        var database = new Uri(ledger).AbsolutePath.Trim('/');
        using var connection = new NpgsqlConnection(Server.ConnectionString(database) + ";Search Path=kling");
        connection.Open();
        using var command = new NpgsqlCommand(sql, connection);
        using var reader = command.ExecuteReader();
        var rows = new List<Dictionary<string, object?>>();
        while (reader.Read())
        {
            rows.Add(Enumerable.Range(0, reader.FieldCount).ToDictionary(reader.GetName, i => reader.IsDBNull(i) ? null : reader.GetValue(i) switch
            {
                DateTime time => time.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture),
                var value => value,
            }));
        }

        return rows;
    }
}

/// <summary>The PostgreSQL tests share one server, started once per run (tests that stop it start their own).</summary>
[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresFixture>
{
    public const string Name = "PostgreSQL";
}

/// <summary>The shared-batch runs (worker processes, seconds each) have a PostgreSQL server of their own, so they run beside the ledger suite.</summary>
[CollectionDefinition(Name)]
public sealed class PostgresScaleOutCollection : ICollectionFixture<PostgresFixture>
{
    public const string Name = "PostgreSQL scale-out";
}
