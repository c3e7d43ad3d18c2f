using System.Data.Common;
using System.Globalization;
using Newtonsoft.Json;

namespace KlingGenerated.Cli.Ledger;

/// <summary>
/// Rows of the submissions table as ledger entries, the same on every ledger (SQLite and PostgreSQL keep the same
/// columns; only how a time is stored differs), and what a task's answer stores.
/// </summary>
internal static class LedgerRows
{
    /// <summary>The columns of an entry, in the order <see cref="Entry"/> reads them.</summary>
    public const string Columns = "id, endpoint, request, batch, line_key, line_number, queued_at, sent_at, answered_at, outcome, message, task_id, state, fail_code, fail_msg, result_urls, file, updated_at";

    /// <summary>
    /// The entry of the reader's row, or null with <paramref name="problem"/> when the row cannot be read;
    /// <paramref name="time"/> reads a time column as the database stores it (null when the column is null).
    /// </summary>
    public static LedgerEntry? Entry(DbDataReader reader, Func<DbDataReader, int, DateTimeOffset?> time, string location, out string? problem)
    {
        string? Text(int i) => reader.IsDBNull(i) ? null : reader.GetString(i);
        DateTimeOffset? Time(int i) => time(reader, i);
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

    /// <summary>The result URLs a task's answer stores (JSON), or null when it has none or they cannot be read.</summary>
    public static string? ResultUrls(TaskRecord record)
    {
        if (record.State != TaskState.Success)
        {
            return null;
        }

        try
        {
            return JsonConvert.SerializeObject(record.GetResultUrls().Select(u => u.ToString()));
        }
        catch (FormatException)
        {
            // A resultJson that is not {"resultUrls": [...]}: the state is still worth keeping; the download says what is wrong.
            return null;
        }
    }
}
