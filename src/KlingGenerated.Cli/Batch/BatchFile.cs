using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using KlingGenerated.OpenApi;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace KlingGenerated.Cli.Batch;

/// <summary>One request of a batch file: its line, the user's id (if any), its stable key in the ledger and the request.</summary>
internal sealed record BatchLine(int Number, string? UserId, string Key, CreateTaskRequest Request);

/// <summary>A problem with one line of a batch file.</summary>
internal sealed record BatchLineError(int Number, string Problem);

/// <summary>
/// Reads a batch file: JSON Lines (one object of createTask <c>input</c> fields per line, plus an optional <c>id</c>), or
/// CSV with a header naming a <c>prompt</c> column (and optionally <c>id</c> and other input fields). Every line is
/// checked against openapi/kling.openapi.yaml, as the client would check it, before anything is sent.
/// </summary>
internal static class BatchFile
{
    private const string CreateTaskPath = "/api/v1/jobs/createTask";
    private static readonly string Model = WireNames<KlingModel>.ToWire(new CreateTaskRequest { Input = new CreateTaskInput() }.Model);

    public static (List<BatchLine> Lines, List<BatchLineError> Errors) Read(string path)
    {
        if (!File.Exists(path))
        {
            throw new UsageException($"the batch file '{path}' does not exist; pass a JSON Lines (.jsonl) or CSV (.csv) file.");
        }

        var text = File.ReadAllLines(path, Encoding.UTF8);
        var rows = Path.GetExtension(path).Equals(".csv", StringComparison.OrdinalIgnoreCase) ? FromCsv(text) : FromJsonLines(text);
        var lines = new List<BatchLine>();
        var errors = new List<BatchLineError>();
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        var occurrences = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (number, input, problem) in rows)
        {
            if (problem is not null)
            {
                errors.Add(new BatchLineError(number, problem));
                continue;
            }

            string? userId = null;
            if (input!.Property("id") is { } idProperty)
            {
                if (idProperty.Value.Type is not (JTokenType.String or JTokenType.Integer) || string.IsNullOrWhiteSpace(idProperty.Value.ToString()))
                {
                    errors.Add(new BatchLineError(number, "\"id\" must be a non-empty string (or integer) of your choosing."));
                    continue;
                }

                userId = idProperty.Value.ToString().Trim();
                idProperty.Remove();
                if (ids.TryGetValue(userId, out var first))
                {
                    errors.Add(new BatchLineError(number, $"the id \"{Text(userId)}\" is already used on line {first}; ids must be unique in a batch."));
                    continue;
                }

                ids[userId] = number;
            }

            var body = new JObject { ["model"] = Model, ["input"] = input };
            var json = body.ToString(Formatting.None);
            var problems = KlingOpenApiContract.ValidateRequest("POST", CreateTaskPath, new MemoryStream(Encoding.UTF8.GetBytes(json)));
            if (problems.Count > 0)
            {
                errors.Add(new BatchLineError(number, string.Join(" ", problems)));
                continue;
            }

            CreateTaskRequest request;
            try
            {
                request = body.ToObject<CreateTaskRequest>()!;
            }
            catch (JsonException exception)
            {
                errors.Add(new BatchLineError(number, exception.Message));
                continue;
            }

            // Without an id, a line is known by its content (and which repeat of it this is), so edits and reordering resume well.
            var key = userId is not null ? "id:" + userId : Hash(input.ToString(Formatting.None));
            if (userId is null)
            {
                occurrences[key] = occurrences.GetValueOrDefault(key) + 1;
                key += "#" + occurrences[key].ToString(CultureInfo.InvariantCulture);
            }

            lines.Add(new BatchLine(number, userId, key, request));
        }

        return (lines, errors);
    }

    private static IEnumerable<(int Number, JObject? Input, string? Problem)> FromJsonLines(string[] text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var line = text[i].Trim();
            if (line.Length == 0)
            {
                continue;
            }

            JToken token;
            string? problem = null;
            try
            {
                token = JToken.Parse(line);
            }
            catch (JsonException exception)
            {
                token = JValue.CreateNull();
                problem = $"not valid JSON ({exception.Message}).";
            }

            if (problem is null && token is not JObject)
            {
                problem = "must be a JSON object of createTask input fields, such as {\"prompt\": \"...\", \"duration\": \"5\"}.";
            }

            yield return (i + 1, token as JObject, problem);
        }
    }

    private static IEnumerable<(int Number, JObject? Input, string? Problem)> FromCsv(string[] text)
    {
        var header = Array.FindIndex(text, l => l.Trim().Length > 0);
        if (header < 0)
        {
            yield break;
        }

        var columns = SplitCsv(text[header]).Select(c => c.Trim()).ToArray();
        if (!columns.Contains("prompt", StringComparer.Ordinal))
        {
            yield return (header + 1, null, $"the CSV header must name a 'prompt' column; it names {string.Join(", ", columns.Select(c => $"'{Text(c)}'"))}.");
            yield break;
        }

        for (var i = header + 1; i < text.Length; i++)
        {
            if (text[i].Trim().Length == 0)
            {
                continue;
            }

            var cells = SplitCsv(text[i]);
            if (cells.Count != columns.Length)
            {
                yield return (i + 1, null, $"has {cells.Count} cells but the header has {columns.Length} columns (quote cells that contain commas).");
                continue;
            }

            var input = new JObject();
            for (var c = 0; c < columns.Length; c++)
            {
                if (cells[c].Length == 0)
                {
                    continue; // an empty cell leaves the field to the service's default
                }

                // Numbers stay numbers (cfg_scale); everything else is text, as the document's strings and enums are.
                input[columns[c]] = columns[c] == "cfg_scale" && double.TryParse(cells[c], NumberStyles.Float, CultureInfo.InvariantCulture, out var number)
                    ? new JValue(number)
                    : new JValue(cells[c]);
            }

            yield return (i + 1, input, null);
        }
    }

    /// <summary>Splits one CSV record (RFC 4180 quoting, on one line).</summary>
    internal static List<string> SplitCsv(string line)
    {
        var cells = new List<string>();
        var cell = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < line.Length && line[i + 1] == '"')
                {
                    cell.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    cell.Append(c);
                }
            }
            else if (c == '"')
            {
                quoted = true;
            }
            else if (c == ',')
            {
                cells.Add(cell.ToString());
                cell.Clear();
            }
            else
            {
                cell.Append(c);
            }
        }

        cells.Add(cell.ToString());
        return cells;
    }

    private static string Hash(string text) => "sha:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..16];

    private static string Text(string value) => Ledger.Text.Safe(value, 60);
}
