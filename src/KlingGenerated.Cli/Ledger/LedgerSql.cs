using System.Data.Common;
using System.Globalization;

namespace KlingGenerated.Cli.Ledger;

/// <summary>Builds and runs ledger statements for both ledgers (SQLite, PostgreSQL), so binding and reading entries are written once; each keeps its own SQL.</summary>
internal static class LedgerSql
{
    /// <summary>
    /// A command of <paramref name="sql"/> with <paramref name="parameters"/> bound by name (a null value is SQL NULL);
    /// a value that is itself a <see cref="DbParameter"/> (a typed NULL, which PostgreSQL needs) is bound as it is, under that name.
    /// </summary>
    public static DbCommand Command(DbConnection connection, DbTransaction? transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        if (transaction is not null)
        {
            command.Transaction = transaction; // else the connection's own (SQLite sets its open transaction on every new command)
        }
        foreach (var (name, value) in parameters)
        {
            var parameter = value as DbParameter ?? command.CreateParameter();
            parameter.ParameterName = name;
            if (value is not DbParameter)
            {
                parameter.Value = value ?? DBNull.Value;
            }

            command.Parameters.Add(parameter);
        }

        return command;
    }

    /// <summary>Runs a statement that returns no rows; the number of rows it changed.</summary>
    public static int Execute(DbConnection connection, DbTransaction? transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = Command(connection, transaction, sql, parameters);
        return command.ExecuteNonQuery();
    }

    /// <summary>Runs a statement; the first column of its first row (null when there is none).</summary>
    public static object? Scalar(DbConnection connection, DbTransaction? transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = Command(connection, transaction, sql, parameters);
        return command.ExecuteScalar();
    }

    /// <summary>
    /// The entries of <paramref name="table"/> that <paramref name="where"/> selects, its placeholders @p0, @p1… bound to
    /// <paramref name="values"/> in order; a row that cannot be read goes to <paramref name="unreadable"/> and is skipped.
    /// </summary>
    public static List<LedgerEntry> Entries(
        DbConnection connection, DbTransaction? transaction, string table, string where, object?[] values,
        Func<DbDataReader, int, DateTimeOffset?> time, string location, Action<string> unreadable)
    {
        var parameters = values.Select((value, i) => ("@p" + i.ToString(CultureInfo.InvariantCulture), value)).ToArray();
        using var command = Command(connection, transaction, $"SELECT {LedgerRows.Columns} FROM {table} {where};", parameters);
        using var reader = command.ExecuteReader();
        var entries = new List<LedgerEntry>();
        while (reader.Read())
        {
            if (LedgerRows.Entry(reader, time, location, out var problem) is { } entry)
            {
                entries.Add(entry);
            }
            else
            {
                unreadable(problem!);
            }
        }

        return entries;
    }
}
