using System.Globalization;
using CsvHelper;
using CsvHelper.Configuration;
using Newtonsoft.Json.Linq;

namespace KlingGenerated.Cli.Batch;

/// <summary>
/// The rows of a CSV batch file, read by CsvHelper (RFC 4180: quoted line breaks, doubled quotes, a BOM, CRLF), as a
/// spreadsheet exports them. The header names the columns: <c>prompt</c>, optionally <c>id</c>, <c>model</c> and the input
/// fields of the models (<see cref="BatchInput.Keys"/>); a row's cells are read as its model's fields are typed in the document.
/// </summary>
internal static class CsvRows
{
    public static IEnumerable<(int Number, JObject? Input, string? Problem)> Read(string text)
    {
        var configuration = new CsvConfiguration(CultureInfo.InvariantCulture)
        {
            HasHeaderRecord = true,
            IgnoreBlankLines = true,
            BadDataFound = null, // a stray quote inside an unquoted cell is kept as text, as spreadsheets read it
            DetectColumnCountChanges = false,
        };
        using var reader = new StringReader(text.Length > 0 && text[0] == '\uFEFF' ? text[1..] : text);
        using var parser = new CsvParser(reader, configuration);
        if (!parser.Read())
        {
            yield break;
        }

        var columns = parser.Record!.Select(c => c.Trim()).ToArray();
        if (!columns.Contains("prompt", StringComparer.Ordinal))
        {
            yield return (parser.RawRow, null, $"the CSV header must name a 'prompt' column; it names {string.Join(", ", columns.Select(c => $"'{Ledger.Text.Safe(c, 60)}'"))}.{HeaderAdvice(columns)}");
            yield break;
        }

        var repeated = columns.Where(c => c.Length > 0).GroupBy(c => c, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1)?.Key;
        if (repeated is not null)
        {
            yield return (parser.RawRow, null, $"the column '{Ledger.Text.Safe(repeated, 60)}' appears twice in the header; keep one of them, as which value was meant is a guess.");
            yield break;
        }

        var unknown = columns.FirstOrDefault(c => c.Length > 0 && !BatchInput.Keys.Contains(c, StringComparer.Ordinal));
        if (unknown is not null)
        {
            var suggestion = BatchInput.Suggest(unknown, BatchInput.Keys);
            yield return (parser.RawRow, null, $"unknown column '{Ledger.Text.Safe(unknown, 60)}'" + (suggestion is null ? string.Empty : $"; did you mean '{suggestion}'?")
                + $" The header names only {string.Join(", ", BatchInput.Keys.Select(k => $"'{k}'"))} (the input fields of the models `kling models` lists).");
            yield break;
        }

        while (parser.Read())
        {
            // The file line the record starts on, as an editor shows it: RawRow is the line it ends on (a quoted cell may span lines).
            var number = parser.RawRow - parser.RawRecord.TrimEnd('\r', '\n').Count(c => c == '\n');
            var cells = parser.Record!;
            if (cells.All(c => c.Trim().Length == 0))
            {
                continue;
            }

            if (cells.Length != columns.Length)
            {
                yield return (number, null, $"has {cells.Length} cells but the header has {columns.Length} columns (quote cells that contain commas).");
                continue;
            }

            var input = new JObject();
            for (var c = 0; c < columns.Length; c++)
            {
                if (columns[c].Length == 0 || cells[c].Length == 0)
                {
                    continue; // an empty cell leaves the field to the service's default (and a mixed file leaves other models' columns empty)
                }

                input[columns[c]] = new JValue(cells[c]);
            }

            // A cell is text; each field of the row's model is read as the document types it, as a spreadsheet means it.
            var model = BatchInput.ModelOf(input).Model;
            foreach (var property in input.Properties().ToList())
            {
                if (model?.Input(property.Name) is { } field)
                {
                    property.Value = Typed(field, (string)property.Value!);
                }
            }

            yield return (number, input, null);
        }
    }

    /// <summary>A cell as the field's JSON type: a number, true/false, a list of the cell's space-separated URLs; text otherwise (or when it does not read as the type, for the type check to name).</summary>
    private static JToken Typed(KlingInputField field, string cell) => field.Type switch
    {
        "number" or "integer" when double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) => new JValue(value),
        "boolean" when bool.TryParse(cell.Trim(), out var flag) => new JValue(flag),
        "array" => new JArray(cell.Split((char[])[' ', '\t', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries)),
        _ => new JValue(cell),
    };

    /// <summary>What the header probably meant: another separator than the comma, or column names close to the known ones.</summary>
    private static string HeaderAdvice(string[] columns)
    {
        var separator = columns.Length == 1 ? new[] { ';', '\t', '|' }.FirstOrDefault(c => columns[0].Contains(c)) : '\0';
        if (separator != '\0')
        {
            return $" The columns are separated by commas; this header seems to use '{(separator == '\t' ? "\\t" : separator.ToString())}'.";
        }

        var guesses = columns.Where(c => c.Length > 0 && !BatchInput.Keys.Contains(c, StringComparer.Ordinal))
            .Select(c => (Column: c, Suggestion: BatchInput.Suggest(c, BatchInput.Keys))).Where(g => g.Suggestion is not null).ToList();
        return guesses.Count == 0 ? string.Empty
            : " Did you mean " + string.Join(", ", guesses.Select(g => $"'{g.Suggestion}' for '{Ledger.Text.Safe(g.Column, 60)}'")) + "? Column names are lower case, as in the createTask input.";
    }
}
