using System.Globalization;
using System.Reflection;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace KlingGenerated.Cli.Batch;

/// <summary>
/// Strict batch fields: every key of a line must be a createTask <c>input</c> field of openapi/kling.openapi.yaml (read
/// from the generated <see cref="CreateTaskInput"/>) or <c>id</c>; each value must have the field's JSON type. A line
/// that breaks either is refused with the exact fix, never sent: the spec lets unknown input fields through to the
/// service, which ignores them, so `aspectRatio` would be paid for with the default ratio.
/// </summary>
/// <remarks>Values of the other JSON type are refused rather than converted: the fix is one edit, and nothing is guessed.</remarks>
internal static class BatchInput
{
    /// <summary>The JSON names of the input fields, and whether each holds a number (cfg_scale) or text.</summary>
    public static readonly IReadOnlyDictionary<string, bool> Fields = typeof(CreateTaskInput).GetProperties()
        .Select(p => (Attribute: p.GetCustomAttribute<JsonPropertyAttribute>(), p.PropertyType))
        .Where(p => p.Attribute?.PropertyName is not null)
        .ToDictionary(p => p.Attribute!.PropertyName!, p => Nullable.GetUnderlyingType(p.PropertyType) is { } t ? t == typeof(double) : p.PropertyType == typeof(double), StringComparer.Ordinal);

    /// <summary>The problem with a line's keys or value types, with its fix; null when there is none.</summary>
    public static string? Problem(JObject input)
    {
        foreach (var property in input.Properties())
        {
            if (property.Name == "id")
            {
                continue;
            }

            if (!Fields.TryGetValue(property.Name, out var isNumber))
            {
                var suggestion = Suggest(property.Name);
                return $"unknown field \"{Text(property.Name)}\"" + (suggestion is null ? string.Empty : $"; did you mean \"{suggestion}\"?")
                    + $" A line holds only \"id\" and the createTask input fields {string.Join(", ", Fields.Keys.Select(k => $"\"{k}\""))}.";
            }

            var value = property.Value;
            if (value.Type == JTokenType.Null)
            {
                return $"\"{property.Name}\" is null; leave the field out to use the service's default.";
            }

            if (isNumber && value.Type is not (JTokenType.Float or JTokenType.Integer))
            {
                return value.Type == JTokenType.String && double.TryParse((string)value!, NumberStyles.Float, CultureInfo.InvariantCulture, out var number)
                    ? $"\"{property.Name}\" must be a JSON number: write \"{property.Name}\": {number.ToString(CultureInfo.InvariantCulture)} (without quotes)."
                    : $"\"{property.Name}\" must be a JSON number such as 0.5.";
            }

            if (!isNumber && value.Type != JTokenType.String)
            {
                return value.Type is JTokenType.Integer or JTokenType.Float or JTokenType.Boolean
                    ? $"\"{property.Name}\" must be a JSON string: write \"{property.Name}\": \"{Text(value.ToString(Formatting.None))}\" (with quotes)."
                    : $"\"{property.Name}\" must be a JSON string.";
            }

            // `kling generate "   "` is refused for the same reason: the service would be paid for a prompt that says nothing.
            if (property.Name == "prompt" && string.IsNullOrWhiteSpace((string?)value))
            {
                return "\"prompt\" is empty or only spaces; describe what the video shows, such as \"a paper boat on a rainy street\".";
            }
        }

        return null;
    }

    /// <summary>The field meant by a misspelt key: the same letters in another case or separator (aspectRatio), else one or two edits away.</summary>
    internal static string? Suggest(string key)
    {
        static string Squash(string s) => new(s.Where(char.IsLetterOrDigit).Select(char.ToLowerInvariant).ToArray());
        var candidates = Fields.Keys.Append("id").ToList();
        return candidates.FirstOrDefault(f => Squash(f) == Squash(key))
            ?? (Squash(key).Length >= 3 ? candidates.FirstOrDefault(f => Squash(f).StartsWith(Squash(key), StringComparison.Ordinal)) : null) // aspect -> aspect_ratio
            ?? candidates.Select(f => (Field: f, Distance: Distance(Squash(f), Squash(key)))).Where(c => c.Distance <= 2).OrderBy(c => c.Distance).Select(c => c.Field).FirstOrDefault();
    }

    internal static int Distance(string a, string b)
    {
        var previous = Enumerable.Range(0, b.Length + 1).ToArray();
        for (var i = 1; i <= a.Length; i++)
        {
            var current = new int[b.Length + 1];
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            }

            previous = current;
        }

        return previous[b.Length];
    }

    private static string Text(string value) => Ledger.Text.Safe(value, 60);
}
