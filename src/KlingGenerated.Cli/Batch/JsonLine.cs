using System.Globalization;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace KlingGenerated.Cli.Batch;

/// <summary>
/// One line of a JSON Lines batch file, read token by token so a problem is told in the user's terms from what the reader
/// saw (the last token, the character where it stopped): never from the parser's message text, whose
/// "Path '', line 0, position 0." means nothing to a user.
/// </summary>
internal static class JsonLine
{
    private const string Example = "{\"id\": \"boat-1\", \"prompt\": \"A paper boat on a rainy street\", \"duration\": \"5\", \"aspect_ratio\": \"16:9\"}";

    /// <summary>The line's object, or the problem with it (a field given twice, broken JSON, not an object).</summary>
    public static (JObject? Object, string? Problem) Read(string line)
    {
        using var reader = new JsonTextReader(new StringReader(line)) { DateParseHandling = DateParseHandling.None, FloatParseHandling = FloatParseHandling.Double };
        var names = new Stack<HashSet<string>>();
        var depth = 0; // objects and arrays open
        var last = JsonToken.None;
        var lastEnd = 0; // characters of the line read up to the end of the last whole token
        try
        {
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonToken.StartObject:
                        names.Push(new HashSet<string>(StringComparer.Ordinal));
                        depth++;
                        break;
                    case JsonToken.EndObject:
                        names.Pop();
                        depth--;
                        break;
                    case JsonToken.StartArray:
                        depth++;
                        break;
                    case JsonToken.EndArray:
                        depth--;
                        break;
                    case JsonToken.PropertyName when !names.Peek().Add((string)reader.Value!):
                        // A key given twice would silently keep one of the two values: which prompt was meant is a guess.
                        return (null, $"the field \"{Text((string)reader.Value!)}\" appears twice; keep one of them, as which value was meant is a guess.");
                }

                last = reader.TokenType;
                lastEnd = reader.LinePosition;
            }
        }
        catch (JsonReaderException exception)
        {
            _ = exception; // where it broke is found from the tokens read, not from the exception's text
            return (null, NotJson(Broken(line, last, lastEnd, names.Count > 0)));
        }

        if (depth > 0)
        {
            // The reader stops quietly at the end of the text; an object still open means the line was cut.
            return (null, NotJson(Broken(line, last, line.Length, inside: true)));
        }

        // Checked above: it parses, and no key is repeated. Text stays text (a prompt "2026-12-07" is not a date).
        using var again = new JsonTextReader(new StringReader(line)) { DateParseHandling = DateParseHandling.None, FloatParseHandling = FloatParseHandling.Double };
        var token = last == JsonToken.None ? null : JToken.ReadFrom(again);
        return token is JObject value ? (value, null) : (null, $"must be a JSON object of createTask input fields, such as {Example}.");
    }

    private static string NotJson(string how) =>
        $"not a JSON object: {how}. Each line of a JSON Lines file is one object, such as {Example}; "
        + "for a spreadsheet or a list of prompts, save it as .csv with a 'prompt' column instead.";

    /// <summary>Where and how the JSON breaks, from the reader's last whole token and the next character after it.</summary>
    private static string Broken(string line, JsonToken last, int lastEnd, bool inside)
    {
        var next = lastEnd;
        while (next < line.Length && char.IsWhiteSpace(line[next]))
        {
            next++;
        }

        if (next >= line.Length)
        {
            return "the line ends before the JSON does (a closing '}', ']' or '\"' is missing)";
        }

        var at = (next + 1).ToString(CultureInfo.InvariantCulture);
        var found = Text(line[next].ToString());
        var afterValue = last is JsonToken.String or JsonToken.Integer or JsonToken.Float or JsonToken.Boolean or JsonToken.Null or JsonToken.EndObject or JsonToken.EndArray;
        if (inside && afterValue && line[next] is not (',' or '}' or ']' or ':'))
        {
            return $"a ',' is missing between two fields, before character {at} ('{found}')";
        }

        return last == JsonToken.None && line[next] != '{'
            ? $"it starts with '{found}' where a '{{' should open the object"
            : $"unexpected '{found}' at character {at}";
    }

    private static string Text(string value) => Ledger.Text.Safe(value, 60);
}
