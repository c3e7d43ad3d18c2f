using System.Globalization;
using Newtonsoft.Json;
using Npgsql;

namespace KlingGenerated.Cli.Ledger;

/// <summary>Rows of <c>kling.submissions</c> as ledger entries, and PostgreSQL's errors as messages that say what to do.</summary>
internal static class PostgresRows
{
    /// <summary>The entry of the reader's row, or null with <paramref name="problem"/> when the row cannot be read.</summary>
    public static LedgerEntry? Entry(NpgsqlDataReader reader, string location, out string? problem)
    {
        string? Text(int i) => reader.IsDBNull(i) ? null : reader.GetString(i);
        DateTimeOffset? Time(int i) => reader.IsDBNull(i) ? null : new DateTimeOffset(reader.GetFieldValue<DateTime>(i), TimeSpan.Zero);
        try
        {
            problem = null;
            return new LedgerEntry(
                reader.GetInt64(0), reader.GetString(1), Text(2), Text(3), Text(4), reader.IsDBNull(5) ? null : reader.GetInt32(5),
                Time(6)!.Value, Time(7), Time(8), reader.GetString(9), Text(10), Text(11), Text(12), Text(13), Text(14),
                Text(15) is { } urls ? JsonConvert.DeserializeObject<string[]>(urls) ?? [] : [], Text(16), Time(17)!.Value);
        }
        catch (Exception exception) when (exception is FormatException or JsonException or InvalidCastException or OverflowException or InvalidOperationException)
        {
            // One damaged row (edited by hand, written by a broken tool) is flagged and skipped; the others stay readable.
            var row = reader.IsDBNull(0) ? "?" : Convert.ToString(reader.GetValue(0), CultureInfo.InvariantCulture);
            problem = $"row #{row} of {location} is unreadable ({exception.Message}); it was skipped.";
            return null;
        }
    }
}
